// MaxPooling2D on Vulkan, forward and backward.
//
// Same contract as the CPU reference (vknn/cpu/reference_ops.hpp,
// Pool2DGeometry): x (batch, in_h, in_w, channels), y (batch, out_h, out_w,
// channels); the winner of a window is its first maximum in row-major window
// order, and padded taps never win. Both shaders find winners with the same
// function (shaders/maxpool2d_window.glsl).
//
// maxpool2d_backward overwrites dx: each input element gathers the dy of
// every window it wins (several with overlapping windows, summed in window
// order like the CPU's scatter; none gives 0). No atomics, so the result is
// deterministic and equal to the CPU reference's bit for bit.
//
// Each function validates the geometry, checks every buffer is large enough
// (vknn::Error naming the op, buffer, bytes needed and present), records its
// dispatch and ends with recording.barrier().
#pragma once

#include "vknn/ops/geometry.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"

namespace vknn::vk::ops {

void maxpool2d_forward(Recording& recording, const Pool2DGeometry& g, const Buffer& x,
                       const Buffer& y);
void maxpool2d_backward(Recording& recording, const Pool2DGeometry& g, const Buffer& x,
                        const Buffer& dy, const Buffer& dx);

}  // namespace vknn::vk::ops
