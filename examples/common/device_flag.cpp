#include "common/device_flag.hpp"

#include <stdexcept>

#include "vknn/error.hpp"

namespace vknn::examples {

void add_device_flag(FlagParser& flags) {
  flags.add_string("device", "",
                   "where to run: 'cpu' for the CPU reference backend, or a Vulkan device's\n"
                   "index or part of its name (build/src/vknn-info lists them); without it,\n"
                   "VKNN_DEVICE, else the best device found",
                   {}, "DEVICE");
}

std::string Target::description() const {
  if (!context) return "CPU reference (scalar loops)";
  const DeviceInfo& d = context->device_info();
  return "Vulkan: " + d.name + " (" + to_string(d.type) + ", " + d.driver_name + " " +
         d.driver_info + ")";
}

Target open_target(const FlagParser& flags) { return open_target(flags.get_string("device")); }

Target open_target(const std::string& device) {
  Target target;
  if (device == "cpu" || device == "CPU") {
    target.backend = BackendKind::cpu;
    return target;
  }
  ContextOptions options;
  if (!device.empty()) {
    // Check the name against the devices first, so a typo is reported as a
    // mistake on the command line rather than as a failure to run.
    std::vector<DeviceInfo> devices;
    try {
      devices = list_devices();
    } catch (const Error& e) {
      throw std::runtime_error(std::string(e.what()) + "\n(--device cpu runs on the CPU reference backend instead)");
    }
    options.device = device;
    try {
      choose_device_index(devices, options);
    } catch (const Error& e) {
      // The library names its API option; on the command line it is --device.
      std::string message = e.what();
      const std::string api = "ContextOptions::device=";
      if (message.rfind(api, 0) == 0) message.erase(0, api.size());
      throw UsageError("device", message + "\n(or give --device cpu for the CPU reference backend)");
    }
  }
  try {
    target.context = std::make_shared<Context>(options);
  } catch (const Error& e) {
    throw std::runtime_error(std::string(e.what()) + "\n(--device cpu runs on the CPU reference backend instead)");
  }
  return target;
}

}  // namespace vknn::examples
