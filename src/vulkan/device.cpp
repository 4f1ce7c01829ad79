#include "vulkan/device.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>

#include "vknn/error.hpp"
#include "vulkan/check.hpp"
#include "vulkan/fault_injection.hpp"
#include "vulkan/pipeline.hpp"
#include "vulkan/tuning/autotuner.hpp"
#include "vulkan/tuning/pipeline_cache_file.hpp"

namespace vknn {

const char* to_string(DeviceType type) {
  switch (type) {
    case DeviceType::discrete_gpu: return "discrete GPU";
    case DeviceType::integrated_gpu: return "integrated GPU";
    case DeviceType::virtual_gpu: return "virtual GPU";
    case DeviceType::cpu: return "CPU";
    case DeviceType::other: return "other";
  }
  return "other";
}

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

int type_rank(DeviceType type) {
  switch (type) {
    case DeviceType::discrete_gpu: return 0;
    case DeviceType::integrated_gpu: return 1;
    case DeviceType::virtual_gpu: return 2;
    case DeviceType::cpu: return 3;
    case DeviceType::other: return 4;
  }
  return 5;
}

std::string device_list(const std::vector<DeviceInfo>& devices) {
  std::ostringstream s;
  for (const auto& d : devices) s << "\n  " << d.index << ": " << d.name << " (" << to_string(d.type) << ")";
  return s.str();
}

const char* kNoDeviceHelp =
    "no Vulkan device was found. Install a Vulkan driver: on Debian, mesa-vulkan-drivers "
    "(lavapipe, runs on the CPU) and libvulkan1, or your GPU vendor's driver; vknn-info lists "
    "what the loader sees";

}  // namespace

Validation validation_from_environment() {
  const char* value = std::getenv("VKNN_VALIDATION");
  if (!value || !*value) return Validation::off;
  const std::string v = lower(value);
  if (v == "0" || v == "off" || v == "false" || v == "no") return Validation::off;
  if (v == "1" || v == "on" || v == "true" || v == "yes") return Validation::on;
  if (v == "sync") return Validation::sync;
  if (v == "gpu") return Validation::gpu;
  throw Error("VKNN_VALIDATION='" + std::string(value) +
              "' is not understood; use 0/off, 1/on, sync or gpu");
}

std::uint32_t choose_device_index(const std::vector<DeviceInfo>& devices,
                                  const ContextOptions& options) {
  if (devices.empty()) throw Error(kNoDeviceHelp);
  std::string wanted;
  std::string source;
  if (options.device) {
    wanted = *options.device;
    source = "ContextOptions::device";
  } else if (const char* env = std::getenv("VKNN_DEVICE"); env && *env) {
    wanted = env;
    source = "VKNN_DEVICE";
  }
  if (!wanted.empty()) {
    const bool numeric = std::all_of(wanted.begin(), wanted.end(),
                                     [](unsigned char c) { return std::isdigit(c); });
    if (numeric) {
      const unsigned long index = std::strtoul(wanted.c_str(), nullptr, 10);
      if (index < devices.size()) return std::uint32_t(index);
      throw Error(source + "='" + wanted + "' names no device: there are " +
                  std::to_string(devices.size()) + " Vulkan device(s):" + device_list(devices));
    }
    for (const auto& d : devices) {
      if (lower(d.name).find(lower(wanted)) != std::string::npos) return d.index;
    }
    throw Error(source + "='" + wanted + "' matches no Vulkan device name; the devices are:" +
                device_list(devices) + "\n(give an index or a part of a name)");
  }
  const auto best = std::min_element(devices.begin(), devices.end(), [](const auto& a, const auto& b) {
    return type_rank(a.type) < type_rank(b.type);
  });
  return best->index;
}

std::vector<DeviceInfo> list_devices() {
  vk::Instance instance(Validation::off);
  std::vector<DeviceInfo> devices;
  const auto physical = instance.physical_devices();
  for (std::uint32_t i = 0; i < physical.size(); ++i) devices.push_back(instance.describe(physical[i], i));
  if (devices.empty()) throw Error(kNoDeviceHelp);
  return devices;
}

