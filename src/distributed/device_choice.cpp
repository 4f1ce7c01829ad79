// Which Vulkan device a rank uses when VKNN_DEVICE does not say: ranks on
// one machine spread over its devices of the kind vknn would choose alone
// (a workstation's two GPUs: local ranks 0 and 1 take one each; never a
// CPU driver beside a GPU). Several ranks may share one device (lavapipe).
#include <string>
#include <vector>

#include "distributed/communicator.hpp"
#include "vknn/device.hpp"

namespace vknn::distributed::detail {

std::string device_for_local_rank(int local_rank) {
  const std::vector<DeviceInfo> devices = list_devices();
  // The kind is the one a lone process would take; choose_device_index is
  // asked with VKNN_DEVICE unset by the caller, so it applies the type order.
  const DeviceType best = devices.at(choose_device_index(devices)).type;
  std::vector<std::uint32_t> candidates;
  for (const DeviceInfo& d : devices) {
    if (d.type == best) candidates.push_back(d.index);
  }
  return std::to_string(candidates[std::size_t(local_rank) % candidates.size()]);
}

}  // namespace vknn::distributed::detail
