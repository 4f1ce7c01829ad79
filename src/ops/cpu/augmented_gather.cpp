// Augmented batch gather, scalar reference: each sample's transform drawn
// and sampled by the arithmetic both backends share (ops/augmentation_math
// .hpp, the shader's twin), one output pixel at a time, so this loop and
// gather_augmented_batch.comp give the same bits.
#include <cstdint>
#include <string>

#include "argument_checks.hpp"
#include "ops/augmentation_math.hpp"
#include "vknn/cpu/reference_ops.hpp"

namespace vknn::cpu {

namespace am = augmentation_math;

template <class T>
void gather_augmented_batch(const Augmentation& augmentation, std::int64_t height,
                            std::int64_t width, std::int64_t channels, const std::uint8_t* images,
                            const float* values, const std::uint8_t* labels,
                            const std::uint32_t* order, std::int64_t first, std::int64_t count,
                            std::uint32_t step, T* x, std::uint32_t* labels_out,
                            const std::uint32_t* keys) {
  const char* op = "gather_augmented_batch";
  augmentation.validate();
  if (height < 1 || width < 1 || channels < 1 || height > 65536 || width > 65536) {
    throw Error(std::string(op) + ": pictures must be 1 to 65536 pixels high and wide with at "
                "least one channel, got " + std::to_string(height) + "x" + std::to_string(width) +
                "x" + std::to_string(channels));
  }
  detail::require_count(op, "first", first);
  detail::require_count(op, "count", count);
  if (count == 0) return;
  if ((images == nullptr) == (values == nullptr)) {
    throw Error(std::string(op) + ": give exactly one dataset, uint8 images or float values (" +
                (images ? "both" : "neither") + " given)");
  }
  const std::int64_t sample_size = height * width * channels;
  detail::require_buffer(op, "labels", labels, "the dataset's labels, one byte per sample");
  detail::require_buffer(op, "order", order, "at least first + count = " +
                                                 std::to_string(first + count) + " sample indexes");
  detail::require_buffer(op, "x", x, detail::elements(count * sample_size));
  detail::require_buffer(op, "labels_out", labels_out, detail::elements(count));

  const float inverse_rows = am::axis_inverse(augmentation.fill_mode, height);
  const float inverse_cols = am::axis_inverse(augmentation.fill_mode, width);
  for (std::int64_t i = 0; i < count; ++i) {
    const std::uint32_t s = order[first + i];
    const AugmentationParameters p = am::draw(augmentation, height, width, keys ? keys[s] : s, step);
    const am::Affine m = am::affine(p, height, width, augmentation.geometry);
    const std::int64_t base = std::int64_t(s) * sample_size;
    const auto at = [&](std::int32_t r, std::int32_t c, std::int64_t ch) {
      const std::int64_t k = base + (std::int64_t(r) * width + c) * channels + ch;
      return images ? float(images[k]) : values[k];
    };
    T* out = x + i * sample_size;
    for (std::int32_t row = 0; row < height; ++row) {
      for (std::int32_t col = 0; col < width; ++col) {
        const am::PixelTaps k =
            am::pixel_taps(m, p, row, col, std::int32_t(height), std::int32_t(width),
                           augmentation.fill_mode, inverse_rows, inverse_cols);
        for (std::int64_t ch = 0; ch < channels; ++ch) {
          float v = augmentation.cval;
          if (k.inside()) {
            v = am::bilinear(k, at(k.row.i0, k.col.i0, ch), at(k.row.i0, k.col.i1, ch),
                             at(k.row.i1, k.col.i0, ch), at(k.row.i1, k.col.i1, ch));
            // Division, as gather_batch divides: 255 maps to exactly 1.
            if (images) v = v / 255.0f;
          }
          out[(std::int64_t(row) * width + col) * channels + ch] = T(v);
        }
      }
    }
    labels_out[i] = labels[s];
  }
}

template void gather_augmented_batch<float>(const Augmentation&, std::int64_t, std::int64_t,
                                            std::int64_t, const std::uint8_t*, const float*,
                                            const std::uint8_t*, const std::uint32_t*,
                                            std::int64_t, std::int64_t, std::uint32_t, float*,
                                            std::uint32_t*, const std::uint32_t*);
template void gather_augmented_batch<double>(const Augmentation&, std::int64_t, std::int64_t,
                                             std::int64_t, const std::uint8_t*, const float*,
                                             const std::uint8_t*, const std::uint32_t*,
                                             std::int64_t, std::int64_t, std::uint32_t, double*,
                                             std::uint32_t*, const std::uint32_t*);

}  // namespace vknn::cpu
