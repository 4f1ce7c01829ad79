#include "ops/vulkan/step_state.hpp"

#include <cmath>
#include <cstddef>
#include <sstream>

#include "vknn/error.hpp"
#include "vknn/ops/geometry.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "vulkan/device.hpp"
#include "ops/vulkan/dispatch.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk::ops {

Buffer make_step_state_buffer(Device& device, const StepState& initial, std::string name) {
  Buffer buffer(device, kStepStateBytes, std::move(name));
  write_step_state(buffer, initial);
  return buffer;
}

void write_step_state(Buffer& buffer, const StepState& state) {
  require_step_state("write_step_state", buffer);
  validate_learning_rate("write_step_state", state.learning_rate);
  buffer.upload(&state, kStepStateBytes);
}

StepState read_step_state(const Buffer& buffer) {
  require_step_state("read_step_state", buffer);
  StepState state;
  buffer.download(&state, kStepStateBytes);
  return state;
}

void write_learning_rate(Buffer& buffer, float learning_rate) {
  require_step_state("write_learning_rate", buffer);
  validate_learning_rate("write_learning_rate", learning_rate);
  buffer.upload(&learning_rate, sizeof(float), offsetof(StepState, learning_rate));
}

void require_step_state(const char* op, const Buffer& state) {
  detail::require_bytes(op, "step state", state, kStepStateBytes,
                                 "one StepState, see src/ops/vulkan/step_state.hpp");
}

void advance_step(Recording& recording, const Buffer& state) {
  const char* op = "advance_step";
  detail::require_recording_open(op, recording);
  require_step_state(op, state);
  PipelineDesc desc;
  desc.shader = "step_advance";
  desc.push_constant_bytes = 0;
  // The update is not idempotent: exactly one invocation.
  desc.workgroup = {1, 1, 1};
  recording.dispatch(recording.device().pipeline(desc), {&state}, nullptr, 0, {1, 1, 1});
  recording.barrier();
}

}  // namespace vknn::vk::ops
