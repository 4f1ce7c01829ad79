#version 450
#extension GL_GOOGLE_include_directive : require
// fma_peak: the device's arithmetic roofline, for vknn-bench. Each
// invocation runs CHAINS independent vec4 multiply-add chains for
// `iterations` steps (independent so the FMA units, not latency, limit it)
// and writes one value so the compiler cannot drop the work.
//
// Bindings: 0 out (float per invocation). Push: iterations.
// FLOPs per invocation: iterations * CHAINS * 4 lanes * 2.
// Specialization constant 3: CHAINS (8).
#include "common.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(constant_id = 3) const uint CHAINS = 8;
layout(set = 0, binding = 0) writeonly buffer Out { float result[]; };
layout(push_constant) uniform Push {
  uint iterations;
} p;

void main() {
  vec4 acc[CHAINS];
  const vec4 a = vec4(0.999, 1.001, 0.998, 1.002);
  const vec4 b = vec4(float(gl_LocalInvocationIndex) * 1e-7);
  for (uint c = 0u; c < CHAINS; ++c) acc[c] = vec4(float(c));
  for (uint i = 0u; i < p.iterations; ++i) {
    for (uint c = 0u; c < CHAINS; ++c) acc[c] = fma(acc[c], a, b);
  }
  vec4 sum = vec4(0.0);
  for (uint c = 0u; c < CHAINS; ++c) sum += acc[c];
  result[gl_GlobalInvocationID.x] = sum.x + sum.y + sum.z + sum.w;
}
