// The device-side step state of a replayed training step, and the op that
// moves it on.
//
// A training step is recorded once and replayed for every batch, so what
// changes from step to step cannot live in the recording. It lives in this
// small buffer instead: gather_batch reads batch_index, the optimizers read
// the learning rate and Adam's step count, and advance_step, the last
// dispatch of the step, increments them on the device. The host touches it
// only between submissions (to start an epoch, to change the learning rate
// in a schedule) and never waits on the device after a step to do so.
//
// The layout is shaders/step_state.glsl's (std430, 32 bytes), defined once in
// src/ops/step_state.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "ops/step_state.hpp"

#include "vulkan/fwd.hpp"

namespace vknn::vk::ops {

// The layout, shared with the CPU backend and the model: src/ops/step_state.hpp.
using ::vknn::StepState;
using ::vknn::kStepStateBytes;

// A storage buffer holding `initial`.
Buffer make_step_state_buffer(Device& device, const StepState& initial,
                              std::string name = "step state");

// Host access. The caller makes sure no submission that uses the buffer is
// in flight (as for every Buffer::upload/download); the next submission
// sees the new values.
void write_step_state(Buffer& buffer, const StepState& state);
StepState read_step_state(const Buffer& buffer);
void write_learning_rate(Buffer& buffer, float learning_rate);  // 4 bytes at offset 8

// Records the step's last dispatch: iterations += 1, batch_index += 1
// (wrapping at batches_per_epoch, counting the epoch). One invocation.
// The next replay of the recording reads the new values: each recording
// starts with a barrier covering all earlier submissions. Ends with a
// barrier, as every op does.
void advance_step(Recording& recording, const Buffer& state);

// Throws vknn::Error naming `op` unless `state` can hold a StepState.
void require_step_state(const char* op, const Buffer& state);

}  // namespace vknn::vk::ops
