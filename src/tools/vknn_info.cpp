// vknn-info: every Vulkan device the loader sees, what vknn knows about it,
// and which one vknn would choose (honouring VKNN_DEVICE).
#include <cstdio>
#include <exception>

#include "vknn/device.hpp"
#include "vknn/error.hpp"
#include "vknn/version.hpp"

namespace {

double mib(std::uint64_t bytes) { return double(bytes) / (1024.0 * 1024.0); }

void print_device(const vknn::DeviceInfo& d, bool chosen) {
  std::printf("%s[%u] %s\n", chosen ? "* " : "  ", d.index, d.name.c_str());
  std::printf("      vendor            %s (0x%04x), device 0x%04x\n", d.vendor.c_str(), d.vendor_id,
              d.device_id);
  std::printf("      type              %s\n", vknn::to_string(d.type));
  std::printf("      driver            %s %s\n", d.driver_name.c_str(), d.driver_info.c_str());
  std::printf("      Vulkan            %s\n", d.api_version.c_str());
  std::printf("      subgroup size     %u (arithmetic %s, shuffle %s)\n", d.subgroup_size,
              d.subgroup_arithmetic ? "yes" : "no", d.subgroup_shuffle ? "yes" : "no");
  std::printf("      shared memory     %u bytes\n", d.max_shared_memory_bytes);
  std::printf("      max workgroup     %u invocations, size %u x %u x %u\n",
              d.max_workgroup_invocations, d.max_workgroup_size[0], d.max_workgroup_size[1],
              d.max_workgroup_size[2]);
  std::printf("      storage buffer    maxStorageBufferRange %.0f MiB\n",
              mib(d.max_storage_buffer_range));
  std::printf("      allocation        maxMemoryAllocationSize %.0f MiB\n",
              mib(d.max_memory_allocation_size));
  std::printf("      timestamps        %s\n", d.timestamps_supported ? "yes" : "no");
  for (std::size_t i = 0; i < d.memory_heaps.size(); ++i) {
    std::printf("      memory heap %zu     %.0f MiB%s\n", i, mib(d.memory_heaps[i].size),
                d.memory_heaps[i].device_local ? " (device-local)" : "");
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::fprintf(stderr,
                 "vknn-info takes no arguments (got '%s').\n"
                 "It lists every Vulkan device; set VKNN_DEVICE=<index or name> to change the "
                 "choice.\n",
                 argv[i]);
    return 2;
  }
  try {
    const auto devices = vknn::list_devices();
    std::printf("vknn %s: %zu Vulkan device(s); * marks the one vknn would use\n",
                vknn::version_string(), devices.size());
    std::uint32_t chosen = 0;
    try {
      chosen = vknn::choose_device_index(devices);
    } catch (const vknn::Error& e) {
      for (const auto& d : devices) print_device(d, false);
      std::fprintf(stderr, "vknn-info: %s\n", e.what());
      return 1;
    }
    for (const auto& d : devices) print_device(d, d.index == chosen);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vknn-info: %s\n", e.what());
    return 1;
  }
}
