// Elementwise functions on Vulkan (src/backend/op.hpp's ElementwiseForward
// and ElementwiseBackward): one dispatch for all of them. A function's
// shader is shaders/<function>.comp, which includes elementwise.glsl for its
// bindings, push block and loop and defines only value() and derivative().
//   forward   y[i] = value(x[i])
//   backward  dx[i] = derivative(x[i]) * dy[i]
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "vulkan/fwd.hpp"

namespace vknn::vk::ops {

// elementwise.glsl's push block.
struct ElementwisePush {
  std::uint32_t count;
  float p0, p1, p2, p3;  // the function's parameters, in its order
};
struct ElementwiseSpec { enum Id : std::uint32_t { backward = 3 }; };

void elementwise_forward(Recording& recording, std::string_view function,
                         const std::array<float, 4>& parameters, std::int64_t count, const Buffer& x,
                         const Buffer& y);
void elementwise_backward(Recording& recording, std::string_view function,
                          const std::array<float, 4>& parameters, std::int64_t count, const Buffer& x,
                          const Buffer& dy, const Buffer& dx);

}  // namespace vknn::vk::ops
