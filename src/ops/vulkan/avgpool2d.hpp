// AveragePooling2D on Vulkan, forward and backward (GlobalAveragePooling2D
// is the window over the whole map).
//
// Same contract as the CPU reference (vknn/cpu/reference_ops.hpp,
// Pool2DGeometry): a window averages its real taps only ('same' border
// windows divide by the pixels they cover). Backward is a gather, one
// invocation per input, visiting the windows over it in the CPU's order, so
// both backends form the same float sums; no atomics.
//
// Each function validates the geometry, checks every buffer is large enough
// (vknn::Error naming the op, buffer, bytes needed and present), records its
// dispatch and ends with recording.barrier(). Outputs are overwritten.
#pragma once

#include "vknn/ops/geometry.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"

namespace vknn::vk::ops {

void avgpool2d_forward(Recording& recording, const Pool2DGeometry& g, const Buffer& x,
                       const Buffer& y);
void avgpool2d_backward(Recording& recording, const Pool2DGeometry& g, const Buffer& dy,
                        const Buffer& dx);

}  // namespace vknn::vk::ops
