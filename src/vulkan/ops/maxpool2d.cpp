#include "vulkan/ops/maxpool2d.hpp"

#include <cstdint>
#include <vector>

#include "vknn/error.hpp"

#include "vulkan/device.hpp"
#include "vulkan/ops/dispatch_checks.hpp"
#include "vulkan/ops/pool2d_push.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk::ops {
namespace {

using detail::require_floats;

constexpr std::uint32_t kWorkgroup = 128;

PoolPush push_of(const Pool2DGeometry& g) { return pool_push_of(g); }

PipelineDesc pool_desc(const char* shader, std::uint32_t buffers,
                       std::vector<std::uint32_t> constants = {}) {
  PipelineDesc desc;
  desc.shader = shader;
  desc.buffer_count = buffers;
  desc.push_constant_bytes = sizeof(PoolPush);
  desc.workgroup = {kWorkgroup, 1, 1};
  desc.constants = std::move(constants);
  return desc;
}

// 4 channels per invocation (vec4 loads) where the channels allow it.
std::uint32_t channel_width(const Pool2DGeometry& g) { return g.channels % 4 == 0 ? 4 : 1; }

// Windows that do not overlap touch each input at most once.
bool windows_disjoint(const Pool2DGeometry& g) {
  return g.stride_h >= g.pool_h && g.stride_w >= g.pool_w;
}

// Whether disjoint windows leave some inputs outside every window (floor
// rounding such as 11 -> 5, or stride > pool), which must then be zeroed.
bool windows_leave_gaps(const Pool2DGeometry& g) {
  const bool rows_tiled = g.stride_h == g.pool_h && g.out_h() * g.stride_h - g.pad_top() >= g.in_h;
  const bool cols_tiled = g.stride_w == g.pool_w && g.out_w() * g.stride_w - g.pad_left() >= g.in_w;
  return !(rows_tiled && cols_tiled);
}

}  // namespace

void maxpool2d_forward(Recording& recording, const Pool2DGeometry& g, const Buffer& x,
                       const Buffer& y) {
  g.validate();
  const std::string shapes = g.describe();
  require_floats("maxpool2d_forward", "x", x, g.input_size(), shapes);
  require_floats("maxpool2d_forward", "y", y, g.output_size(), shapes);
  Device& device = recording.device();
  // One invocation per output window and group of channel_width channels.
  const std::uint32_t width = channel_width(g);
  recording.dispatch(device.pipeline(pool_desc("maxpool2d_forward", 2, {width})), {&x, &y},
                     push_of(g),
                     {detail::grid_groups(device, g.output_size() / width, kWorkgroup), 1, 1});
  recording.barrier();
}

void maxpool2d_backward(Recording& recording, const Pool2DGeometry& g, const Buffer& x,
                        const Buffer& dy, const Buffer& dx, bool relu_mask,
                        PoolBackwardVariant variant) {
  g.validate();
  const std::string shapes = g.describe();
  require_floats("maxpool2d_backward", "x", x, g.input_size(), shapes);
  require_floats("maxpool2d_backward", "dy", dy, g.output_size(), shapes);
  require_floats("maxpool2d_backward", "dx", dx, g.input_size(), shapes);
  Device& device = recording.device();
  if (variant == PoolBackwardVariant::automatic) {
    variant = windows_disjoint(g) ? PoolBackwardVariant::scatter : PoolBackwardVariant::gather;
  }
  const std::uint32_t mask = relu_mask ? 1 : 0;
  if (variant == PoolBackwardVariant::scatter) {
    if (!windows_disjoint(g)) {
      throw Error("maxpool2d_backward: the scatter variant needs windows that do not overlap "
                  "(stride >= pool); got " + shapes + "; use the gather variant");
    }
    if (windows_leave_gaps(g)) {
      recording.fill(dx, 0);
      recording.barrier();
    }
    // One invocation per window and channel group; constant 3 is the
    // channel width, 4 the relu mask.
    const std::uint32_t width = channel_width(g);
    recording.dispatch(device.pipeline(pool_desc("maxpool2d_backward_scatter", 3, {width, mask})),
                       {&x, &dy, &dx}, push_of(g),
                       {detail::grid_groups(device, g.output_size() / width, kWorkgroup), 1, 1});
  } else {
    // One invocation per input element: a gather over the windows covering it.
    recording.dispatch(device.pipeline(pool_desc("maxpool2d_backward", 3, {0, mask})),
                       {&x, &dy, &dx}, push_of(g),
                       {detail::grid_groups(device, g.input_size(), kWorkgroup), 1, 1});
  }
  recording.barrier();
}

}  // namespace vknn::vk::ops
