// How the library's own layers (the Vulkan backend, tests, benchmarks) reach
// the private device behind a public vknn::Context, which exposes nothing of
// Vulkan to users.
#pragma once

#include "vknn/device.hpp"

namespace vknn::detail {

struct ContextAccess {
  static vk::Device& device(Context& context) { return *context.device_; }
};

}  // namespace vknn::detail

namespace vknn::vk {

inline Device& device_of(Context& context) { return detail::ContextAccess::device(context); }

}  // namespace vknn::vk
