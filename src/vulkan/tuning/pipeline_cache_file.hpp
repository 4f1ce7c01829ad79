// The VkPipelineCache kept between runs, next to the tuning cache, so a
// later run's first fit compiles (almost) nothing: read into
// VkPipelineCacheCreateInfo::pInitialData when the Device is made, written
// atomically when it is destroyed, in pipelines-<pipelineCacheUUID>.bin.
//
// vknn checks the file's header (Vulkan's VkPipelineCacheHeaderVersionOne:
// size, version, vendor, device, pipelineCacheUUID) before handing it over;
// a short, corrupt or foreign file is ignored with one warning and
// replaced at the end of the run; a file that cannot be written is one
// warning. Never an error.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "vulkan/tuning/tuning_cache.hpp"

namespace vknn::vk {

std::filesystem::path pipeline_cache_file(const std::filesystem::path& folder,
                                          const VkPhysicalDeviceProperties& device);

// Why `bytes` is not a pipeline cache of `device` (short, a header size or
// version that is not Vulkan's, another vendor, device or
// pipelineCacheUUID), or "" where its header is this device's. Pure: the
// tests and tests/fuzz/pipeline_cache_fuzzer.cpp call it without a device.
std::string pipeline_cache_header_problem(std::span<const std::uint8_t> bytes,
                                          const VkPhysicalDeviceProperties& device);

// The file's bytes if its header is this device's, else empty (with a
// warning where a file was there but unusable).
std::vector<std::uint8_t> read_pipeline_cache(const std::filesystem::path& folder,
                                              const VkPhysicalDeviceProperties& device,
                                              const TuningWarning& warn);

// Writes `cache`'s data atomically unless it equals `as_read` (the file's
// bytes when the run began: rewriting them would only cost an fsync, in
// every process of a test suite); failures are a warning.
void write_pipeline_cache(const std::filesystem::path& folder,
                          const VkPhysicalDeviceProperties& device, VkDevice handle,
                          VkPipelineCache cache, const std::vector<std::uint8_t>& as_read,
                          const TuningWarning& warn);

}  // namespace vknn::vk
