// The C++ side of the max-pooling shaders' interface (maxpool2d_forward,
// maxpool2d_backward, maxpool2d_backward_scatter): push-constant block and
// specialization constant ids, checked against the compiled SPIR-V by
// tests/vulkan/shader_layout_test.cpp.
#pragma once

#include <cstdint>

#include "ops/vulkan/pool2d_push.hpp"  // PoolPush, shared with average pooling

namespace vknn::vk::ops {

struct PoolSpec {
  enum Id : std::uint32_t {
    // CHANNEL_WIDTH, shaders/maxpool2d_vec.glsl `layout(constant_id = 3)`:
    // channels per invocation (1 or 4); forward and scatter only.
    channel_width = 3,
    // RELU_MASK, `layout(constant_id = 4)` in both backward shaders.
    relu_mask = 4,
    // WINNERS, `layout(constant_id = 5)` in maxpool2d_forward.comp: store
    // each window's winner bytes at binding 2 (RELU_MASK says whether a
    // maximum that is not > 0 stores no winner).
    winners = 5,
  };
};

}  // namespace vknn::vk::ops
