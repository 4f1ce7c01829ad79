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

// With `winners` (where g.stores_winners(); a buffer of g.output_size()
// bytes) also stores each window's winner for maxpool2d_backward_winners,
// relu_mask as that backward will be given it.
void maxpool2d_forward(Recording& recording, const Pool2DGeometry& g, const Buffer& x,
                       const Buffer& y, const Buffer* winners = nullptr, bool relu_mask = false);
enum class PoolBackwardVariant { automatic, scatter, gather };

void maxpool2d_backward(Recording& recording, const Pool2DGeometry& g, const Buffer& x,
                        const Buffer& dy, const Buffer& dx, bool relu_mask = false,
                        PoolBackwardVariant variant = PoolBackwardVariant::automatic);

// dx from dy and the winners maxpool2d_forward stored: dy at each winner,
// 0 elsewhere; x is not read, no window compared again (cats vs dogs' pool1
// at batch 32: 14.7 ms, against 33.9 ms for the scatter from x).
void maxpool2d_backward_winners(Recording& recording, const Pool2DGeometry& g, const Buffer& dy,
                                const Buffer& winners, const Buffer& dx);

}  // namespace vknn::vk::ops
