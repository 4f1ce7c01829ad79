// The push constants every pooling shader reads (shaders/pool2d_push.glsl,
// `layout(push_constant) uniform Push`): the Pool2DGeometry with its derived
// output size and padding. Checked against the SPIR-V by
// tests/vulkan/shader_layout_test.cpp.
#pragma once

#include <cstddef>
#include <cstdint>

#include "vknn/ops/geometry.hpp"

namespace vknn::vk::ops {

struct PoolPush {
  std::int32_t batch, in_h, in_w, channels, out_h, out_w;
  std::int32_t pool_h, pool_w, stride_h, stride_w, pad_top, pad_left;
};
static_assert(sizeof(PoolPush) == 48, "PoolPush must match shaders/pool2d_push.glsl");
static_assert(offsetof(PoolPush, pad_left) == 44);

inline PoolPush pool_push_of(const Pool2DGeometry& g) {
  return {g.batch,  g.in_h,    g.in_w,     g.channels, g.out_h(),   g.out_w(),
          g.pool_h, g.pool_w, g.stride_h, g.stride_w, g.pad_top(), g.pad_left()};
}

}  // namespace vknn::vk::ops
