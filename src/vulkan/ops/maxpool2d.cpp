#include "vulkan/ops/maxpool2d.hpp"

#include <cstdint>

#include "vulkan/device.hpp"
#include "vulkan/ops/dispatch_checks.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk::ops {
namespace {

using detail::require_floats;

constexpr std::uint32_t kWorkgroup = 128;

// Mirrors the push-constant block of shaders/maxpool2d_window.glsl.
struct PoolPush {
  std::int32_t batch, in_h, in_w, channels, out_h, out_w;
  std::int32_t pool_h, pool_w, stride_h, stride_w, pad_top, pad_left;
};

PoolPush push_of(const Pool2DGeometry& g) {
  return {g.batch,  g.in_h,    g.in_w,     g.channels, g.out_h(),   g.out_w(),
          g.pool_h, g.pool_w, g.stride_h, g.stride_w, g.pad_top(), g.pad_left()};
}

PipelineDesc pool_desc(const char* shader, std::uint32_t buffers) {
  PipelineDesc desc;
  desc.shader = shader;
  desc.buffer_count = buffers;
  desc.push_constant_bytes = sizeof(PoolPush);
  desc.workgroup = {kWorkgroup, 1, 1};
  return desc;
}

}  // namespace

void maxpool2d_forward(Recording& recording, const Pool2DGeometry& g, const Buffer& x,
                       const Buffer& y) {
  g.validate();
  const std::string shapes = g.describe();
  require_floats("maxpool2d_forward", "x", x, g.input_size(), shapes);
  require_floats("maxpool2d_forward", "y", y, g.output_size(), shapes);
  Device& device = recording.device();
  // One invocation per output element.
  recording.dispatch(device.pipeline(pool_desc("maxpool2d_forward", 2)), {&x, &y}, push_of(g),
                     {detail::grid_groups(device, g.output_size(), kWorkgroup), 1, 1});
  recording.barrier();
}

void maxpool2d_backward(Recording& recording, const Pool2DGeometry& g, const Buffer& x,
                        const Buffer& dy, const Buffer& dx) {
  g.validate();
  const std::string shapes = g.describe();
  require_floats("maxpool2d_backward", "x", x, g.input_size(), shapes);
  require_floats("maxpool2d_backward", "dy", dy, g.output_size(), shapes);
  require_floats("maxpool2d_backward", "dx", dx, g.input_size(), shapes);
  Device& device = recording.device();
  // One invocation per input element: a gather over the windows covering it.
  recording.dispatch(device.pipeline(pool_desc("maxpool2d_backward", 3)), {&x, &dy, &dx},
                     push_of(g), {detail::grid_groups(device, g.input_size(), kWorkgroup), 1, 1});
  recording.barrier();
}

}  // namespace vknn::vk::ops
