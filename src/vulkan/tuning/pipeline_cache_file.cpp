#include "vulkan/tuning/pipeline_cache_file.hpp"

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

#include "vknn/error.hpp"
#include "vknn/io/atomic_file.hpp"

namespace vknn::vk {
namespace {

// VkPipelineCacheHeaderVersionOne: headerSize, headerVersion, vendorID,
// deviceID (4 bytes each, little-endian on every Vulkan host vknn targets),
// then pipelineCacheUUID.
constexpr std::size_t kHeaderBytes = 16 + VK_UUID_SIZE;
// A pipeline cache of vknn's few dozen pipelines is far smaller.
constexpr std::uintmax_t kMaxFileBytes = std::uintmax_t(256) << 20;

std::uint32_t word(std::span<const std::uint8_t> bytes, std::size_t at) {
  std::uint32_t value;
  std::memcpy(&value, bytes.data() + at, 4);
  return value;
}

}  // namespace

std::string pipeline_cache_header_problem(std::span<const std::uint8_t> bytes,
                                          const VkPhysicalDeviceProperties& device) {
  if (bytes.size() < kHeaderBytes) {
    return std::to_string(bytes.size()) + " bytes, shorter than the " +
           std::to_string(kHeaderBytes) + "-byte header (truncated?)";
  }
  const std::uint32_t header_size = word(bytes, 0);
  if (header_size < kHeaderBytes || header_size > bytes.size()) {
    return "its header claims " + std::to_string(header_size) + " bytes";
  }
  if (word(bytes, 4) != VK_PIPELINE_CACHE_HEADER_VERSION_ONE) {
    return "header version " + std::to_string(word(bytes, 4)) + " is not 1";
  }
  if (word(bytes, 8) != device.vendorID || word(bytes, 12) != device.deviceID ||
      std::memcmp(bytes.data() + 16, device.pipelineCacheUUID, VK_UUID_SIZE) != 0) {
    return "it was written by another device or driver (vendor " + std::to_string(word(bytes, 8)) +
           ", device " + std::to_string(word(bytes, 12)) + ")";
  }
  return "";
}

std::filesystem::path pipeline_cache_file(const std::filesystem::path& folder,
                                          const VkPhysicalDeviceProperties& device) {
  return folder / ("pipelines-" + lowercase_hex(device.pipelineCacheUUID, VK_UUID_SIZE) + ".bin");
}

std::vector<std::uint8_t> read_pipeline_cache(const std::filesystem::path& folder,
                                              const VkPhysicalDeviceProperties& device,
                                              const TuningWarning& warn) {
  const std::filesystem::path file = pipeline_cache_file(folder, device);
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return {};
  auto ignore = [&](const std::string& problem) {
    if (warn) {
      warn("ignoring the pipeline cache " + file.string() + ": " + problem +
           "; it will be rewritten");
    }
    return std::vector<std::uint8_t>{};
  };
  const std::uintmax_t size = std::filesystem::file_size(file, ec);
  if (ec) return ignore("cannot read its size (" + ec.message() + ")");
  if (size > kMaxFileBytes) return ignore(std::to_string(size) + " bytes is too large");
  std::ifstream in(file, std::ios::binary);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  if (bytes.size() != size) return ignore("cannot read it");
  const std::string problem = pipeline_cache_header_problem(bytes, device);
  if (!problem.empty()) return ignore(problem);
  return bytes;
}

void write_pipeline_cache(const std::filesystem::path& folder,
                          const VkPhysicalDeviceProperties& device, VkDevice handle,
                          VkPipelineCache cache, const std::vector<std::uint8_t>& as_read,
                          const TuningWarning& warn) {
  const std::filesystem::path file = pipeline_cache_file(folder, device);
  try {
    std::size_t size = 0;
    if (vkGetPipelineCacheData(handle, cache, &size, nullptr) != VK_SUCCESS) {
      throw Error("vkGetPipelineCacheData failed");
    }
    std::vector<std::uint8_t> bytes(size);
    if (vkGetPipelineCacheData(handle, cache, &size, bytes.data()) != VK_SUCCESS) {
      throw Error("vkGetPipelineCacheData failed");
    }
    bytes.resize(size);
    if (bytes == as_read) return;
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec) throw Error("cannot create " + folder.string() + " (" + ec.message() + ")");
    io::write_file_atomically(file, bytes);
  } catch (const std::exception& e) {  // called from ~Device: nothing may escape
    if (warn) warn("cannot keep the pipeline cache " + file.string() + ": " + e.what());
  }
}

}  // namespace vknn::vk
