#include "ops/vulkan/maxpool2d.hpp"

#include <cstdint>
#include <string>

#include "vknn/error.hpp"

#include "vulkan/device.hpp"
#include "ops/vulkan/dispatch.hpp"
#include "ops/vulkan/conv2d_relu_maxpool2d_shaders.hpp"
#include "ops/vulkan/maxpool2d_shaders.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk::ops {
namespace {

using namespace detail;  // the dispatch vocabulary, dispatch.hpp

constexpr std::uint32_t kWorkgroup = 128;

PoolPush push_of(const Pool2DGeometry& g) { return pool_push_of(g); }

// Records `shader` over `items` invocations.
// `texel_build`: the shader includes texel_reads.glsl (read_inputs).
void record_pool(Recording& recording, const char* shader, SpecConstants constants,
                 std::int64_t items, std::initializer_list<const Buffer*> buffers,
                 const Pool2DGeometry& g, bool texel_build = false) {
  PipelineDesc desc = pipeline_1d(shader, sizeof(PoolPush), kWorkgroup, std::move(constants));
  if (texel_build) desc = read_inputs(std::move(desc), recording.device());
  record_grid_stride(recording, desc, GridStrideOp::pooling, std::uint64_t(items), buffers,
                     push_of(g));
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
                       const Buffer& y, const Buffer* winners, bool relu_mask) {
  const char* op = "maxpool2d_forward";
  g.validate();
  const std::string shapes = g.describe();
  require_floats(op, "x", x, g.input_size(), shapes);
  require_floats(op, "y", y, g.output_size(), shapes);
  if (winners) {
    g.require_stores_winners(op);
    require_bytes(op, "winners", *winners, std::uint64_t(g.output_size()),
                  std::to_string(g.output_size()) + " winner bytes");
  }
  // One invocation per output window and group of channel_width channels.
  const std::uint32_t width = channel_width(g);
  record_pool(recording, "maxpool2d_forward",
              {{PoolSpec::channel_width, width},
               {PoolSpec::relu_mask, relu_mask ? 1u : 0u},
               {PoolSpec::winners, winners ? 1u : 0u}},
              g.output_size() / width, {&x, &y, winners ? winners : &y}, g, true);
}

void maxpool2d_backward_winners(Recording& recording, const Pool2DGeometry& g, const Buffer& dy,
                                const Buffer& winners, const Buffer& dx) {
  const char* op = "maxpool2d_backward_winners";
  g.validate();
  g.require_stores_winners(op);
  const std::string shapes = g.describe();
  require_floats(op, "dy", dy, g.output_size(), shapes);
  require_bytes(op, "winners", winners, std::uint64_t(g.output_size()),
                std::to_string(g.output_size()) + " winner bytes");
  require_floats(op, "dx", dx, g.input_size(), shapes);
  if (windows_leave_gaps(g)) {
    recording.fill(dx, 0);
    recording.barrier();
  }
  // The fused conv + relu + pool's backward from winners, whose push block
  // holds the pool's dimensions too (the conv's are not read there).
  const ConvReluPoolPush push{g.batch,   g.in_h,    g.in_w,    g.channels, g.in_h,
                              g.in_w,    g.out_h(), g.out_w(), 0,          0};
  const PipelineDesc desc = read_inputs(
      pipeline_1d("maxpool2d_backward_from_winners", sizeof(ConvReluPoolPush),
                  elementwise_width(recording.device()),
                  {{ConvReluPoolSpec::pool_h, std::uint32_t(g.pool_h)},
                   {ConvReluPoolSpec::pool_w, std::uint32_t(g.pool_w)},
                   {ConvReluPoolSpec::oc_vec4, 1u}}),
      recording.device());
  record_grid_stride(recording, desc, GridStrideOp::pooling, std::uint64_t(g.output_size() / 4),
                     {&dy, &winners, &dx}, push);
}

void maxpool2d_backward(Recording& recording, const Pool2DGeometry& g, const Buffer& x,
                        const Buffer& dy, const Buffer& dx, bool relu_mask,
                        PoolBackwardVariant variant) {
  g.validate();
  const std::string shapes = g.describe();
  require_floats("maxpool2d_backward", "x", x, g.input_size(), shapes);
  require_floats("maxpool2d_backward", "dy", dy, g.output_size(), shapes);
  require_floats("maxpool2d_backward", "dx", dx, g.input_size(), shapes);
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
    // One invocation per window and channel group.
    const std::uint32_t width = channel_width(g);
    record_pool(recording, "maxpool2d_backward_scatter",
                {{PoolSpec::channel_width, width}, {PoolSpec::relu_mask, mask}},
                g.output_size() / width, {&x, &dy, &dx}, g, true);
  } else {
    // One invocation per input element: a gather over the windows covering it.
    record_pool(recording, "maxpool2d_backward", {{PoolSpec::relu_mask, mask}}, g.input_size(),
                {&x, &dy, &dx}, g);
  }
}

}  // namespace vknn::vk::ops
