#version 450
#extension GL_GOOGLE_include_directive : require
// The second half of a deterministic split reduction: the slices of partial
// sums a first dispatch wrote, added in slice order.
//
//   out[e] = sum over s = 0 .. slices-1 of partials[s * slice_size + first + e],
//   e < count
//
// VEC4 (constant 3): count, slice_size and first are multiples of 4, and
// each invocation adds 4 consecutive sums as vec4s (a quarter of the loads).
//
// Bindings: 0 partials (an input in the sense of texel_reads.glsl),
//           1 out (floats, written).
// Dispatch: grid-stride over count (VEC4: count / 4).
#include "common.glsl"
#include "texel_reads.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(push_constant) uniform Push {
  uint count;       // sums written
  uint slices;
  uint slice_size;  // floats per slice in partials
  uint first;       // where in a slice the summed run starts
} p;

layout(constant_id = 3) const bool VEC4 = false;

VKNN_INPUT(0, partials_in);
layout(set = 0, binding = 1) writeonly buffer Out { float sums[]; };
layout(set = 0, binding = 1) writeonly buffer Out4 { vec4 sums4[]; };

void main() {
  const uint grid = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  if (VEC4) {
    for (uint e = gl_GlobalInvocationID.x; e < p.count / 4u; e += grid) {
      vec4 sum = vec4(0.0);
      for (uint s = 0u; s < p.slices; ++s)
        sum += VKNN_LOAD4(partials_in, (s * p.slice_size + p.first) / 4u + e);
      sums4[e] = sum;
    }
  } else {
    for (uint e = gl_GlobalInvocationID.x; e < p.count; e += grid) {
      float sum = 0.0;
      for (uint s = 0u; s < p.slices; ++s) sum += VKNN_LOAD1(partials_in, s * p.slice_size + p.first + e);
      sums[e] = sum;
    }
  }
}
