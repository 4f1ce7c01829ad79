#version 450
#extension GL_GOOGLE_include_directive : require
// optimizer_rmsprop: Keras RMSprop (TensorFlow 2.11+, not centered), one
// parameter tensor (vknn::cpu::rmsprop_update):
//   v = rho * v + (1 - rho) * g^2;  step = g / (sqrt(v) + epsilon)
//   with momentum:  m = momentum * m + lr * step;  w -= m
//   momentum 0:     w -= lr * step             (m untouched)
// lr is the step state's learning_rate, read when the dispatch runs.
// `precise`: no fused multiply-add, the CPU reference's roundings.
//
// Specialization: constant 3 HAS_MOMENTUM (bool); when false the op binds
// a placeholder at binding 4 that is never accessed.
// Bindings: 0 step state, 1 weights, 2 gradients, 3 velocity (v),
// 4 momentum buffer (m). Push: count, rho, 1 - rho, momentum, epsilon.
// Dispatch: grid-stride over count.
#include "common.glsl"
#include "step_state.glsl"

VKNN_WORKGROUP_LAYOUT;
layout(constant_id = 3) const bool HAS_MOMENTUM = false;

VKNN_STEP_STATE_BUFFER(0, readonly);
layout(set = 0, binding = 1) buffer Weights { float weights[]; };
layout(set = 0, binding = 2) readonly buffer Gradients { float gradients[]; };
layout(set = 0, binding = 3) buffer Velocity { float velocity[]; };
layout(set = 0, binding = 4) buffer Momentum { float momentum_buffer[]; };
layout(push_constant) uniform Push {
  uint count;
  float rho;
  float one_minus_rho;
  float momentum;
  float epsilon;
} p;

void main() {
  const float lr = step.learning_rate;
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) {
    const float g = gradients[i];
    precise float v = p.rho * velocity[i] + p.one_minus_rho * (g * g);
    velocity[i] = v;
    precise float step_size = g / (sqrt(v) + p.epsilon);
    if (HAS_MOMENTUM) {
      precise float m = p.momentum * momentum_buffer[i] + lr * step_size;
      momentum_buffer[i] = m;
      precise float w = weights[i] - m;
      weights[i] = w;
    } else {
      precise float w = weights[i] - lr * step_size;
      weights[i] = w;
    }
  }
}
