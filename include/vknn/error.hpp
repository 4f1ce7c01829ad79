// vknn::Error: the one exception type the library throws.
//
// Every message names what the library was doing and what was wrong, so a
// user can act on it without a debugger (for example "conv2d: kernel 5x5 does
// not fit a 3x3 input with padding 'valid'; use padding 'same' or a kernel of
// at most 3x3").
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>

namespace vknn {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// The device failed under running work: it was lost (VK_ERROR_DEVICE_LOST:
// a driver reset, a hang, a GPU that went away) or ran out of device or
// host memory where no check beforehand could see it coming. The Context
// is unusable after a loss: make a new one. fit, evaluate and predict
// rethrow it with where it happened, and fit with whether a backup can be
// resumed (docs/reliability.md); being a vknn::Error, code that catches
// Error catches it too (Python: vknn.Error, with the same message).
class DeviceFailure : public Error {
 public:
  DeviceFailure(const std::string& message, std::string vulkan_result,
                std::filesystem::path resumable_backup = {})
      : Error(message),
        vulkan_result_(std::move(vulkan_result)),
        resumable_backup_(std::move(resumable_backup)) {}

  // The VkResult's name, e.g. "VK_ERROR_DEVICE_LOST".
  const std::string& vulkan_result() const { return vulkan_result_; }
  // From fit: the BackupAndRestore checkpoint a new fit would resume from;
  // empty where none was kept.
  const std::filesystem::path& resumable_backup() const { return resumable_backup_; }

 private:
  std::string vulkan_result_;
  std::filesystem::path resumable_backup_;
};

}  // namespace vknn
