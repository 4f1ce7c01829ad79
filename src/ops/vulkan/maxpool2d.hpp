// MaxPooling2D on Vulkan, forward and backward.
//
// Same contract as the CPU reference (vknn/cpu/reference_ops.hpp,
// Pool2DGeometry): x (batch, in_h, in_w, channels), y (batch, out_h, out_w,
// channels); the winner of a window is its first maximum in row-major window
// order, and padded taps never win. Both shaders find winners with the same
// function (shaders/maxpool2d_window.glsl).
//
// maxpool2d_backward overwrites dx, in one of two ways (PoolBackwardVariant):
// - scatter, for windows that do not overlap (stride >= pool, the course's
//   2x2/2): one invocation per window finds the winner once and writes the
//   whole window (dy to the winner, 0 elsewhere), 4 channels at a time; dx
//   is cleared first only where some inputs lie in no window.
// - gather, for any windows: each input element gathers the dy of every
//   window it wins (several with overlapping windows, summed in window
//   order like the CPU's scatter; none gives 0).
// No atomics either way: deterministic and equal to the CPU reference's
// result bit for bit.
//
// relu_mask fuses the backward of a relu that precedes the pool (x is the
// relu's output): dx is zero where x <= 0, i.e. the gradient at the relu's
// input, and the separate relu_backward pass is not needed.
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
enum class PoolBackwardVariant { automatic, scatter, gather };

void maxpool2d_backward(Recording& recording, const Pool2DGeometry& g, const Buffer& x,
                        const Buffer& dy, const Buffer& dx, bool relu_mask = false,
                        PoolBackwardVariant variant = PoolBackwardVariant::automatic);

}  // namespace vknn::vk::ops