namespace vk {

Device::Device(const ContextOptions& options) : wait_timeout_(options.wait_timeout) {
  // First, before anything needs cleaning up: a malformed value throws.
  arm_fault_from_environment();
  const Validation validation = options.validation ? *options.validation : validation_from_environment();
  instance_ = std::make_unique<Instance>(validation, options.print_validation_messages);

  const auto physical = instance_->physical_devices();
  std::vector<DeviceInfo> devices;
  for (std::uint32_t i = 0; i < physical.size(); ++i) devices.push_back(instance_->describe(physical[i], i));
  const std::uint32_t chosen = choose_device_index(devices, options);
  physical_ = physical[chosen];
  info_ = devices[chosen];

  // One compute queue is all vknn uses: a training step is a chain of
  // dependent dispatches, so more queues would not run anything in parallel.
  std::uint32_t family_count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(physical_, &family_count, nullptr);
  std::vector<VkQueueFamilyProperties> families(family_count);
  vkGetPhysicalDeviceQueueFamilyProperties(physical_, &family_count, families.data());
  bool found = false;
  // Prefer a compute family that also does graphics: on most GPUs it is the
  // one with timestamp support and the full feature set.
  for (int pass = 0; pass < 2 && !found; ++pass) {
    for (std::uint32_t i = 0; i < family_count; ++i) {
      const bool compute = families[i].queueFlags & VK_QUEUE_COMPUTE_BIT;
      const bool graphics = families[i].queueFlags & VK_QUEUE_GRAPHICS_BIT;
      if (compute && (pass == 1 || graphics)) {
        queue_family_ = i;
        found = true;
        break;
      }
    }
  }
  if (!found) throw Error("device '" + info_.name + "' has no compute queue");
  info_.timestamps_supported = info_.timestamps_supported && families[queue_family_].timestampValidBits > 0;

  const float priority = 1.0f;
  VkDeviceQueueCreateInfo queue_info{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  queue_info.queueFamilyIndex = queue_family_;
  queue_info.queueCount = 1;
  queue_info.pQueuePriorities = &priority;

  VkDeviceCreateInfo device_info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  device_info.queueCreateInfoCount = 1;
  device_info.pQueueCreateInfos = &queue_info;
  vk_check(vkCreateDevice(physical_, &device_info, nullptr, &device_), "vkCreateDevice",
           "creating the logical device for '" + info_.name + "'");
  vkGetDeviceQueue(device_, queue_family_, 0, &queue_);

  VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pool_info.queueFamilyIndex = queue_family_;
  pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  vk_check(vkCreateCommandPool(device_, &pool_info, nullptr, &command_pool_), "vkCreateCommandPool",
           "creating the command pool");

  // With autotuning on (the default), compiled pipelines are kept between
  // runs next to the tuning cache (vulkan/tuning/pipeline_cache_file.hpp).
  if (autotune_enabled()) kept_pipeline_folder_ = cache_directory().value_or("");
  VkPhysicalDeviceProperties properties;
  vkGetPhysicalDeviceProperties(physical_, &properties);
  if (!kept_pipeline_folder_.empty()) {
    kept_pipeline_bytes_ = read_pipeline_cache(kept_pipeline_folder_, properties, print_tuning_warning);
  }
  VkPipelineCacheCreateInfo cache_info{VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
  cache_info.initialDataSize = kept_pipeline_bytes_.size();
  cache_info.pInitialData = kept_pipeline_bytes_.empty() ? nullptr : kept_pipeline_bytes_.data();
  vk_check(vkCreatePipelineCache(device_, &cache_info, nullptr, &pipeline_cache_),
           "vkCreatePipelineCache", "creating the pipeline cache");

  memory_ = std::make_unique<MemoryAllocator>(*this);

  // Unified memory: some memory type is device-local, host-visible and
  // coherent, and the device is a CPU or an integrated GPU (on discrete GPUs
  // such memory is a small BAR window that is slow to read from the host).
  if (!options.force_staging &&
      (info_.type == DeviceType::cpu || info_.type == DeviceType::integrated_gpu)) {
    VkPhysicalDeviceMemoryProperties mem;
    vkGetPhysicalDeviceMemoryProperties(physical_, &mem);
    const VkMemoryPropertyFlags want = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT |
                                       VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                       VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    for (std::uint32_t i = 0; i < mem.memoryTypeCount; ++i) {
      if ((mem.memoryTypes[i].propertyFlags & want) == want) unified_memory_ = true;
    }
  }
}

Device::~Device() {
  if (device_ != VK_NULL_HANDLE) vkDeviceWaitIdle(device_);
  for (VkFence fence : free_fences_) vkDestroyFence(device_, fence, nullptr);
  autotuner_.reset();
  pipelines_.clear();
  if (pipelines_compiled_ > 0 && !kept_pipeline_folder_.empty() &&
      pipeline_cache_ != VK_NULL_HANDLE) {
    VkPhysicalDeviceProperties properties;
    vkGetPhysicalDeviceProperties(physical_, &properties);
    write_pipeline_cache(kept_pipeline_folder_, properties, device_, pipeline_cache_,
                         kept_pipeline_bytes_, print_tuning_warning);
  }
  memory_.reset();
  if (pipeline_cache_ != VK_NULL_HANDLE) vkDestroyPipelineCache(device_, pipeline_cache_, nullptr);
  if (command_pool_ != VK_NULL_HANDLE) vkDestroyCommandPool(device_, command_pool_, nullptr);
  if (device_ != VK_NULL_HANDLE) vkDestroyDevice(device_, nullptr);
}

Autotuner& Device::autotuner() {
  if (!autotuner_) {
    autotuner_ = std::make_unique<Autotuner>(
        *this, TuningCache(cache_directory().value_or(""), tuning_identity_of(*this)));
  }
  return *autotuner_;
}

const ComputePipeline& Device::pipeline(const PipelineDesc& desc) {
  const std::string key = desc.key();
  auto it = pipelines_.find(key);
  if (it == pipelines_.end()) {
    it = pipelines_.emplace(key, std::make_unique<ComputePipeline>(*this, desc)).first;
    ++pipelines_compiled_;
  }
  return *it->second;
}

void Device::check_storage_buffer_size(std::uint64_t bytes, std::string_view what) const {
  if (bytes > info_.max_storage_buffer_range) {
    throw_limit_error(std::string(what) + " (" + format_bytes(bytes) + ")",
                      "maxStorageBufferRange, bytes", bytes, info_.max_storage_buffer_range,
                      info_.name);
  }
  if (bytes > info_.max_memory_allocation_size) {
    throw_limit_error(std::string(what), "maxMemoryAllocationSize, bytes", bytes,
                      info_.max_memory_allocation_size, info_.name);
  }
}

void Device::check_texel_buffer_elements(std::uint64_t texels, std::string_view what) const {
  if (texels > info_.max_texel_buffer_elements) {
    throw_limit_error(std::string(what) + " read as " + std::to_string(texels) + " vec4 texels",
                      "maxTexelBufferElements", texels, info_.max_texel_buffer_elements,
                      info_.name);
  }
}

void Device::check_workgroup(std::uint32_t x, std::uint32_t y, std::uint32_t z,
                             std::string_view what) const {
  const std::uint32_t size[3] = {x, y, z};
  const char* axis[3] = {"x", "y", "z"};
  for (int i = 0; i < 3; ++i) {
    if (size[i] == 0 || size[i] > info_.max_workgroup_size[i]) {
      throw_limit_error(std::string(what) + ": workgroup size " + axis[i],
                        std::string("maxComputeWorkGroupSize[") + axis[i] + "]", size[i],
                        info_.max_workgroup_size[i], info_.name);
    }
  }
  const std::uint64_t invocations = std::uint64_t(x) * y * z;
  if (invocations > info_.max_workgroup_invocations) {
    throw_limit_error(std::string(what) + ": workgroup invocations",
                      "maxComputeWorkGroupInvocations", invocations,
                      info_.max_workgroup_invocations, info_.name);
  }
}

void Device::check_group_count(std::uint32_t x, std::uint32_t y, std::uint32_t z,
                               std::string_view what) const {
  const std::uint32_t count[3] = {x, y, z};
  const char* axis[3] = {"x", "y", "z"};
  for (int i = 0; i < 3; ++i) {
    if (count[i] > info_.max_workgroup_count[i]) {
      throw_limit_error(std::string(what) + ": workgroup count " + axis[i],
                        std::string("maxComputeWorkGroupCount[") + axis[i] + "]", count[i],
                        info_.max_workgroup_count[i], info_.name);
    }
  }
}

void Device::check_shared_memory(std::uint32_t bytes, std::string_view what) const {
  if (bytes > info_.max_shared_memory_bytes) {
    throw_limit_error(std::string(what) + ": shared memory bytes", "maxComputeSharedMemorySize",
                      bytes, info_.max_shared_memory_bytes, info_.name);
  }
}

void Device::check_push_constants(std::uint32_t bytes, std::string_view what) const {
  if (bytes > info_.max_push_constant_bytes) {
    throw_limit_error(std::string(what) + ": push constant bytes", "maxPushConstantsSize", bytes,
                      info_.max_push_constant_bytes, info_.name);
  }
}

VkFence Device::acquire_fence() {
  if (!free_fences_.empty()) {
    VkFence fence = free_fences_.back();
    free_fences_.pop_back();
    return fence;
  }
  VkFenceCreateInfo info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  VkFence fence = VK_NULL_HANDLE;
  vk_check(vkCreateFence(device_, &info, nullptr, &fence), "vkCreateFence", "creating a fence");
  return fence;
}

void Device::recycle_fence(VkFence fence) {
  if (vkResetFences(device_, 1, &fence) == VK_SUCCESS) {
    free_fences_.push_back(fence);
  } else {
    vkDestroyFence(device_, fence, nullptr);
  }
}

void Device::wait_idle() {
  ++counters_.host_waits;
  VkResult r = injected_fault(FaultPoint::device_wait);  // tests only; VK_SUCCESS otherwise
  if (r == VK_SUCCESS) r = vkDeviceWaitIdle(device_);
  vk_check(r, "vkDeviceWaitIdle", "waiting for the device to finish");
}

}  // namespace vk

// ---- Context ---------------------------------------------------------------

Context::Context(const ContextOptions& options) : device_(std::make_unique<vk::Device>(options)) {}
Context::~Context() = default;
const DeviceInfo& Context::device_info() const { return device_->info(); }
Validation Context::validation() const { return device_->instance().validation(); }
std::uint64_t Context::validation_error_count() const {
  return device_->instance().validation_log().error_count();
}
std::vector<std::string> Context::validation_error_messages() const {
  return device_->instance().validation_log().errors();
}
void Context::clear_validation_errors() { device_->instance().validation_log().clear(); }

}  // namespace vknn
