// The public face of the Vulkan runtime: which devices exist, and a Context
// that owns the chosen one.
//
// Device choice, in order: ContextOptions::device (API), then the VKNN_DEVICE
// environment variable (an index from vknn-info, or a case-insensitive
// substring of the device name), else the best device by type: discrete GPU,
// then integrated, then virtual, then CPU (lavapipe).
//
// Validation: ContextOptions::validation (API), else VKNN_VALIDATION
// (0/off, 1/on, sync, gpu). When on, VK_LAYER_KHRONOS_validation runs with a
// debug messenger; messages of severity error are counted and kept so a test
// can fail on them.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vknn {

namespace vk {
class Device;  // private: src/vulkan/device.hpp
}
namespace detail {
struct ContextAccess;  // private: src/vulkan/context_access.hpp
}

enum class DeviceType { discrete_gpu, integrated_gpu, virtual_gpu, cpu, other };
const char* to_string(DeviceType type);

struct MemoryHeapInfo {
  std::uint64_t size = 0;
  bool device_local = false;
};

// What vknn-info prints and the benchmarks attach to every result.
struct DeviceInfo {
  std::uint32_t index = 0;  // position in the Vulkan enumeration
  std::string name;
  std::string vendor;  // "NVIDIA", "AMD", "Intel", "Mesa (lavapipe)", ...
  std::uint32_t vendor_id = 0;
  std::uint32_t device_id = 0;
  DeviceType type = DeviceType::other;
  std::string api_version;     // "1.3.230"
  std::string driver_name;     // VkPhysicalDeviceDriverProperties::driverName
  std::string driver_info;     // ... ::driverInfo (driver version string)
  std::uint32_t subgroup_size = 0;
  // Subgroup operations usable from compute shaders (basic, arithmetic,
  // shuffle), from VkPhysicalDeviceSubgroupProperties.
  bool subgroup_basic = false;
  bool subgroup_arithmetic = false;
  bool subgroup_shuffle = false;
  std::uint32_t max_shared_memory_bytes = 0;
  std::uint32_t max_workgroup_invocations = 0;
  std::array<std::uint32_t, 3> max_workgroup_size{};
  std::array<std::uint32_t, 3> max_workgroup_count{};
  std::uint32_t max_push_constant_bytes = 0;
  std::uint64_t max_storage_buffer_range = 0;
  std::uint64_t max_texel_buffer_elements = 0;  // texels in one texel-buffer view
  std::uint64_t max_memory_allocation_size = 0;
  bool timestamps_supported = false;
  double timestamp_period_ns = 0.0;
  std::vector<MemoryHeapInfo> memory_heaps;
};

enum class Validation { off, on, sync, gpu };

struct ContextOptions {
  // Index (as vknn-info lists them) or case-insensitive name substring.
  // Overrides VKNN_DEVICE when set.
  std::optional<std::string> device;
  // Overrides VKNN_VALIDATION when set.
  std::optional<Validation> validation;
  // Print validation warnings and errors to stderr as they arrive.
  bool print_validation_messages = true;
  // Longest a host wait on the device may take before it fails with an
  // error instead of hanging forever.
  std::chrono::milliseconds wait_timeout{std::chrono::minutes(2)};
  // Keep every buffer in device-local memory behind staging copies even on
  // unified-memory devices: the path discrete GPUs take, for testing it on
  // lavapipe.
  bool force_staging = false;
};

// Every Vulkan device present. Throws vknn::Error when there is no loader or
// no device, saying what to install.
std::vector<DeviceInfo> list_devices();

// The device vknn would choose for these options (same rules as Context).
std::uint32_t choose_device_index(const std::vector<DeviceInfo>& devices,
                                  const ContextOptions& options = {});

// Reads VKNN_VALIDATION; throws vknn::Error on an unknown value.
Validation validation_from_environment();

// Owns the Vulkan instance and the chosen device. Create one per process and
// pass it to models and ops; it is not copyable.
class Context {
 public:
  explicit Context(const ContextOptions& options = {});
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  const DeviceInfo& device_info() const;
  Validation validation() const;

  // Validation messages of severity error seen so far, and their text.
  std::uint64_t validation_error_count() const;
  std::vector<std::string> validation_error_messages() const;
  void clear_validation_errors();


 private:
  // The library's own layers reach the device through
  // src/vulkan/context_access.hpp; nothing Vulkan is public.
  friend struct detail::ContextAccess;
  std::unique_ptr<vk::Device> device_;
};

}  // namespace vknn
