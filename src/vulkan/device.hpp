// The chosen physical device, its logical device and compute queue, and the
// per-device services every op uses: memory, pipelines, command pool.
#pragma once

#include <vulkan/vulkan.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "vknn/device.hpp"
#include "vulkan/instance.hpp"
#include "vulkan/memory.hpp"

namespace vknn::vk {

class ComputePipeline;
struct PipelineDesc;
class Autotuner;

// Counters the model exposes and the tests assert on (a training epoch must
// not record or wait per step).
struct DeviceCounters {
  std::uint64_t submissions = 0;
  std::uint64_t host_waits = 0;
  std::uint64_t recordings = 0;
  std::uint64_t bytes_uploaded = 0;
  std::uint64_t bytes_downloaded = 0;
  // Commands recorded into any Recording (not per submission): a benchmark
  // takes the difference across recording one program to count its
  // dispatches and pipeline barriers.
  std::uint64_t dispatches_recorded = 0;
  std::uint64_t barriers_recorded = 0;
};

class DispatchProfiler;  // command.hpp

class Device {
 public:
  explicit Device(const ContextOptions& options);
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  const DeviceInfo& info() const { return info_; }
  Instance& instance() const { return *instance_; }
  VkDevice handle() const { return device_; }
  VkPhysicalDevice physical() const { return physical_; }
  VkQueue queue() const { return queue_; }
  std::uint32_t queue_family() const { return queue_family_; }
  VkCommandPool command_pool() const { return command_pool_; }
  MemoryAllocator& memory() { return *memory_; }
  std::chrono::milliseconds wait_timeout() const { return wait_timeout_; }
  DeviceCounters& counters() { return counters_; }

  // Recordings made while a profiler is attached time each dispatch
  // (see DispatchProfiler in command.hpp); null detaches it.
  void set_dispatch_profiler(DispatchProfiler* profiler) { dispatch_profiler_ = profiler; }
  DispatchProfiler* dispatch_profiler() const { return dispatch_profiler_; }

  // True where device-local memory is also host-visible and cheap to map
  // (CPU drivers like lavapipe, most integrated GPUs): buffers are then
  // mapped directly and no staging copies are made.
  bool unified_memory() const { return unified_memory_; }

  // A pipeline for this description, compiled once and cached.
  const ComputePipeline& pipeline(const PipelineDesc& desc);
  VkPipelineCache pipeline_cache() const { return pipeline_cache_; }

  // The kernel-variant tuner of this device (vulkan/tuning/autotuner.hpp),
  // made on first use with the cache folder of cache_directory().
  Autotuner& autotuner();

  // Limit checks: each throws vknn::Error naming the limit, before the
  // request reaches the driver.
  void check_storage_buffer_size(std::uint64_t bytes, std::string_view what) const;
  void check_texel_buffer_elements(std::uint64_t texels, std::string_view what) const;
  void check_workgroup(std::uint32_t x, std::uint32_t y, std::uint32_t z,
                       std::string_view what) const;
  void check_group_count(std::uint32_t x, std::uint32_t y, std::uint32_t z,
                         std::string_view what) const;
  void check_shared_memory(std::uint32_t bytes, std::string_view what) const;
  void check_push_constants(std::uint32_t bytes, std::string_view what) const;

  // Blocks until the queue is idle (teardown, tests).
  void wait_idle();

  // Fences are reused, so a steady stream of submissions (a training
  // epoch) creates none after the first few.
  VkFence acquire_fence();
  void recycle_fence(VkFence signalled_fence);  // must be signalled or never submitted

 private:
  std::unique_ptr<Instance> instance_;
  DeviceInfo info_;
  VkPhysicalDevice physical_ = VK_NULL_HANDLE;
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue queue_ = VK_NULL_HANDLE;
  std::uint32_t queue_family_ = 0;
  VkCommandPool command_pool_ = VK_NULL_HANDLE;
  VkPipelineCache pipeline_cache_ = VK_NULL_HANDLE;
  std::unique_ptr<MemoryAllocator> memory_;
  std::map<std::string, std::unique_ptr<ComputePipeline>> pipelines_;
  std::unique_ptr<Autotuner> autotuner_;
  std::filesystem::path kept_pipeline_folder_;  // empty: the pipeline cache is not kept
  std::vector<std::uint8_t> kept_pipeline_bytes_;  // what was read from there (empty: nothing)
  std::uint64_t pipelines_compiled_ = 0;
  std::chrono::milliseconds wait_timeout_;
  DeviceCounters counters_;
  DispatchProfiler* dispatch_profiler_ = nullptr;
  bool unified_memory_ = false;
  std::vector<VkFence> free_fences_;
};

}  // namespace vknn::vk
