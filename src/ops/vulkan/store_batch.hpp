// store_batch: copies one batch's output to its slot in a whole-dataset
// output buffer, the slot chosen by the step state's batch_index on the
// device (see shaders/store_batch.comp).
#pragma once

#include <cstdint>

#include "vulkan/fwd.hpp"

namespace vknn::vk::ops {

void store_batch(Recording& recording, std::uint32_t count, std::uint32_t stride,
                 const Buffer& source,
                 const Buffer& state, const Buffer& destination, std::uint32_t first = 0);

}  // namespace vknn::vk::ops
