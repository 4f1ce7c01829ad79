// The C++ side of gather_augmented_batch.comp's interface: its push block and
// specialization constant id, checked against the SPIR-V by
// tests/vulkan/shader_layout_test.cpp.
#pragma once

#include <cstdint>

namespace vknn::vk::ops {

struct AugmentedGatherPush {
  std::uint32_t height;
  std::uint32_t width;
  std::uint32_t channels;
  std::uint32_t batch_size;
  std::uint32_t first;
  std::uint32_t count;
  std::uint32_t sample_capacity;
  std::uint32_t order_length;
  std::uint32_t samples_per_chunk;
  std::uint32_t seed_lo;
  std::uint32_t seed_hi;
  std::uint32_t flags;  // AugmentedGatherFlags
  std::uint32_t fill_mode;
  float rotation_range;
  float width_shift;
  float height_shift;
  float shear_range;
  float zoom_lo;
  float zoom_hi;
  float cval;
  float inverse_rows;
  float inverse_cols;
};

// The bits of AugmentedGatherPush::flags.
enum AugmentedGatherFlags : std::uint32_t {
  kHorizontalFlip = 1u,
  kVerticalFlip = 2u,
  kWidthWholePixels = 4u,
  kHeightWholePixels = 8u,
  kSameZoomBothAxes = 16u,
  kPreprocessingLayersGeometry = 32u,  // AugmentationGeometry::preprocessing_layers
  kKeyed = 64u,  // the draw is keyed by keys[s] (binding 13), not the slot s
};

// FLOAT_VALUES, `layout(constant_id = 3)`: the dataset holds float values
// (in chunks) rather than packed uint8 pixels.
struct AugmentedGatherSpec { enum Id : std::uint32_t { float_values = 3 }; };

}  // namespace vknn::vk::ops
