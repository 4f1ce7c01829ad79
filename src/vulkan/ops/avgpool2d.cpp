#include "vulkan/ops/avgpool2d.hpp"

#include <cstdint>

#include "vulkan/device.hpp"
#include "vulkan/ops/dispatch_checks.hpp"
#include "vulkan/ops/pool2d_push.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk::ops {
namespace {

using detail::require_floats;

constexpr std::uint32_t kWorkgroup = 128;

PipelineDesc pool_desc(const char* shader) {
  PipelineDesc desc;
  desc.shader = shader;
  desc.buffer_count = 2;
  desc.push_constant_bytes = sizeof(PoolPush);
  desc.workgroup = {kWorkgroup, 1, 1};
  return desc;
}

}  // namespace

void avgpool2d_forward(Recording& recording, const Pool2DGeometry& g, const Buffer& x,
                       const Buffer& y) {
  g.validate();
  const std::string shapes = g.describe();
  require_floats("avgpool2d_forward", "x", x, g.input_size(), shapes);
  require_floats("avgpool2d_forward", "y", y, g.output_size(), shapes);
  Device& device = recording.device();
  // One invocation per output element (grid-stride).
  recording.dispatch(device.pipeline(pool_desc("avgpool2d_forward")), {&x, &y}, pool_push_of(g),
                     {detail::grid_groups(device, g.output_size(), kWorkgroup), 1, 1});
  recording.barrier();
}

void avgpool2d_backward(Recording& recording, const Pool2DGeometry& g, const Buffer& dy,
                        const Buffer& dx) {
  g.validate();
  const std::string shapes = g.describe();
  require_floats("avgpool2d_backward", "dy", dy, g.output_size(), shapes);
  require_floats("avgpool2d_backward", "dx", dx, g.input_size(), shapes);
  Device& device = recording.device();
  // One invocation per input element: a gather over the windows holding it.
  recording.dispatch(device.pipeline(pool_desc("avgpool2d_backward")), {&dy, &dx}, pool_push_of(g),
                     {detail::grid_groups(device, g.input_size(), kWorkgroup), 1, 1});
  recording.barrier();
}

}  // namespace vknn::vk::ops
