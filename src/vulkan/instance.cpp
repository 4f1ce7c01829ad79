#include "vulkan/instance.hpp"

#include <cstdio>
#include <cstring>
#include <sstream>

#include "vknn/error.hpp"
#include "vulkan/check.hpp"
#include "vulkan/keep_libraries_loaded.hpp"

namespace vknn::vk {

namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

// Messages the layer repeats for things vknn does on purpose and that are
// not bugs; none at the moment, kept as the single place to add them.
bool is_ignored_message(const char* /*message*/) { return false; }

VKAPI_ATTR VkBool32 VKAPI_CALL on_validation_message(
    VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT /*types*/,
    const VkDebugUtilsMessengerCallbackDataEXT* data, void* user) {
  auto* log = static_cast<ValidationLog*>(user);
  if (data && data->pMessage && !is_ignored_message(data->pMessage)) {
    log->record(severity, data->pMessage);
  }
  // Returning VK_FALSE lets the call proceed, as the spec requires of
  // applications.
  return VK_FALSE;
}

bool layer_available(const char* name) {
  std::uint32_t count = 0;
  vkEnumerateInstanceLayerProperties(&count, nullptr);
  std::vector<VkLayerProperties> layers(count);
  vkEnumerateInstanceLayerProperties(&count, layers.data());
  for (const auto& layer : layers) {
    if (std::strcmp(layer.layerName, name) == 0) return true;
  }
  return false;
}

bool instance_extension_available(const char* name) {
  std::uint32_t count = 0;
  vkEnumerateInstanceExtensionProperties(nullptr, &count, nullptr);
  std::vector<VkExtensionProperties> extensions(count);
  vkEnumerateInstanceExtensionProperties(nullptr, &count, extensions.data());
  for (const auto& extension : extensions) {
    if (std::strcmp(extension.extensionName, name) == 0) return true;
  }
  return false;
}

std::string version_string(std::uint32_t v) {
  std::ostringstream s;
  s << VK_API_VERSION_MAJOR(v) << "." << VK_API_VERSION_MINOR(v) << "." << VK_API_VERSION_PATCH(v);
  return s.str();
}

std::string vendor_name(std::uint32_t vendor_id, const std::string& device_name) {
  switch (vendor_id) {
    case 0x10DE: return "NVIDIA";
    case 0x1002: return "AMD";
    case 0x8086: return "Intel";
    case 0x13B5: return "ARM";
    case 0x5143: return "Qualcomm";
    case 0x106B: return "Apple";
    case 0x1010: return "Imagination";
    case 0x10005: return "Mesa";  // VK_VENDOR_ID_MESA: lavapipe and other software drivers
  }
  if (device_name.find("llvmpipe") != std::string::npos) return "Mesa";
  std::ostringstream s;
  s << "vendor 0x" << std::hex << vendor_id;
  return s.str();
}

DeviceType device_type(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return DeviceType::discrete_gpu;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return DeviceType::integrated_gpu;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return DeviceType::virtual_gpu;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return DeviceType::cpu;
    default: return DeviceType::other;
  }
}

}  // namespace

void ValidationLog::record(VkDebugUtilsMessageSeverityFlagBitsEXT severity, const char* message) {
  const bool is_error = severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  if (print) {
    std::fprintf(stderr, "vknn: validation %s: %s\n", is_error ? "error" : "warning", message);
  }
  if (is_error) {
    std::lock_guard lock(mutex_);
    errors_.emplace_back(message);
    ++error_count_;
  }
}

std::vector<std::string> ValidationLog::errors() const {
  std::lock_guard lock(mutex_);
  return errors_;
}

void ValidationLog::clear() {
  std::lock_guard lock(mutex_);
  errors_.clear();
  error_count_ = 0;
}

