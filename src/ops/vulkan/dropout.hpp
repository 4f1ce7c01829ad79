// Inverted dropout on Vulkan (see DropoutConfig in vknn/ops/geometry.hpp):
// y = x * scale where the Philox mask of (element, state.iterations) keeps
// the element, else 0; the same call with dy and dx is the backward pass.
// The step comes from the step state buffer when the dispatch runs, so a
// replayed training step draws a new mask every step without re-recording.
// Checks its buffers (vknn::Error naming the op, buffer and bytes), records
// one dispatch and ends with recording.barrier().
#pragma once

#include <cstdint>

#include "vknn/ops/geometry.hpp"

#include "vulkan/fwd.hpp"

namespace vknn::vk::ops {

void dropout_apply(Recording& recording, const DropoutConfig& config, std::int64_t count,
                   const Buffer& state, const Buffer& x, const Buffer& y);

}  // namespace vknn::vk::ops
