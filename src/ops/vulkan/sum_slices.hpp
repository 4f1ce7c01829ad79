// The second half of a deterministic split reduction (shaders/
// sum_slices.comp): slices of partial sums that a first dispatch wrote,
// added in slice order into their destination. The fused conv + relu +
// pool's parameter gradients and conv2d's split kernel gradient use it.
#pragma once

#include <cstdint>

#include "vulkan/fwd.hpp"

namespace vknn::vk::ops {

// shaders/sum_slices.comp's push block.
struct SumSlicesPush {
  std::uint32_t count;       // sums written
  std::uint32_t slices;
  std::uint32_t slice_size;  // floats per slice in partials
  std::uint32_t first;       // where in a slice the summed run starts
};
static_assert(sizeof(SumSlicesPush) == 16);
struct SumSlicesSpec {
  enum Id : std::uint32_t { vec4 = 3 };  // VEC4: runs of whole vec4s
};

// out[e] = sum over s < slices of partials[s * slice_size + first + e], for
// e < count. Records one dispatch and no barrier: independent sums of one
// set of partials can share the barrier that follows them.
void record_sum_slices(Recording& recording, const Buffer& partials, const Buffer& out,
                       std::uint32_t count, std::uint32_t slices, std::uint32_t slice_size,
                       std::uint32_t first = 0);

}  // namespace vknn::vk::ops
