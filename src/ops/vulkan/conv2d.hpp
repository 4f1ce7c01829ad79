// conv2d on Vulkan: records the forward pass and every backward pass of a
// 2-D convolution into a Recording.
//
// Contract (the same as vknn::cpu's reference loops, include/vknn/cpu/
// reference_ops.hpp): NHWC activations, kernel (kh, kw, in_c, out_c), TF
// 'same'/'valid' padding, float32. Outputs are overwritten, never
// accumulated into. Each function validates the geometry and the buffer
// sizes (vknn::Error naming the op, the buffer and the bytes needed and
// present), records its dispatches and ends with a compute barrier, so the
// next op recorded sees its outputs.
//
// Shaders: shaders/conv2d_*.comp, two variants per pass (kernel_variant.hpp):
// register_blocked for CPU drivers, shared_tiled for GPUs, and for the
// forward pass, the input gradient and the kernel gradient of 3x3 stride-1
// convolutions a third, winograd (conv2d_winograd.comp,
// conv2d_winograd_backward_kernel.comp); `automatic` measures them
// (variant_choice.hpp) or, with VKNN_AUTOTUNE=0, asks the device profile.
// Forcing a variant an op or shape does not have is an error naming it.
#pragma once

#include "vknn/ops/geometry.hpp"
#include "vulkan/fwd.hpp"
#include "ops/vulkan/kernel_variant.hpp"

namespace vknn::vk::ops {

// Whether KernelVariant::winograd can record `g`'s forward pass, input
// gradient and kernel gradient on `device`: a 3x3 kernel, stride 1, in_c and out_c multiples of
// 4, and subgroup shuffles.
bool conv2d_winograd_applies(const Conv2DGeometry& g, const Device& device);

// y = act(conv(x, kernel) + bias); act is linear or relu.
void conv2d_forward(Recording& recording, const Conv2DGeometry& g, const Buffer& x,
                    const Buffer& kernel, const Buffer& bias, const Buffer& y,
                    Activation act = Activation::linear,
                    KernelVariant variant = KernelVariant::automatic);

// dx from dy (the gradient at the convolution's linear output).
void conv2d_backward_input(Recording& recording, const Conv2DGeometry& g, const Buffer& dy,
                           const Buffer& kernel, const Buffer& dx,
                           KernelVariant variant = KernelVariant::automatic);

// dkernel = sum over batch and output pixels of x-patch * dy.
void conv2d_backward_kernel(Recording& recording, const Conv2DGeometry& g, const Buffer& x,
                            const Buffer& dy, const Buffer& dkernel,
                            KernelVariant variant = KernelVariant::automatic);

// dbias = sum of dy over batch and output pixels, per channel.
void conv2d_backward_bias(Recording& recording, const Conv2DGeometry& g, const Buffer& dy,
                          const Buffer& dbias, KernelVariant variant = KernelVariant::automatic);

}  // namespace vknn::vk::ops
