#include "vulkan/shader_registry.hpp"

#include <utility>

#include "vknn/error.hpp"

namespace vknn::vk {

// Defined in the generated shader_registry_table.cpp.
extern const std::pair<std::string_view, std::span<const std::uint32_t>> kEmbeddedShaders[];
extern const std::size_t kEmbeddedShaderCount;

std::span<const std::uint32_t> embedded_shader(std::string_view name) {
  for (std::size_t i = 0; i < kEmbeddedShaderCount; ++i) {
    if (kEmbeddedShaders[i].first == name) return kEmbeddedShaders[i].second;
  }
  std::string known;
  for (std::size_t i = 0; i < kEmbeddedShaderCount; ++i) {
    known += (i ? ", " : "") + std::string(kEmbeddedShaders[i].first);
  }
  throw Error("no embedded shader named '" + std::string(name) + "' (the library has: " + known +
              ")");
}

std::vector<std::string> embedded_shader_names() {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < kEmbeddedShaderCount; ++i) {
    names.emplace_back(kEmbeddedShaders[i].first);
  }
  return names;
}

}  // namespace vknn::vk
