// The C++ side of the relu and softmax shaders' interface: push-constant
// blocks and specialization constant ids, checked against the compiled
// SPIR-V by tests/vulkan/shader_layout_test.cpp.
#pragma once

#include <cstdint>

namespace vknn::vk::ops {

// shaders/relu.comp's push block.
struct ReluPush {
  std::uint32_t count;
};

// BACKWARD, relu.comp `layout(constant_id = 3)`.
struct ReluSpec { enum Id : std::uint32_t { backward = 3 }; };

// shaders/softmax_rows.glsl's push block (softmax_shared, softmax_subgroup).
struct SoftmaxPush {
  std::uint32_t batch, classes;
};

// BACKWARD, softmax_rows.glsl `layout(constant_id = 3)`.
struct SoftmaxSpec { enum Id : std::uint32_t { backward = 3 }; };

}  // namespace vknn::vk::ops
