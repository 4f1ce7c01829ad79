#include "vulkan/ops/dropout.hpp"

#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "vulkan/device.hpp"
#include "vulkan/ops/step_state.hpp"
#include "vulkan/ops/training_checks.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk::ops {

using training_detail::grid_groups;
using training_detail::require_bytes;
using training_detail::require_fits_u32;
using training_detail::require_positive;
using training_detail::require_recording_open;
using training_detail::workgroup_width;

namespace {

constexpr std::uint32_t kGpuWidth = 256;
constexpr std::uint32_t kCpuWidth = 64;

struct DropoutPush {
  std::uint32_t count;
  std::uint32_t threshold;
  float scale;
  std::uint32_t seed_lo;
  std::uint32_t seed_hi;
};

}  // namespace

void dropout_apply(Recording& recording, const DropoutConfig& config, std::int64_t count,
                   const Buffer& state, const Buffer& x, const Buffer& y) {
  const char* op = "dropout";
  require_recording_open(op, recording);
  config.validate();
  require_positive(op, "count", count, config.describe());
  require_fits_u32(op, "count", std::uint64_t(count));
  require_step_state(op, state);
  const std::string floats = std::to_string(count) + " floats";
  require_bytes(op, "x", x, std::uint64_t(count) * 4, floats);
  require_bytes(op, "y", y, std::uint64_t(count) * 4, floats);
  Device& device = recording.device();
  PipelineDesc desc;
  desc.shader = "dropout";
  desc.buffer_count = 3;
  desc.push_constant_bytes = sizeof(DropoutPush);
  desc.workgroup = {workgroup_width(device, kGpuWidth, kCpuWidth), 1, 1};
  const DropoutPush push{std::uint32_t(count), config.threshold(), config.keep_scale(),
                         std::uint32_t(config.seed), std::uint32_t(config.seed >> 32)};
  recording.dispatch(device.pipeline(desc), {&state, &x, &y}, push,
                     {grid_groups(device, std::uint64_t(count), desc.workgroup[0]), 1, 1});
  recording.barrier();
}

}  // namespace vknn::vk::ops
