// The step state of a replayed training step, as both backends keep it.
//
// A training step is recorded once and replayed for every batch, so what
// changes from step to step cannot live in the recording: it lives in this
// small tensor instead. The gather reads batch_index, the optimizers read
// the learning rate and the step count, and the step's last op
// (advance_step) moves it on. The host touches it only between launches (to
// start an epoch, to change the learning rate) and never waits on the
// device after a step to do so.
//
// The layout is shaders/step_state.glsl's (std430, 32 bytes); the
// static_asserts below keep the two in step. Neutral on purpose: the CPU
// backend, the Vulkan ops and the model all read this one definition.
#pragma once

#include <cstddef>
#include <cstdint>

namespace vknn {

struct StepState {
  // The batch of the epoch this step works on: the gather takes samples
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

// The same transition on every backend: what advance_step does.
inline void advance(StepState& s) {
  ++s.batch_index;
  ++s.iterations;
  if (s.batches_per_epoch != 0 && s.batch_index >= s.batches_per_epoch) {
    s.batch_index = 0;
    ++s.epoch;
  }
}

}  // namespace vknn
