// Turning VkResult codes into vknn::Error.
//
// Every Vulkan call that can fail goes through vk_check, so an error message
// always names the call, the VkResult and what the library was doing, e.g.
// "vkAllocateMemory failed with VK_ERROR_OUT_OF_DEVICE_MEMORY while
// allocating 512 MiB for buffer 'conv2d/kernel'". Device loss and
// out-of-memory results throw vknn::DeviceFailure, the rest vknn::Error.
#pragma once

#include <vulkan/vulkan.h>

#include <string>
#include <string_view>

namespace vknn::vk {

const char* result_name(VkResult result);

// A loss of the device or of its memory, thrown as vknn::DeviceFailure
// (vknn/error.hpp) so fit can tell it from a usage error.
bool is_device_failure(VkResult result);

[[noreturn]] void throw_vulkan_error(VkResult result, std::string_view call,
                                     std::string_view doing);

inline void vk_check(VkResult result, std::string_view call, std::string_view doing) {
  if (result != VK_SUCCESS) throw_vulkan_error(result, call, doing);
}

// A request over a device limit is refused before it reaches the driver.
[[noreturn]] void throw_limit_error(std::string_view what, std::string_view limit_name,
                                    std::uint64_t requested, std::uint64_t limit,
                                    std::string_view device_name);

std::string format_bytes(std::uint64_t bytes);

}  // namespace vknn::vk
