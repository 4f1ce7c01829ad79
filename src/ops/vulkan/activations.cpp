#include "ops/vulkan/activations.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>

#include "vknn/error.hpp"
#include "vulkan/device.hpp"
#include "ops/vulkan/activations_shaders.hpp"
#include "ops/vulkan/device_profile.hpp"
#include "ops/vulkan/dispatch.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk::ops {
namespace {

using detail::require_floats;

constexpr std::uint32_t kReluWorkgroup = 256;

void record_relu(Recording& recording, bool backward, std::int64_t count,
                 const Buffer& in, const Buffer& dy, const Buffer& out) {
  const PipelineDesc desc = detail::pipeline_1d("relu", sizeof(ReluPush), kReluWorkgroup,
                                                         {{ReluSpec::backward, backward}});
  detail::record_grid_stride(recording, desc, detail::GridStrideOp::relu, std::uint64_t(count),
                             {&in, &dy, &out}, ReluPush{std::uint32_t(count)});
}

// One workgroup per row: a power of two (the shared-memory tree needs one)
// just covering the row, capped lower on CPU drivers, where every lane of a
// workgroup is executed whether it has a class or not.
std::uint32_t softmax_workgroup(const DeviceProfile& profile, const DeviceInfo& info,
                                int classes) {
  std::uint32_t cap = profile.cpu_like ? 64 : 256;
  cap = std::min({cap, profile.max_workgroup_invocations, info.max_workgroup_size[0]});
  cap = std::bit_floor(std::max<std::uint32_t>(cap, 1));
  return std::min(cap, std::bit_ceil(std::uint32_t(classes)));
}

void record_softmax(Recording& recording, const char* op, bool backward, const ClassesGeometry& g,
                    const Buffer& in, const Buffer& dy, const Buffer& out,
                    ReductionVariant variant) {
  Device& device = recording.device();
  const DeviceProfile profile = DeviceProfile::of(device.info());
  if (variant == ReductionVariant::automatic) {
    variant = profile.subgroup_arithmetic ? ReductionVariant::subgroup
                                          : ReductionVariant::shared_memory;
  }
  if (variant == ReductionVariant::subgroup && !profile.subgroup_arithmetic) {
    throw Error(std::string(op) + ": the subgroup variant needs subgroup arithmetic in compute "
                "shaders, which device '" + device.info().name +
                "' does not offer; use ReductionVariant::shared_memory or automatic");
  }
  const SoftmaxPush push{std::uint32_t(g.batch), std::uint32_t(g.classes)};
  const std::uint32_t workgroup = softmax_workgroup(profile, device.info(), g.classes);
  PipelineDesc desc;
  desc.shader = variant == ReductionVariant::subgroup ? "softmax_subgroup" : "softmax_shared";
  desc.push_constant_bytes = sizeof(SoftmaxPush);
  desc.workgroup = {workgroup, 1, 1};
  desc.constants = {{SoftmaxSpec::backward, backward}};
  desc.shared_memory_bytes = workgroup * std::uint32_t(sizeof(float));
  const std::uint32_t groups =
      std::min<std::uint32_t>(std::uint32_t(g.batch), device.info().max_workgroup_count[0]);
  recording.dispatch(device.pipeline(desc), {&in, &dy, &out}, push, {groups, 1, 1});
  recording.barrier();
}

}  // namespace

void relu_forward(Recording& recording, std::int64_t count, const Buffer& x, const Buffer& y) {
  detail::require_element_count("relu_forward", count);
  const std::string shapes = std::to_string(count) + " elements";
  require_floats("relu_forward", "x", x, count, shapes);
  require_floats("relu_forward", "y", y, count, shapes);
  record_relu(recording, false, count, x, x, y);  // binding 1 unread
}

void relu_backward(Recording& recording, std::int64_t count, const Buffer& y, const Buffer& dy,
                   const Buffer& dx) {
  detail::require_element_count("relu_backward", count);
  const std::string shapes = std::to_string(count) + " elements";
  require_floats("relu_backward", "y", y, count, shapes);
  require_floats("relu_backward", "dy", dy, count, shapes);
  require_floats("relu_backward", "dx", dx, count, shapes);
  record_relu(recording, true, count, y, dy, dx);
}

void softmax_forward(Recording& recording, const ClassesGeometry& g, const Buffer& x,
                     const Buffer& y, ReductionVariant variant) {
  g.validate();
  const std::int64_t size = std::int64_t(g.batch) * g.classes;
  require_floats("softmax_forward", "x", x, size, g.describe());
  require_floats("softmax_forward", "y", y, size, g.describe());
  record_softmax(recording, "softmax_forward", false, g, x, x, y, variant);  // binding 1 unread
}

void softmax_backward(Recording& recording, const ClassesGeometry& g, const Buffer& y,
                      const Buffer& dy, const Buffer& dx, ReductionVariant variant) {
  g.validate();
  const std::int64_t size = std::int64_t(g.batch) * g.classes;
  require_floats("softmax_backward", "y", y, size, g.describe());
  require_floats("softmax_backward", "dy", dy, size, g.describe());
  require_floats("softmax_backward", "dx", dx, size, g.describe());
  record_softmax(recording, "softmax_backward", true, g, y, dy, dx, variant);
}

}  // namespace vknn::vk::ops
