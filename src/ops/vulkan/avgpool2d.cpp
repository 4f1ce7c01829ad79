#include "ops/vulkan/avgpool2d.hpp"

#include <cstdint>

#include "vulkan/device.hpp"
#include "ops/vulkan/dispatch.hpp"
#include "ops/vulkan/pool2d_push.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk::ops {

using namespace detail;  // the dispatch vocabulary, dispatch.hpp

namespace {

constexpr std::uint32_t kWorkgroup = 128;

// Both passes read one tensor and write the other with one invocation per
// element written, grid-stride: the forward one per output (a mean over its
// window), the backward one per input (a gather over the windows holding
// it), so neither needs atomics or a cleared output.
struct Pass {
  const char* shader;
  const char* in_role;
  std::int64_t in_count;
  const char* out_role;
  std::int64_t out_count;
};

void record_pass(Recording& recording, const Pool2DGeometry& g, const Pass& pass,
                 const Buffer& in, const Buffer& out) {
  g.validate();
  const std::string shapes = g.describe();
  require_floats(pass.shader, pass.in_role, in, pass.in_count, shapes);
  require_floats(pass.shader, pass.out_role, out, pass.out_count, shapes);
  record_grid_stride(recording, pipeline_1d(pass.shader, sizeof(PoolPush), kWorkgroup),
                     GridStrideOp::pooling, std::uint64_t(pass.out_count), {&in, &out},
                     pool_push_of(g));
}

}  // namespace

void avgpool2d_forward(Recording& recording, const Pool2DGeometry& g, const Buffer& x,
                       const Buffer& y) {
  record_pass(recording, g, {"avgpool2d_forward", "x", g.input_size(), "y", g.output_size()}, x, y);
}

void avgpool2d_backward(Recording& recording, const Pool2DGeometry& g, const Buffer& dy,
                        const Buffer& dx) {
  record_pass(recording, g, {"avgpool2d_backward", "dy", g.output_size(), "dx", g.input_size()},
              dy, dx);
}

}  // namespace vknn::vk::ops
