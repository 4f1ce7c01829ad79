#include "ops/vulkan/sum_slices.hpp"

#include "vulkan/command.hpp"
#include "vulkan/device.hpp"
#include "ops/vulkan/dispatch.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk::ops {
namespace {

using namespace detail;  // the dispatch vocabulary, dispatch.hpp

}  // namespace

void record_sum_slices(Recording& recording, const Buffer& partials, const Buffer& out,
                       std::uint32_t count, std::uint32_t slices, std::uint32_t slice_size,
                       std::uint32_t first) {
  Device& device = recording.device();
  // Whole vec4s where every run starts on one (the fused conv1's kernel
  // sums 4 at a time: 0.61 -> 0.33 ms).
  const bool vec4 = count % 4 == 0 && slice_size % 4 == 0 && first % 4 == 0;
  const std::uint32_t width = elementwise_width(device);
  const PipelineDesc desc = read_inputs(
      pipeline_1d("sum_slices", sizeof(SumSlicesPush), width, {{SumSlicesSpec::vec4, vec4}}),
      device);
  const std::uint32_t per_invocation = vec4 ? 4 : 1;
  recording.dispatch(device.pipeline(desc), {&partials, &out},
                     SumSlicesPush{count, slices, slice_size, first},
                     {div_up(count / per_invocation, width), 1, 1});
}

}  // namespace vknn::vk::ops
