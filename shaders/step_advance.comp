#version 450
#extension GL_GOOGLE_include_directive : require
// step_advance: the last dispatch of a recorded training step. Moves the
// device-side step state (step_state.glsl) on to the next step:
//   iterations += 1
//   batch_index += 1; if batch_index reaches batches_per_epoch (and that is not
//   0): batch_index = 0, epoch += 1
// The next replay of the step sees these values because every recording
// starts with a barrier that covers all earlier submissions.
//
// Bindings: 0 step state (read/write).
// Dispatch: exactly one workgroup of one invocation (workgroup size 1x1x1);
// the update is not idempotent, so more invocations would apply it more
// than once.
#include "common.glsl"
#include "step_state.glsl"

VKNN_WORKGROUP_LAYOUT;

VKNN_STEP_STATE_BUFFER(0, );

void main() {
  if (gl_GlobalInvocationID.x != 0u) return;
  step.iterations += 1u;
  uint next = step.batch_index + 1u;
  if (step.batches_per_epoch != 0u && next >= step.batches_per_epoch) {
    next = 0u;
    step.epoch += 1u;
  }
  step.batch_index = next;
}
