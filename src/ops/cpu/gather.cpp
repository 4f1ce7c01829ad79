// Batch gather, scalar reference: the first op of a training step. The
// dataset stays as uint8 (on the device, in the Vulkan backend) and each
// step picks its samples through the epoch's shuffled order and scales them
// to [0, 1], as the course's `images / 255.0` does.
#include <cstdint>

#include "argument_checks.hpp"
#include "vknn/cpu/reference_ops.hpp"

namespace vknn::cpu {

using detail::elements;
using detail::require_buffer;
using detail::require_count;

namespace {

// Both gathers: for i in [0, count), sample s = order[first + i] gives
// x[i, :] = convert(the sample's sample_size values) and labels_out[i].
// The sample indexes in `order` are trusted: the number of samples is not
// part of this contract, so they cannot be range-checked here; the caller
// builds `order` as a permutation of its dataset.
template <class Source, class T, class Convert>
void gather_samples(const char* op, const char* source_name, const char* source_what,
                    std::int64_t sample_size, const Source* source, const std::uint8_t* labels,
                    const std::uint32_t* order, std::int64_t first, std::int64_t count, T* x,
                    std::uint32_t* labels_out, Convert convert) {
  require_count(op, "sample_size", sample_size);
  require_count(op, "first", first);
  require_count(op, "count", count);
  if (count == 0) return;
  require_buffer(op, source_name, source, source_what);
  require_buffer(op, "labels", labels, "the dataset's labels, one byte per sample");
  require_buffer(op, "order", order, "at least first + count = " +
                                         std::to_string(first + count) + " sample indexes");
  require_buffer(op, "x", x, elements(count * sample_size));
  require_buffer(op, "labels_out", labels_out, elements(count));
  for (std::int64_t i = 0; i < count; ++i) {
    const std::int64_t s = order[first + i];
    const Source* sample = source + s * sample_size;
    for (std::int64_t j = 0; j < sample_size; ++j) x[i * sample_size + j] = convert(sample[j]);
    labels_out[i] = labels[s];
  }
}

}  // namespace

template <class T>
void gather_batch(std::int64_t sample_size, const std::uint8_t* images, const std::uint8_t* labels,
                  const std::uint32_t* order, std::int64_t first, std::int64_t count, T* x,
                  std::uint32_t* labels_out) {
  // Division, not multiplication by 1/255: it is correctly rounded, so
  // 255 maps to exactly 1 and any backend that divides gets the same bits.
  gather_samples("gather_batch", "images", "the dataset's images, sample_size bytes per sample",
                 sample_size, images, labels, order, first, count, x, labels_out,
                 [](std::uint8_t pixel) { return T(pixel) / T(255); });
}

// Float datasets: the values are the model's inputs as given (a user's
// standardised images, say), so they are copied, never rescaled.
template <class T>
void gather_float_batch(std::int64_t sample_size, const float* values, const std::uint8_t* labels,
                        const std::uint32_t* order, std::int64_t first, std::int64_t count, T* x,
                        std::uint32_t* labels_out) {
  gather_samples("gather_float_batch", "values",
                 "the dataset's values, sample_size floats per sample", sample_size, values,
                 labels, order, first, count, x, labels_out, [](float value) { return T(value); });
}

template void gather_float_batch<float>(std::int64_t, const float*, const std::uint8_t*,
                                        const std::uint32_t*, std::int64_t, std::int64_t, float*,
                                        std::uint32_t*);
template void gather_float_batch<double>(std::int64_t, const float*, const std::uint8_t*,
                                         const std::uint32_t*, std::int64_t, std::int64_t,
                                         double*, std::uint32_t*);

template void gather_batch<float>(std::int64_t, const std::uint8_t*, const std::uint8_t*,
                                  const std::uint32_t*, std::int64_t, std::int64_t, float*,
                                  std::uint32_t*);
template void gather_batch<double>(std::int64_t, const std::uint8_t*, const std::uint8_t*,
                                   const std::uint32_t*, std::int64_t, std::int64_t, double*,
                                   std::uint32_t*);

}  // namespace vknn::cpu
