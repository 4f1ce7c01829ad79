// The SPIR-V of every shaders/*.comp, compiled at build time and embedded in
// the library (cmake/VknnShaders.cmake generates the table).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vknn::vk {

// The words of shaders/<name>.comp; throws vknn::Error for an unknown name.
std::span<const std::uint32_t> embedded_shader(std::string_view name);

std::vector<std::string> embedded_shader_names();

}  // namespace vknn::vk
