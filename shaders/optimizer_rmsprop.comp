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
// 4 momentum buffer (m), each also declared as vec4[]: as in
// optimizer_adam.comp, invocations update four elements at a time with
// 16-byte loads and stores (lavapipe turns each lane's scalar load into a
// gather: the scalar shader took 110 ms of the cats-vs-dogs step, a quarter
// of it, for the 9.5 M floats of its Dense(512) kernel; 52 ms so), and the
// last count % 4 elements through the float view.
// Push: count, rho, 1 - rho, momentum, epsilon.
// Dispatch: grid-stride over the count / 4 quads (at least one invocation).
#include "common.glsl"
#include "step_state.glsl"

VKNN_WORKGROUP_LAYOUT;
layout(constant_id = 3) const bool HAS_MOMENTUM = false;

VKNN_STEP_STATE_BUFFER(0, readonly);
layout(set = 0, binding = 1) buffer Weights { float weights[]; };
layout(set = 0, binding = 2) readonly buffer Gradients { float gradients[]; };
layout(set = 0, binding = 3) buffer Velocity { float velocity[]; };
layout(set = 0, binding = 4) buffer Momentum { float momentum_buffer[]; };
layout(set = 0, binding = 1) buffer Weights4 { vec4 weights4[]; };
layout(set = 0, binding = 2) readonly buffer Gradients4 { vec4 gradients4[]; };
layout(set = 0, binding = 3) buffer Velocity4 { vec4 velocity4[]; };
layout(set = 0, binding = 4) buffer Momentum4 { vec4 momentum_buffer4[]; };
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
  const uint quads = p.count / 4u;
  for (uint i = gl_GlobalInvocationID.x; i < quads; i += stride) {
    const vec4 g = gradients4[i];
    precise vec4 v = p.rho * velocity4[i] + p.one_minus_rho * (g * g);
    velocity4[i] = v;
    precise vec4 step_size = g / (sqrt(v) + p.epsilon);
    if (HAS_MOMENTUM) {
      precise vec4 m = p.momentum * momentum_buffer4[i] + lr * step_size;
      momentum_buffer4[i] = m;
      precise vec4 w = weights4[i] - m;
      weights4[i] = w;
    } else {
      precise vec4 w = weights4[i] - lr * step_size;
      weights4[i] = w;
    }
  }
  // The tail: fewer than four elements, one per invocation.
  for (uint i = quads * 4u + gl_GlobalInvocationID.x; i < p.count; i += stride) {
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
