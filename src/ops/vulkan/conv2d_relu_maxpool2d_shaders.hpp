// The C++ side of the fused conv2d + relu + maxpool2d shaders' interface
// (conv2d_relu_maxpool2d_forward, maxpool2d_backward_from_winners): the
// push block of shaders/conv2d_relu_maxpool2d.glsl and the specialization
// constant ids, checked against the SPIR-V by
// tests/vulkan/shader_layout_test.cpp.
#pragma once

#include <cstddef>
#include <cstdint>

#include "vknn/ops/geometry.hpp"

namespace vknn::vk::ops {

struct ConvReluPoolPush {
  std::int32_t batch;
  std::int32_t in_h, in_w;  // conv input (its channels: the IN_C constant)
  std::int32_t channels;    // conv output channels = pooled channels
  std::int32_t map_h, map_w;  // conv output = pool input
  std::int32_t out_h, out_w;  // pooled
  std::int32_t pad_top, pad_left;
};
static_assert(sizeof(ConvReluPoolPush) == 40);

inline ConvReluPoolPush conv_relu_pool_push_of(const ConvReluPoolGeometry& g) {
  return {g.conv.batch,   g.conv.in_h,    g.conv.in_w,      g.conv.out_c,      g.conv.out_h(),
          g.conv.out_w(), g.pool.out_h(), g.pool.out_w(), g.conv.pad_top(), g.conv.pad_left()};
}

struct ConvReluPoolSpec {
  enum Id : std::uint32_t {
    pool_h = 3,           // POOL_H, both shaders (the pool's stride too)
    pool_w = 4,           // POOL_W
    oc_vec4 = 5,          // OC_VEC4: channels % 4 == 0
    kernel_h = 6,         // KERNEL_H, the forward and the parameter gradients
    kernel_w = 7,         // KERNEL_W
    conv_stride_h = 8,    // CONV_STRIDE_H
    conv_stride_w = 9,    // CONV_STRIDE_W
    channel_vecs = 10,    // CHANNEL_VECS: groups of 4 channels per invocation
    windows = 11,         // WINDOWS: pool windows per invocation
    write_winners = 12,   // WRITE_WINNERS: training
    channels = 13,        // CHANNELS: the conv's output channels, 0 = the push block's
    in_c = 14,            // IN_C: the conv's input channels, the forward and the parameter gradients
  };
};

// conv2d_relu_maxpool2d_backward_params: ids 3-9 and 14 as the forward's
// (the pool window, OC_VEC4, the conv's kernel, stride and input
// channels), and these.
struct ConvReluPoolParamsSpec {
  enum Id : std::uint32_t {
    channel_vecs = 10,  // CHANNEL_VECS: groups of 4 channels per invocation
    slices = 11,        // SLICES: runs of consecutive windows, one partial sum each
    channels = 12,      // CHANNELS: the conv's output channels, 0 = the push block's
  };
};

}  // namespace vknn::vk::ops
