#version 450
#extension GL_GOOGLE_include_directive : require
// optimizer_adam: Keras Adam, one parameter tensor (vknn::cpu::adam_update):
//   t     = step.iterations + 1            (step_state.glsl)
//   alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
//   m += (g - m) * (1 - beta_1)
//   v += (g*g - v) * (1 - beta_2)
//   w -= (m * alpha) / (sqrt(v) + epsilon)
// t and lr come from the step state when the dispatch runs, so one
// recording serves every step.
//
// The bias corrections are computed as 1 - beta^t = -expm1(t * log(beta))
// with accurate_math.glsl's helpers: Vulkan allows log() an absolute error
// of 2^-21 near 1 and exp() one ULP of 1 near 0, and 1 - 0.999^t cancels
// (for t = 1 it keeps 3 significant digits of a rounded 0.999^t); binary
// exponentiation in float is no way out either, as the rounding of each
// squaring is amplified by the later ones (8e-6 relative at t = 5000).
// This keeps 1 - beta^t within a few ULP, alpha within about 1e-6
// (relative) of the reference's double computation for every t (the test
// checks t up to 10^6).
//
// The element arithmetic is `precise` (no fused multiply-add), matching the
// reference's roundings; sqrt and division are as exact as the device's.
//
// Bindings: 0 step state (read), 1 weights, 2 gradients (read), 3 m, 4 v
// (all float; m and v zero before the first step). Each binding is also
// declared as vec4[]: invocations update four elements at a time with
// 16-byte loads and stores (lavapipe turns per-lane scalar loads into
// gathers; GPUs like wide loads too), and the last count % 4 elements
// through the float view.
// Dispatch: grid-stride over the count / 4 quads; x groups at most
// div_up(count / 4, local_size_x), fewer on CPU drivers, where every
// workgroup costs a fixed overhead (the op chooses).
#include "common.glsl"
#include "accurate_math.glsl"
#include "step_state.glsl"

VKNN_WORKGROUP_LAYOUT;

VKNN_STEP_STATE_BUFFER(0, readonly);
layout(set = 0, binding = 1) buffer Weights { float weights[]; };
layout(set = 0, binding = 2) readonly buffer Gradients { float gradients[]; };
layout(set = 0, binding = 3) buffer FirstMoment { float m[]; };
layout(set = 0, binding = 4) buffer SecondMoment { float v[]; };
layout(set = 0, binding = 1) buffer Weights4 { vec4 weights4[]; };
layout(set = 0, binding = 2) readonly buffer Gradients4 { vec4 gradients4[]; };
layout(set = 0, binding = 3) buffer FirstMoment4 { vec4 m4[]; };
layout(set = 0, binding = 4) buffer SecondMoment4 { vec4 v4[]; };
layout(push_constant) uniform Push {
  uint count;
  float beta_1;
  float beta_2;
  float epsilon;
} p;

// 1 - beta^t for beta in [0, 1), t >= 1, accurate to a few ULP.
float one_minus_power(float beta, uint t) {
  if (beta == 0.0) return 1.0;  // log(0) is undefined in GLSL
  // log(beta) near 1 by the atanh series (beta - 1 is exact for beta >= 0.5).
  const float log_beta =
      beta >= 0.5 ? vknn_two_atanh((beta - 1.0) / (beta + 1.0)) : log(beta);
  return -vknn_expm1_nonpositive(float(t) * log_beta);
}

void main() {
  const uint t = step.iterations + 1u;
  const float alpha =
      step.learning_rate * sqrt(one_minus_power(p.beta_2, t)) / one_minus_power(p.beta_1, t);
  const float one_minus_beta_1 = 1.0 - p.beta_1;  // exact for beta in [0.5, 1)
  const float one_minus_beta_2 = 1.0 - p.beta_2;
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  const uint quads = p.count / 4u;
  for (uint i = gl_GlobalInvocationID.x; i < quads; i += stride) {
    const vec4 g = gradients4[i];
    const vec4 m_old = m4[i];
    const vec4 v_old = v4[i];
    precise vec4 m_i = m_old + (g - m_old) * one_minus_beta_1;
    precise vec4 v_i = v_old + (g * g - v_old) * one_minus_beta_2;
    precise vec4 w_i = weights4[i] - (m_i * alpha) / (sqrt(v_i) + p.epsilon);
    m4[i] = m_i;
    v4[i] = v_i;
    weights4[i] = w_i;
  }
  // The tail: fewer than four elements, one per invocation.
  for (uint i = quads * 4u + gl_GlobalInvocationID.x; i < p.count; i += stride) {
    const float g = gradients[i];
    precise float m_i = m[i] + (g - m[i]) * one_minus_beta_1;
    precise float v_i = v[i] + (g * g - v[i]) * one_minus_beta_2;
    precise float w_i = weights[i] - (m_i * alpha) / (sqrt(v_i) + p.epsilon);
    m[i] = m_i;
    v[i] = v_i;
    weights[i] = w_i;
  }
}
