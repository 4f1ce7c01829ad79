// How the shaders should be shaped for the chosen device.
//
// GPUs want shared-memory tiles and subgroup reductions; lavapipe runs a
// workgroup as 8-wide SIMD on CPU cores, where barriers and shared memory
// are expensive and register blocking with vec4 arithmetic pays (see
// docs/architecture.md, "Kernel variants"). Each op's dispatch code asks the
// profile which variant and sizes to use; every variant stays in the
// cross-check table.
#pragma once

#include <cstdint>

#include "vknn/device.hpp"
#include "vulkan/env_switch.hpp"

namespace vknn::vk {

struct DeviceProfile {
  // True on CPU drivers (lavapipe, SwiftShader): prefer register-blocked
  // kernels without shared memory and with few barriers.
  bool cpu_like = false;
  std::uint32_t subgroup_size = 32;
  bool subgroup_arithmetic = false;  // subgroupAdd/subgroupMax in compute
  bool subgroup_shuffle = false;     // subgroupShuffle in compute
  // Lanes that share loads through subgroupShuffle in the register-blocked
  // kernels (their SHARE_SUBGROUP constant); 0: every lane loads for itself.
  // Only on CPU drivers, where a subgroup is one SIMD vector of the reported
  // size: GPUs may run compute with another size unless it is pinned at
  // pipeline creation (the shaders poison their outputs with NaN should
  // that happen). The shaders need a power of two of at most 64.
  std::uint32_t shared_load_lanes = 0;
  std::uint32_t max_shared_memory_bytes = 32768;
  std::uint32_t max_workgroup_invocations = 256;
  // Shaders that include texel_reads.glsl read their inputs through texel
  // views: on CPU drivers (lavapipe: a gather where a storage buffer load is
  // a per-lane loop), and only where a view reaches as far as any storage
  // buffer does (SwiftShader's views hold 65536 texels). VKNN_TEXEL_READS=0
  // turns it off (the tests run the storage-buffer builds that way too).
  bool texel_reads = false;

  static DeviceProfile of(const DeviceInfo& info) {
    DeviceProfile p;
    p.cpu_like = info.type == DeviceType::cpu;
    p.subgroup_size = info.subgroup_size ? info.subgroup_size : 1;
    p.subgroup_arithmetic = info.subgroup_arithmetic;
    p.subgroup_shuffle = info.subgroup_shuffle;
    const std::uint32_t size = info.subgroup_size;
    if (p.cpu_like && p.subgroup_shuffle && size >= 1 && size <= 64 && (size & (size - 1)) == 0) {
      p.shared_load_lanes = size;
    }
    p.max_shared_memory_bytes = info.max_shared_memory_bytes;
    p.max_workgroup_invocations = info.max_workgroup_invocations;
    p.texel_reads = p.cpu_like &&
                    info.max_texel_buffer_elements * 16 >= info.max_storage_buffer_range &&
                    texel_reads_enabled();
    return p;
  }
};

}  // namespace vknn::vk
