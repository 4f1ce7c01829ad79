// The Vulkan instance, with the validation layer and its messenger when
// asked for.
#pragma once

#include <vulkan/vulkan.h>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "vknn/device.hpp"

namespace vknn::vk {

// Collects what the validation layer reports. Errors are counted and kept;
// warnings are only printed (when printing is on).
class ValidationLog {
 public:
  void record(VkDebugUtilsMessageSeverityFlagBitsEXT severity, const char* message);
  std::uint64_t error_count() const { return error_count_.load(); }
  std::vector<std::string> errors() const;
  void clear();
  bool print = true;

 private:
  std::atomic<std::uint64_t> error_count_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> errors_;
};

class Instance {
 public:
  // Throws vknn::Error when there is no Vulkan loader or driver, or when
  // validation is asked for and the layer is not installed.
  explicit Instance(Validation validation, bool print_validation_messages = true);
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  VkInstance handle() const { return instance_; }
  Validation validation() const { return validation_; }
  ValidationLog& validation_log() { return log_; }

  std::vector<VkPhysicalDevice> physical_devices() const;
  DeviceInfo describe(VkPhysicalDevice device, std::uint32_t index) const;

 private:
  VkInstance instance_ = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
  Validation validation_ = Validation::off;
  ValidationLog log_;
};

}  // namespace vknn::vk
