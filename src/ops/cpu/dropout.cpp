// Inverted dropout, scalar reference. The mask is Philox4x32-10 of
// (element, step) under the seed (src/ops/philox.hpp), the same bits the
// shader draws, compared as integers, so both backends drop exactly the
// same elements; kept elements are multiplied by the same float scale.
#include <cstdint>

#include "argument_checks.hpp"
#include "ops/philox.hpp"
#include "vknn/cpu/reference_ops.hpp"

namespace vknn::cpu {

bool dropout_keeps(const DropoutConfig& config, std::uint32_t step, std::uint32_t index) {
  const auto bits = philox4x32_10({index, step, 0u, 0u},
                                  {std::uint32_t(config.seed), std::uint32_t(config.seed >> 32)});
  return (bits[0] >> 8) >= config.threshold();
}

template <class T>
void dropout_apply(std::int64_t count, const DropoutConfig& config, std::uint32_t step, const T* x,
                   T* y) {
  const char* op = "dropout";
  config.validate();
  detail::require_count(op, "count", count);
  if (count > 0xffffffffll - std::int64_t(config.first_element)) {
    throw Error("dropout: count " + std::to_string(count) + " from element " +
                std::to_string(config.first_element) + " does not fit the 32-bit element counter of the mask");
  }
  if (count == 0) return;
  detail::require_buffer(op, "x", x, detail::elements(count));
  detail::require_buffer(op, "y", y, detail::elements(count));
  const T scale = T(config.keep_scale());
  for (std::int64_t i = 0; i < count; ++i) {
    y[i] = dropout_keeps(config, step, config.first_element + std::uint32_t(i)) ? x[i] * scale : T(0);
  }
}

template void dropout_apply<float>(std::int64_t, const DropoutConfig&, std::uint32_t, const float*,
                                   float*);
template void dropout_apply<double>(std::int64_t, const DropoutConfig&, std::uint32_t,
                                    const double*, double*);

}  // namespace vknn::cpu
