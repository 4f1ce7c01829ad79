// Conv2D + bias + relu + MaxPooling2D as one dispatch,
// and the pooling's backward from the winners it stored (contract:
// ConvReluPoolGeometry, vknn/ops/geometry.hpp; CPU reference
// src/ops/cpu/conv2d_relu_maxpool2d.cpp, equal to the unfused pair).
//
// Why: in the course model the unfused pair wrote conv1's 26x26x64 map
// (5.5 MB at batch 32), read it back to pool, and read it a third time in
// the pooling's backward to find each window's winner again; pool1 and
// conv1 took about 30% of the training step (docs/performance.md). The
// fused forward writes only the pooled map and, in training, one winner
// byte per pooled element; the backward reads those bytes instead of the
// map.
//
// Each function validates the geometry, checks every buffer (vknn::Error
// naming the op, the buffer and the bytes), records its dispatch and ends
// with recording.barrier().
#pragma once

#include "vknn/ops/geometry.hpp"
#include "vulkan/fwd.hpp"

namespace vknn::vk::ops {

// winners: nullptr in prediction (no winners written), else
// g.winners_size() bytes.
void conv2d_relu_maxpool2d_forward(Recording& recording, const ConvReluPoolGeometry& g,
                                   const Buffer& x, const Buffer& kernel, const Buffer& bias,
                                   const Buffer& y, const Buffer* winners);

// dx: the conv map's gradient at its linear output, every element written.
void maxpool2d_backward_from_winners(Recording& recording, const ConvReluPoolGeometry& g,
                                     const Buffer& dy, const Buffer& winners, const Buffer& dx);

// The conv's kernel and bias gradients straight from the pooled gradient dy
// and the winners: what conv2d_backward_kernel and conv2d_backward_bias
// compute from maxpool2d_backward_from_winners's dx, without that map.
// Overwrites dkernel and dbias. Two dispatches (partial sums over slices of
// windows, kept in a scratch buffer of the recording, then their sums).
void conv2d_relu_maxpool2d_backward_params(Recording& recording, const ConvReluPoolGeometry& g,
                                           const Buffer& x, const Buffer& dy,
                                           const Buffer& winners, const Buffer& dkernel,
                                           const Buffer& dbias);

}  // namespace vknn::vk::ops
