#include "ops/vulkan/optimizers.hpp"

#include <algorithm>
#include <sstream>

#include "vknn/error.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "vulkan/device.hpp"
#include "ops/vulkan/step_state.hpp"
#include "ops/vulkan/dispatch.hpp"
#include "ops/vulkan/training_shaders.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk::ops {

using namespace detail;  // the dispatch vocabulary, dispatch.hpp

namespace {

// Element-wise over every parameter, four elements per invocation (the
// shaders' vec4 views), in elementwise_width() groups under
// GridStrideOp::optimizer's policy.

// Invocations one pass needs: a quad each, and the count % 4 tail
// elements one each (never more than the quads' invocations plus 3).
std::uint64_t quads_and_tail(std::uint64_t count) { return std::max<std::uint64_t>((count + 3) / 4, 1); }

std::string floats(std::uint64_t count) { return std::to_string(count) + " floats"; }

void require_parameter_buffer(const char* op, const char* role, const Buffer& buffer,
                              std::uint64_t count, const char* note = "") {
  require_bytes(op, role, buffer, count * sizeof(float), floats(count) + note);
}

}  // namespace

void accumulate_gradient(Recording& recording, std::uint64_t count, const Buffer& gradient,
                         const Buffer& total) {
  const char* op = "accumulate_gradient";
  require_recording_open(op, recording);
  require_positive(op, "count", count, "the parameter's elements");
  require_fits_u32(op, "count", count);
  require_parameter_buffer(op, "gradient", gradient, count);
  require_parameter_buffer(op, "total", total, count);
  record_grid_stride(recording,
                     pipeline_1d("accumulate_gradient", sizeof(ElementCountPush),
                                 elementwise_width(recording.device())),
                     GridStrideOp::optimizer, quads_and_tail(count), {&gradient, &total},
                     ElementCountPush{std::uint32_t(count)});
}

void sgd_update(Recording& recording, const SgdConfig& config, std::uint64_t count,
                const Buffer& state, const Buffer& weights, const Buffer& gradients,
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

  const PipelineDesc desc =
      pipeline_1d("optimizer_sgd", sizeof(SgdPush), elementwise_width(recording.device()),
                           {{SgdSpec::has_velocity, has_velocity}});
  // Without momentum the shader never touches binding 3; the gradients
  // (already bound, read-only in use) fill the slot.
  const Buffer& velocity_slot = has_velocity ? *velocity : gradients;
  record_grid_stride(recording, desc, GridStrideOp::optimizer, quads_and_tail(count),
                     {&state, &weights, &gradients, &velocity_slot},
                     SgdPush{std::uint32_t(count), config.momentum});
}

void adam_update(Recording& recording, const AdamConfig& config, std::uint64_t count,
                 const Buffer& state, const Buffer& weights, const Buffer& gradients,
                 const Buffer& m, const Buffer& v) {
  const char* op = "adam_update";
  require_recording_open(op, recording);
  require_fits_u32(op, "count", count);
  config.validate(op);
  require_step_state(op, state);
  require_parameter_buffer(op, "weights", weights, count);
  require_parameter_buffer(op, "gradients", gradients, count);
  require_parameter_buffer(op, "m", m, count, ", zero before the first step");
  require_parameter_buffer(op, "v", v, count, ", zero before the first step");
  if (count == 0) {
    recording.barrier();
    return;
  }

  const PipelineDesc desc = pipeline_1d("optimizer_adam", sizeof(AdamPush),
                                                 elementwise_width(recording.device()));
  record_grid_stride(recording, desc, GridStrideOp::optimizer, quads_and_tail(count),
                     {&state, &weights, &gradients, &m, &v},
                     AdamPush{std::uint32_t(count), config.beta_1, config.beta_2, config.epsilon});
}

}  // namespace vknn::vk::ops
