#include "vulkan/check.hpp"

#include <sstream>

#include "vknn/error.hpp"

namespace vknn::vk {

const char* result_name(VkResult result) {
  switch (result) {
#define VKNN_RESULT(name) \
  case name: return #name;
    VKNN_RESULT(VK_SUCCESS)
    VKNN_RESULT(VK_NOT_READY)
    VKNN_RESULT(VK_TIMEOUT)
    VKNN_RESULT(VK_EVENT_SET)
    VKNN_RESULT(VK_EVENT_RESET)
    VKNN_RESULT(VK_INCOMPLETE)
    VKNN_RESULT(VK_ERROR_OUT_OF_HOST_MEMORY)
    VKNN_RESULT(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    VKNN_RESULT(VK_ERROR_INITIALIZATION_FAILED)
    VKNN_RESULT(VK_ERROR_DEVICE_LOST)
    VKNN_RESULT(VK_ERROR_MEMORY_MAP_FAILED)
    VKNN_RESULT(VK_ERROR_LAYER_NOT_PRESENT)
    VKNN_RESULT(VK_ERROR_EXTENSION_NOT_PRESENT)
    VKNN_RESULT(VK_ERROR_FEATURE_NOT_PRESENT)
    VKNN_RESULT(VK_ERROR_INCOMPATIBLE_DRIVER)
    VKNN_RESULT(VK_ERROR_TOO_MANY_OBJECTS)
    VKNN_RESULT(VK_ERROR_FORMAT_NOT_SUPPORTED)
    VKNN_RESULT(VK_ERROR_FRAGMENTED_POOL)
    VKNN_RESULT(VK_ERROR_UNKNOWN)
    VKNN_RESULT(VK_ERROR_OUT_OF_POOL_MEMORY)
    VKNN_RESULT(VK_ERROR_INVALID_EXTERNAL_HANDLE)
    VKNN_RESULT(VK_ERROR_FRAGMENTATION)
    VKNN_RESULT(VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS)
    VKNN_RESULT(VK_PIPELINE_COMPILE_REQUIRED)
#undef VKNN_RESULT
    default: return "VK_RESULT_UNKNOWN";
  }
}

bool is_device_failure(VkResult result) {
  return result == VK_ERROR_DEVICE_LOST || result == VK_ERROR_OUT_OF_DEVICE_MEMORY ||
         result == VK_ERROR_OUT_OF_HOST_MEMORY;
}

void throw_vulkan_error(VkResult result, std::string_view call, std::string_view doing) {
  std::ostringstream msg;
  msg << call << " failed with " << result_name(result) << " (" << int(result) << ") while "
      << doing;
  if (result == VK_ERROR_DEVICE_LOST) {
    msg << "; the device was lost (a driver reset or a shader that ran too long): the Context "
           "must be recreated";
  } else if (result == VK_ERROR_OUT_OF_DEVICE_MEMORY) {
    msg << "; the device is out of memory: use a smaller batch or model";
  } else if (result == VK_ERROR_INCOMPATIBLE_DRIVER) {
    msg << "; no Vulkan driver supports the requested API version (install "
           "mesa-vulkan-drivers for lavapipe, or your GPU vendor's driver)";
  } else if (result == VK_ERROR_OUT_OF_HOST_MEMORY) {
    msg << "; the host is out of memory";
  }
  if (is_device_failure(result)) throw DeviceFailure(msg.str(), result_name(result));
  throw Error(msg.str());
}

std::string format_bytes(std::uint64_t bytes) {
  std::ostringstream s;
  if (bytes >= (1ull << 30) && bytes % (1ull << 20) == 0) {
    s << double(bytes) / double(1ull << 30) << " GiB";
  } else if (bytes >= (1ull << 20)) {
    s << double(bytes) / double(1ull << 20) << " MiB";
  } else {
    s << bytes << " bytes";
  }
  return s.str();
}

void throw_limit_error(std::string_view what, std::string_view limit_name,
                       std::uint64_t requested, std::uint64_t limit,
                       std::string_view device_name) {
  std::ostringstream msg;
  msg << what << " needs " << requested << " but the device '" << device_name << "' allows at most "
      << limit << " (" << limit_name << ")";
  throw Error(msg.str());
}

}  // namespace vknn::vk
