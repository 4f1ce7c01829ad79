#include "ops/vulkan/augmented_gather.hpp"

#include <algorithm>
#include <string>

#include "ops/augmentation_math.hpp"
#include "ops/vulkan/augmented_gather_shaders.hpp"
#include "ops/vulkan/dispatch.hpp"
#include "ops/vulkan/gather.hpp"
#include "ops/vulkan/step_state.hpp"
#include "vknn/error.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "vulkan/device.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk::ops {

using namespace detail;  // the dispatch vocabulary, dispatch.hpp

namespace {

std::uint32_t clamp_u32(std::uint64_t value) {
  return std::uint32_t(std::min<std::uint64_t>(value, 0xffffffffull));
}

}  // namespace

void gather_augmented_batch(Recording& recording, const Augmentation& augmentation,
                            const AugmentedGatherSizes& sizes, bool float_values,
                            const std::vector<const Buffer*>& dataset,
                            std::uint32_t samples_per_chunk, const Buffer& labels,
                            const Buffer& order, const Buffer& state, const Buffer& x,
                            const Buffer& labels_out, const Buffer* keys) {
  const char* op = "gather_augmented_batch";
  require_recording_open(op, recording);
  augmentation.validate();
  const std::string context = std::to_string(sizes.height) + "x" + std::to_string(sizes.width) +
                              "x" + std::to_string(sizes.channels) + " pictures, batch_size " +
                              std::to_string(sizes.batch_size) + ", first " +
                              std::to_string(sizes.first) + ", count " + std::to_string(sizes.count);
  require_positive(op, "height", sizes.height, context);
  require_positive(op, "width", sizes.width, context);
  require_positive(op, "channels", sizes.channels, context);
  require_positive(op, "batch_size", sizes.batch_size, context);
  require_positive(op, "count", sizes.count, context);
  if (std::uint64_t(sizes.first) + sizes.count > sizes.batch_size) {
    throw Error(std::string(op) + ": first + count must be at most batch_size (a recording "
                "gathers part of the step's batch, never more), got " + context);
  }
  if (sizes.height > 65536 || sizes.width > 65536) {
    throw Error(std::string(op) + ": pictures may be at most 65536 pixels high and wide, got " +
                context);
  }
  const std::uint64_t sample_size = std::uint64_t(sizes.height) * sizes.width * sizes.channels;
  require_fits_u32(op, "count * height * width * channels", sizes.count * sample_size);
  if (dataset.empty() || dataset.size() > (float_values ? kFloatDatasetMaxChunks : 1u)) {
    throw Error(std::string(op) + ": needs " +
                (float_values ? "1 to " + std::to_string(kFloatDatasetMaxChunks) + " chunk buffers"
                              : std::string("one packed uint8 buffer")) +
                ", got " + std::to_string(dataset.size()) + " (" + context + ")");
  }
  std::uint64_t capacity = 0;
  if (float_values) {
    require_positive(op, "samples_per_chunk", samples_per_chunk, context);
    require_fits_u32(op, "samples_per_chunk * sample size", samples_per_chunk * sample_size);
    const std::uint64_t sample_bytes = sample_size * sizeof(float);
    for (std::size_t c = 0; c + 1 < dataset.size(); ++c) {
      require_bytes(op, ("chunk " + std::to_string(c)).c_str(), *dataset[c],
                    samples_per_chunk * sample_bytes,
                    std::to_string(samples_per_chunk) + " samples (every chunk but the last is full)");
    }
    require_bytes(op, "last chunk", *dataset.back(), sample_bytes, "at least one sample");
    capacity = std::uint64_t(dataset.size() - 1) * samples_per_chunk +
               std::min<std::uint64_t>(samples_per_chunk, dataset.back()->size() / sample_bytes);
  } else {
    require_fits_u32(op, "the dataset's bytes", dataset[0]->size());
    require_bytes(op, "images", *dataset[0], packed_bytes_size(sample_size),
                  "at least one sample, packed four bytes to a word");
    capacity = dataset[0]->size() / sample_size;
    samples_per_chunk = clamp_u32(capacity);
  }
  capacity = std::min<std::uint64_t>(capacity, labels.size());
  require_step_state(op, state);
  require_bytes(op, "labels", labels, 4, "at least one label byte, packed four to a word");
  require_bytes(op, "order", order, 4, "at least one uint32 sample index");
  require_bytes(op, "x", x, sizes.count * sample_size * sizeof(float),
                std::to_string(sizes.count) + " samples of " + std::to_string(sample_size) +
                    " floats (" + context + ")");
  require_bytes(op, "labels_out", labels_out, std::uint64_t(sizes.count) * 4,
                std::to_string(sizes.count) + " uint32 labels (" + context + ")");
  if (keys) {
    require_bytes(op, "keys", *keys, capacity * 4,
                  std::to_string(capacity) + " uint32 keys, one per dataset sample");
  }

  const Augmentation& a = augmentation;
  const AugmentedGatherPush push{
      sizes.height, sizes.width, sizes.channels, sizes.batch_size, sizes.first, sizes.count,
      clamp_u32(capacity), clamp_u32(order.size() / 4), samples_per_chunk,
      std::uint32_t(a.seed), std::uint32_t(a.seed >> 32),
      (a.horizontal_flip ? kHorizontalFlip : 0u) | (a.vertical_flip ? kVerticalFlip : 0u) |
          (a.width_shift_range.whole_pixels ? kWidthWholePixels : 0u) |
          (a.height_shift_range.whole_pixels ? kHeightWholePixels : 0u) |
          (a.same_zoom_both_axes ? kSameZoomBothAxes : 0u) |
          (a.geometry == AugmentationGeometry::preprocessing_layers ? kPreprocessingLayersGeometry
                                                                    : 0u) |
          (keys ? kKeyed : 0u),
      std::uint32_t(a.fill_mode), a.rotation_range, a.width_shift_range.range,
      a.height_shift_range.range, a.shear_range, a.zoom_range[0], a.zoom_range[1], a.cval,
      augmentation_math::axis_inverse(a.fill_mode, sizes.height),
      augmentation_math::axis_inverse(a.fill_mode, sizes.width)};

  // Unused chunk bindings repeat chunk 0: every binding must hold a valid
  // descriptor, and the shader never reads past the chunks it was given.
  const Buffer* c[kFloatDatasetMaxChunks];
  for (std::uint32_t k = 0; k < kFloatDatasetMaxChunks; ++k) {
    c[k] = k < dataset.size() ? dataset[k] : dataset[0];
  }
  static_assert(kFloatDatasetMaxChunks == 8, "the binding list below names 8 chunks");
  const PipelineDesc desc =
      pipeline_1d(op, sizeof(AugmentedGatherPush), elementwise_width(recording.device()),
                  {{AugmentedGatherSpec::float_values, float_values ? 1u : 0u}});
  // One invocation per output pixel.
  const std::uint64_t items = std::uint64_t(sizes.count) * sizes.height * sizes.width;
  record_grid_stride(recording, desc, GridStrideOp::resample, items,
                     {&labels, &order, &state, &x, &labels_out, c[0], c[1], c[2], c[3], c[4], c[5],
                      c[6], c[7], keys ? keys : &order},
                     push);
}

}  // namespace vknn::vk::ops
