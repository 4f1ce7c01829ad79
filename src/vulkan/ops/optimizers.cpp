#include "vulkan/ops/optimizers.hpp"

#include <algorithm>
#include <sstream>

#include "vknn/error.hpp"
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
using training_detail::require_recording_open;
using training_detail::workgroup_width;

namespace {

// Element-wise over every parameter, four elements per invocation (the
// shaders' vec4 views): full 256-wide groups on GPUs; on CPU drivers 64
// (8 SIMD iterations), in few groups that loop (grid_groups).
constexpr std::uint32_t kGpuWidth = 256;
constexpr std::uint32_t kCpuWidth = 64;

struct SgdPush {
  std::uint32_t count;
  float momentum;
};

struct AdamPush {
  std::uint32_t count;
  float beta_1;
  float beta_2;
  float epsilon;
};

// Invocations one pass needs: a quad each, and the count % 4 tail
// elements one each (never more than the quads' invocations plus 3).
std::uint64_t quads_and_tail(std::uint64_t count) { return std::max<std::uint64_t>((count + 3) / 4, 1); }

std::string floats(std::uint64_t count) { return std::to_string(count) + " floats"; }

void require_parameter_buffer(const char* op, const char* role, const Buffer& buffer,
                              std::uint64_t count, const char* note = "") {
  require_bytes(op, role, buffer, count * sizeof(float), floats(count) + note);
}

}  // namespace

void sgd_update(Recording& recording, const SgdConfig& config, const Buffer& state,
                std::uint64_t count, const Buffer& weights, const Buffer& gradients,
                const Buffer* velocity) {
  const char* op = "sgd_update";
  require_recording_open(op, recording);
  require_fits_u32(op, "count", count);
  // Keras refuses momentum outside [0, 1]: above 1 the velocity grows
  // without bound. `!(...)` refuses NaN too.
  if (!(config.momentum >= 0.0f && config.momentum <= 1.0f)) {
    std::ostringstream msg;
    msg << op << ": momentum must be in [0, 1], got " << config.momentum;
    throw Error(msg.str());
  }
  const bool has_velocity = config.momentum != 0.0f;
  if (has_velocity && velocity == nullptr) {
    std::ostringstream msg;
    msg << op << ": momentum is " << config.momentum << " but velocity is null; pass a buffer "
        << "of " << count << " floats (zero before the first step); only momentum 0 may omit it";
    throw Error(msg.str());
  }
  require_step_state(op, state);
  require_parameter_buffer(op, "weights", weights, count);
  require_parameter_buffer(op, "gradients", gradients, count);
  if (has_velocity) {
    require_parameter_buffer(op, "velocity", *velocity, count, ", zero before the first step");
  }
  if (count == 0) {
    recording.barrier();
    return;
  }

  Device& device = recording.device();
  PipelineDesc desc;
  desc.shader = "optimizer_sgd";
  desc.buffer_count = 4;
  desc.push_constant_bytes = sizeof(SgdPush);
  desc.workgroup = {workgroup_width(device, kGpuWidth, kCpuWidth), 1, 1};
  desc.constants = {has_velocity ? 1u : 0u};
  // Without momentum the shader never touches binding 3; the gradients
  // (already bound, read-only in use) fill the slot.
  const Buffer& velocity_slot = has_velocity ? *velocity : gradients;
  const SgdPush push{std::uint32_t(count), config.momentum};
  recording.dispatch(device.pipeline(desc), {&state, &weights, &gradients, &velocity_slot}, push,
                     {grid_groups(device, quads_and_tail(count), desc.workgroup[0]), 1, 1});
  recording.barrier();
}

void adam_update(Recording& recording, const AdamConfig& config, const Buffer& state,
                 std::uint64_t count, const Buffer& weights, const Buffer& gradients,
                 const Buffer& m, const Buffer& v) {
  const char* op = "adam_update";
  require_recording_open(op, recording);
  require_fits_u32(op, "count", count);
  // beta = 1 would make 1 - beta^t zero (alpha = inf); epsilon = 0 would
  // make a zero gradient on the first step 0 / 0.
  if (!(config.beta_1 >= 0.0f && config.beta_1 < 1.0f) ||
      !(config.beta_2 >= 0.0f && config.beta_2 < 1.0f) || !(config.epsilon > 0.0f)) {
    std::ostringstream msg;
    msg << op << ": needs beta_1 and beta_2 in [0, 1) and epsilon > 0, got beta_1 "
        << config.beta_1 << ", beta_2 " << config.beta_2 << ", epsilon " << config.epsilon;
    throw Error(msg.str());
  }
  require_step_state(op, state);
  require_parameter_buffer(op, "weights", weights, count);
  require_parameter_buffer(op, "gradients", gradients, count);
  require_parameter_buffer(op, "m", m, count, ", zero before the first step");
  require_parameter_buffer(op, "v", v, count, ", zero before the first step");
  if (count == 0) {
    recording.barrier();
    return;
  }

  Device& device = recording.device();
  PipelineDesc desc;
  desc.shader = "optimizer_adam";
  desc.buffer_count = 5;
  desc.push_constant_bytes = sizeof(AdamPush);
  desc.workgroup = {workgroup_width(device, kGpuWidth, kCpuWidth), 1, 1};
  const AdamPush push{std::uint32_t(count), config.beta_1, config.beta_2, config.epsilon};
  recording.dispatch(device.pipeline(desc), {&state, &weights, &gradients, &m, &v}, push,
                     {grid_groups(device, quads_and_tail(count), desc.workgroup[0]), 1, 1});
  recording.barrier();
}

}  // namespace vknn::vk::ops
