// The --device flag every example takes: which backend and Vulkan device to
// run on.
//
//   --device cpu        the CPU reference backend (scalar loops; slow, exact)
//   --device 1          the Vulkan device with that index (vknn-info lists them)
//   --device nvidia     the first Vulkan device whose name contains it
//   (not given)         VKNN_DEVICE if set, else the best device vknn finds
#pragma once

#include <memory>
#include <string>

#include "common/cli.hpp"
#include "vknn/device.hpp"
#include "vknn/model/sequential.hpp"
#include "vknn/ops/run.hpp"

namespace vknn::examples {

void add_device_flag(FlagParser& flags);

struct Target {
  BackendKind backend = BackendKind::vulkan;
  std::shared_ptr<Context> context;  // null for the CPU backend

  OpTarget op_target() const { return context ? OpTarget::on(*context) : OpTarget::cpu(); }
  // "Vulkan: llvmpipe (...)" or "CPU reference (scalar loops)".
  std::string description() const;
};

// Opens what --device asks for. A device that does not exist is a
// UsageError naming --device and listing the devices; a machine without a
// working Vulkan driver is a runtime error that suggests --device cpu.
Target open_target(const FlagParser& flags);
Target open_target(const std::string& device);

}  // namespace vknn::examples
