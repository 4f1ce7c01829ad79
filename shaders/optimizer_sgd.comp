#version 450
#extension GL_GOOGLE_include_directive : require
// optimizer_sgd: Keras SGD, one parameter tensor (vknn::cpu::sgd_update):
//   with momentum:    velocity = momentum * velocity - lr * g; w += velocity
//   momentum 0:       w -= lr * g            (velocity untouched)
// lr is the step state's learning_rate (step_state.glsl), read when the
// dispatch runs, so a schedule changes it without re-recording.
//
// The arithmetic is `precise`: no fused multiply-add, the same roundings as
// the CPU reference, so trajectories agree across devices.
//
// Specialization: constant 3 HAS_VELOCITY (bool). When false (momentum 0)
// the op binds a placeholder at binding 3 that is never accessed.
// Bindings: 0 step state (read), 1 weights (float, read/write),
// 2 gradients (float, read), 3 velocity (float, read/write). Each binding
// is also declared as vec4[], as in optimizer_adam.comp: four elements per
// step with 16-byte loads and stores, the last count % 4 through the float
// view.
// Dispatch: grid-stride over the count / 4 quads; x groups at most
// div_up(count / 4, local_size_x), fewer on CPU drivers (the op chooses).
#include "common.glsl"
#include "step_state.glsl"

VKNN_WORKGROUP_LAYOUT;
layout(constant_id = 3) const bool HAS_VELOCITY = true;

VKNN_STEP_STATE_BUFFER(0, readonly);
layout(set = 0, binding = 1) buffer Weights { float weights[]; };
layout(set = 0, binding = 2) readonly buffer Gradients { float gradients[]; };
layout(set = 0, binding = 3) buffer Velocity { float velocity[]; };
layout(set = 0, binding = 1) buffer Weights4 { vec4 weights4[]; };
layout(set = 0, binding = 2) readonly buffer Gradients4 { vec4 gradients4[]; };
layout(set = 0, binding = 3) buffer Velocity4 { vec4 velocity4[]; };
layout(push_constant) uniform Push {
  uint count;
  float momentum;
} p;

void main() {
  const float lr = step.learning_rate;
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  const uint quads = p.count / 4u;
  for (uint i = gl_GlobalInvocationID.x; i < quads; i += stride) {
    if (HAS_VELOCITY) {
      precise vec4 v = p.momentum * velocity4[i] - lr * gradients4[i];
      velocity4[i] = v;
      precise vec4 w = weights4[i] + v;
      weights4[i] = w;
    } else {
      precise vec4 w = weights4[i] - lr * gradients4[i];
      weights4[i] = w;
    }
  }
  // The tail: fewer than four elements, one per invocation.
  for (uint i = quads * 4u + gl_GlobalInvocationID.x; i < p.count; i += stride) {
    if (HAS_VELOCITY) {
      precise float v = p.momentum * velocity[i] - lr * gradients[i];
      velocity[i] = v;
      precise float w = weights[i] + v;
      weights[i] = w;
    } else {
      precise float w = weights[i] - lr * gradients[i];
      weights[i] = w;
    }
  }
}
