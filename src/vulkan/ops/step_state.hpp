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
// The layout is shaders/step_state.glsl's (std430, 32 bytes); StepState
// mirrors it and the static_asserts below keep the two in step.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace vknn::vk {
class Buffer;
class Device;
class Recording;
}  // namespace vknn::vk

namespace vknn::vk::ops {

struct StepState {
  // The batch of the epoch this step works on: gather_batch takes samples
  // order[batch_index * batch_size + i].
  std::uint32_t batch_index = 0;
  // Optimizer updates completed so far (Keras' optimizer.iterations). The
  // update in the step about to run is Adam's t = iterations + 1, so a
  // zeroed state is a valid start.
  std::uint32_t iterations = 0;
  // Read by every optimizer update when it runs.
  float learning_rate = 0.0f;
  // advance_step wraps batch_index to 0 and counts an epoch when
  // batch_index reaches this; 0 means never wrap.
  std::uint32_t batches_per_epoch = 0;
  // Epochs completed by such wraps.
  std::uint32_t epoch = 0;
  std::uint32_t reserved[3] = {0, 0, 0};
};

static_assert(sizeof(StepState) == 32, "StepState must match shaders/step_state.glsl");
static_assert(offsetof(StepState, batch_index) == 0);
static_assert(offsetof(StepState, iterations) == 4);
static_assert(offsetof(StepState, learning_rate) == 8);
static_assert(offsetof(StepState, batches_per_epoch) == 12);
static_assert(offsetof(StepState, epoch) == 16);

inline constexpr std::uint64_t kStepStateBytes = sizeof(StepState);

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
