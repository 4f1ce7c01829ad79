// The interface of shaders/fma_peak.comp, the FMA roofline benchmark that
// vknn-bench dispatches (bench/vknn_bench.cpp), checked against the compiled
// SPIR-V by tests/vulkan/shader_layout_test.cpp.
#pragma once

#include <cstdint>

namespace vknn::vk::ops {

struct FmaPeakPush {
  std::uint32_t iterations;
};

// CHAINS, fma_peak.comp `layout(constant_id = 3)`: independent FMA chains.
struct FmaPeakSpec { enum Id : std::uint32_t { chains = 3 }; };

}  // namespace vknn::vk::ops