Instance::Instance(Validation validation, bool print_validation_messages)
    : validation_(validation) {
  log_.print = print_validation_messages;

  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "vknn";
  app.pEngineName = "vknn";
  // 1.2 gives subgroup properties, driver properties and SPIR-V 1.5, which
  // every current desktop driver and lavapipe offer.
  app.apiVersion = VK_API_VERSION_1_2;

  std::vector<const char*> layers;
  std::vector<const char*> extensions;
  const bool validating = validation != Validation::off;
  if (validating) {
    if (!layer_available(kValidationLayer)) {
      throw Error(
          "validation was requested (VKNN_VALIDATION or ContextOptions::validation) but "
          "VK_LAYER_KHRONOS_validation is not installed; install the Debian package "
          "vulkan-validationlayers, or turn validation off");
    }
    layers.push_back(kValidationLayer);
    extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
  }
  // Loaders since 1.3.216 hide portability drivers (MoltenVK) unless asked.
  const bool portability = instance_extension_available("VK_KHR_portability_enumeration");
  if (portability) extensions.push_back("VK_KHR_portability_enumeration");

  VkDebugUtilsMessengerCreateInfoEXT messenger_info{
      VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
  messenger_info.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                                   VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  messenger_info.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                               VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                               VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
  messenger_info.pfnUserCallback = on_validation_message;
  messenger_info.pUserData = &log_;

  std::vector<VkValidationFeatureEnableEXT> enabled_features;
  if (validation == Validation::sync) {
    enabled_features.push_back(VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT);
  } else if (validation == Validation::gpu) {
    enabled_features.push_back(VK_VALIDATION_FEATURE_ENABLE_GPU_ASSISTED_EXT);
    enabled_features.push_back(VK_VALIDATION_FEATURE_ENABLE_GPU_ASSISTED_RESERVE_BINDING_SLOT_EXT);
  }
  VkValidationFeaturesEXT features{VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT};
  features.enabledValidationFeatureCount = std::uint32_t(enabled_features.size());
  features.pEnabledValidationFeatures = enabled_features.data();

  VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  info.pApplicationInfo = &app;
  info.enabledLayerCount = std::uint32_t(layers.size());
  info.ppEnabledLayerNames = layers.data();
  info.enabledExtensionCount = std::uint32_t(extensions.size());
  info.ppEnabledExtensionNames = extensions.data();
  if (portability) info.flags |= 0x00000001;  // VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR
  if (validating) {
    // Chained into instance creation so messages from vkCreateInstance
    // itself are caught too.
    info.pNext = &messenger_info;
    if (!enabled_features.empty()) messenger_info.pNext = &features;
  }

  VkResult result = vkCreateInstance(&info, nullptr, &instance_);
  if (result == VK_ERROR_INCOMPATIBLE_DRIVER || result == VK_ERROR_INITIALIZATION_FAILED) {
    throw Error(std::string("vkCreateInstance failed with ") + result_name(result) +
                ": no usable Vulkan driver was found. Install a Vulkan driver: on Debian, "
                "mesa-vulkan-drivers (lavapipe, runs on the CPU) and libvulkan1, or your GPU "
                "vendor's driver");
  }
  vk_check(result, "vkCreateInstance", "creating the Vulkan instance");
  // The loader has opened the drivers and layers now; sanitizer builds keep
  // them mapped past vkDestroyInstance so leak reports can name them.
  keep_loaded_libraries_resident_in_sanitizer_builds();

  if (validating) {
    auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkCreateDebugUtilsMessengerEXT"));
    if (!create) {
      vkDestroyInstance(instance_, nullptr);
      throw Error("the validation layer is present but vkCreateDebugUtilsMessengerEXT is not");
    }
    messenger_info.pNext = nullptr;
    VkResult r = create(instance_, &messenger_info, nullptr, &messenger_);
    if (r != VK_SUCCESS) {
      vkDestroyInstance(instance_, nullptr);
      vk_check(r, "vkCreateDebugUtilsMessengerEXT", "installing the validation messenger");
    }
  }
}

Instance::~Instance() {
  if (messenger_ != VK_NULL_HANDLE) {
    auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkDestroyDebugUtilsMessengerEXT"));
    if (destroy) destroy(instance_, messenger_, nullptr);
  }
  if (instance_ != VK_NULL_HANDLE) vkDestroyInstance(instance_, nullptr);
}

std::vector<VkPhysicalDevice> Instance::physical_devices() const {
  std::uint32_t count = 0;
  vk_check(vkEnumeratePhysicalDevices(instance_, &count, nullptr), "vkEnumeratePhysicalDevices",
           "listing Vulkan devices");
  std::vector<VkPhysicalDevice> devices(count);
  vk_check(vkEnumeratePhysicalDevices(instance_, &count, devices.data()),
           "vkEnumeratePhysicalDevices", "listing Vulkan devices");
  devices.resize(count);
  return devices;
}

DeviceInfo Instance::describe(VkPhysicalDevice device, std::uint32_t index) const {
  VkPhysicalDeviceDriverProperties driver{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
  VkPhysicalDeviceSubgroupProperties subgroup{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
  subgroup.pNext = &driver;
  VkPhysicalDeviceProperties2 props2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  props2.pNext = &subgroup;
  vkGetPhysicalDeviceProperties2(device, &props2);
  const VkPhysicalDeviceProperties& p = props2.properties;
  const VkPhysicalDeviceLimits& l = p.limits;

  VkPhysicalDeviceMaintenance3Properties maintenance3{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES};
  VkPhysicalDeviceProperties2 props_m3{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  props_m3.pNext = &maintenance3;
  vkGetPhysicalDeviceProperties2(device, &props_m3);

  DeviceInfo info;
  info.index = index;
  info.name = p.deviceName;
  info.vendor_id = p.vendorID;
  info.device_id = p.deviceID;
  info.vendor = vendor_name(p.vendorID, info.name);
  info.type = device_type(p.deviceType);
  info.api_version = version_string(p.apiVersion);
  info.driver_name = driver.driverName;
  info.driver_info = driver.driverInfo;
  info.subgroup_size = subgroup.subgroupSize;
  const bool in_compute = subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT;
  info.subgroup_basic = in_compute && (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_BASIC_BIT);
  info.subgroup_arithmetic =
      in_compute && (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT);
  info.subgroup_shuffle =
      in_compute && (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_SHUFFLE_BIT);
  info.max_shared_memory_bytes = l.maxComputeSharedMemorySize;
  info.max_workgroup_invocations = l.maxComputeWorkGroupInvocations;
  for (int i = 0; i < 3; ++i) {
    info.max_workgroup_size[i] = l.maxComputeWorkGroupSize[i];
    info.max_workgroup_count[i] = l.maxComputeWorkGroupCount[i];
  }
  info.max_push_constant_bytes = l.maxPushConstantsSize;
  info.max_storage_buffer_range = l.maxStorageBufferRange;
  info.max_texel_buffer_elements = l.maxTexelBufferElements;
  info.max_memory_allocation_size = maintenance3.maxMemoryAllocationSize;
  info.timestamp_period_ns = l.timestampPeriod;

  std::uint32_t family_count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(device, &family_count, nullptr);
  std::vector<VkQueueFamilyProperties> families(family_count);
  vkGetPhysicalDeviceQueueFamilyProperties(device, &family_count, families.data());
  for (const auto& family : families) {
    if ((family.queueFlags & VK_QUEUE_COMPUTE_BIT) && family.timestampValidBits > 0 &&
        l.timestampComputeAndGraphics) {
      info.timestamps_supported = true;
    }
  }

  VkPhysicalDeviceMemoryProperties memory;
  vkGetPhysicalDeviceMemoryProperties(device, &memory);
  for (std::uint32_t i = 0; i < memory.memoryHeapCount; ++i) {
    info.memory_heaps.push_back(
        {memory.memoryHeaps[i].size,
         (memory.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) != 0});
  }
  return info;
}

}  // namespace vknn::vk
