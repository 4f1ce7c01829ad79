// Dense (fully connected) on Vulkan: forward and the three gradients.
//
// Same contracts as the CPU reference (vknn/cpu/reference_ops.hpp, layouts in
// vknn/ops/geometry.hpp): x (batch, in), kernel (in, out), bias (out),
// y (batch, out). Every product is one GEMM shader:
//   forward          y  = act(x * kernel + bias)
//   backward input   dx = dy * kernel^T
//   backward kernel  dk = x^T * dy        (reduces over the batch)
//   backward bias    db = column sums of dy
// in the variant `variant` names: register_blocked (for CPU drivers:
// dense_gemm_shuffle.comp where the lanes can share loads through subgroup
// shuffles, dense_gemm_blocked.comp otherwise) or shared_tiled
// (dense_gemm_tiled.comp, for GPUs); automatic asks DeviceProfile::cpu_like.
//
// Each function validates the geometry, checks every buffer is large enough
// (vknn::Error naming the op, buffer, bytes needed and present), records its
// dispatches into `recording` and ends with recording.barrier(), so the next
// op recorded may read the outputs. Outputs are overwritten.
#pragma once

#include "vknn/ops/geometry.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "ops/vulkan/kernel_variant.hpp"

namespace vknn::vk::ops {

// act is linear, relu (fused into the GEMM) or softmax (a softmax over each
// row of y, recorded after the GEMM, as Keras' Dense(activation='softmax')).
void dense_forward(Recording& recording, const DenseGeometry& g, const Buffer& x,
                   const Buffer& kernel, const Buffer& bias, const Buffer& y,
                   Activation act = Activation::linear,
                   KernelVariant variant = KernelVariant::automatic);
// dy is the gradient at the dense layer's linear output (apply relu_backward
// or softmax_backward first for a fused activation).
void dense_backward_input(Recording& recording, const DenseGeometry& g, const Buffer& dy,
                          const Buffer& kernel, const Buffer& dx,
                          KernelVariant variant = KernelVariant::automatic);
void dense_backward_kernel(Recording& recording, const DenseGeometry& g, const Buffer& x,
                           const Buffer& dy, const Buffer& dkernel,
                           KernelVariant variant = KernelVariant::automatic);
void dense_backward_bias(Recording& recording, const DenseGeometry& g, const Buffer& dy,
                         const Buffer& dbias);

namespace detail {
// For tests: while one lives, on this thread, register_blocked records
// dense_gemm_blocked.comp (the shape for CPU drivers without subgroup
// shuffles) even where shuffles are available, so that both shapes are
// cross-checked on lavapipe.
class DenseWithoutShuffles {
 public:
  DenseWithoutShuffles();
  ~DenseWithoutShuffles();
  DenseWithoutShuffles(const DenseWithoutShuffles&) = delete;
  DenseWithoutShuffles& operator=(const DenseWithoutShuffles&) = delete;
};
}  // namespace detail

}  // namespace vknn::vk::ops
