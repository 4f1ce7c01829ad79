#version 450
#extension GL_GOOGLE_include_directive : require
// dropout: y = x * scale where element i is kept, else 0 (inverted
// dropout, vknn::cpu::dropout_apply). The same op is the backward pass
// (dx = dy through the same mask), so the mask is recomputed, never stored.
//
// Mask: element i at step t = the step state's `iterations` (the optimizer
// step this training step performs) is kept when the top 24 bits of
// philox4x32_10((first_element + i, t, 0, 0), seed).x are >= threshold: the CPU's
// bits, compared as integers, so both backends drop the same elements
// (`first_element`: where a data-parallel rank's slice starts in the global batch).
// Bindings: 0 step state, 1 x (float), 2 y (float, write).
// Push: count, threshold, scale, seed (two words), first_element.
// Dispatch: grid-stride over count.
#include "common.glsl"
#include "philox.glsl"
#include "step_state.glsl"

VKNN_WORKGROUP_LAYOUT;

VKNN_STEP_STATE_BUFFER(0, readonly);
layout(set = 0, binding = 1) readonly buffer X { float x[]; };
layout(set = 0, binding = 2) writeonly buffer Y { float y[]; };
layout(push_constant) uniform Push {
  uint count;
  uint threshold;
  float scale;
  uint seed_lo;
  uint seed_hi;
  uint first_element;
} p;

void main() {
  const uint t = step.iterations;
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) {
    const uint bits = vknn_philox4x32_10(uvec4(p.first_element + i, t, 0u, 0u), uvec2(p.seed_lo, p.seed_hi)).x;
    y[i] = (bits >> 8) >= p.threshold ? x[i] * p.scale : 0.0;
  }
}
