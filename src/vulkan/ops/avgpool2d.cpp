#include "vulkan/ops/avgpool2d.hpp"

#include <cstdint>

#include "vulkan/device.hpp"
#include "vulkan/ops/dispatch.hpp"
#include "vulkan/ops/pool2d_push.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk::ops {

using namespace detail;  // the dispatch vocabulary, dispatch.hpp

namespace {

constexpr std::uint32_t kWorkgroup = 128;

}  // namespace

void avgpool2d_forward(Recording& recording, const Pool2DGeometry& g, const Buffer& x,
                       const Buffer& y) {
  g.validate();
  const std::string shapes = g.describe();
  require_floats("avgpool2d_forward", "x", x, g.input_size(), shapes);
  require_floats("avgpool2d_forward", "y", y, g.output_size(), shapes);
  // One invocation per output element (grid-stride), in one pass as max pooling.
  record_grid_stride(recording, pipeline_1d("avgpool2d_forward", 2, sizeof(PoolPush), kWorkgroup),
                     GridStrideOp::pooling, std::uint64_t(g.output_size()), {&x, &y},
                     pool_push_of(g));
}

void avgpool2d_backward(Recording& recording, const Pool2DGeometry& g, const Buffer& dy,
                        const Buffer& dx) {
  g.validate();
  const std::string shapes = g.describe();
  require_floats("avgpool2d_backward", "dy", dy, g.output_size(), shapes);
  require_floats("avgpool2d_backward", "dx", dx, g.input_size(), shapes);
  // One invocation per input element: a gather over the windows holding it.
  record_grid_stride(recording, pipeline_1d("avgpool2d_backward", 2, sizeof(PoolPush), kWorkgroup),
                     GridStrideOp::pooling, std::uint64_t(g.input_size()), {&dy, &dx},
                     pool_push_of(g));
}

}  // namespace vknn::vk::ops
