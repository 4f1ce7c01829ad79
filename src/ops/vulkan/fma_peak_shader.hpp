// The interface of the roofline shaders vknn-bench dispatches: fma_peak.comp
// (arithmetic) and bandwidth_peak.comp (memory), checked against the
// compiled SPIR-V by tests/vulkan/shader_layout_test.cpp.
#pragma once

#include <cstdint>

namespace vknn::vk::ops {

struct FmaPeakPush {
  std::uint32_t iterations;
};

// CHAINS, fma_peak.comp `layout(constant_id = 3)`: independent FMA chains.
struct FmaPeakSpec { enum Id : std::uint32_t { chains = 3 }; };

// bandwidth_peak.comp: vec4s to copy.
struct BandwidthPeakPush {
  std::uint32_t count;
};

}  // namespace vknn::vk::ops
