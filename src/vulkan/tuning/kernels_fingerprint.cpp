#include "vulkan/tuning/kernels_fingerprint.hpp"

#include <algorithm>
#include <cstdio>

#include "vulkan/shader_registry.hpp"

namespace vknn::vk {
namespace {

struct Fnv1a {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  void add(const void* data, std::size_t bytes) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < bytes; ++i) {
      hash ^= p[i];
      hash *= 0x100000001b3ull;
    }
  }
};

}  // namespace

std::string kernels_fingerprint(
    std::vector<std::pair<std::string, std::span<const std::uint32_t>>> shaders) {
  std::sort(shaders.begin(), shaders.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  Fnv1a f;
  for (const auto& [name, words] : shaders) {
    // Lengths first, so that no two different lists hash the same bytes.
    const std::uint64_t sizes[2] = {name.size(), words.size()};
    f.add(sizes, sizeof sizes);
    f.add(name.data(), name.size());
    f.add(words.data(), words.size_bytes());
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(f.hash));
  return text;
}

const std::string& embedded_kernels_fingerprint() {
  static const std::string fingerprint = [] {
    std::vector<std::pair<std::string, std::span<const std::uint32_t>>> shaders;
    for (const std::string& name : embedded_shader_names()) {
      shaders.emplace_back(name, embedded_shader(name));
    }
    return kernels_fingerprint(std::move(shaders));
  }();
  return fingerprint;
}

}  // namespace vknn::vk
