#version 450
#extension GL_GOOGLE_include_directive : require
// relu forward and backward, element-wise over `count` floats.
//
//   forward   y = x < 0 ? 0 : x          (a NaN passes through, as on the CPU)
//   backward  dx = y > 0 ? dy : 0        (y is relu's output: y > 0 iff x > 0)
//
// Bindings: 0 x (forward) or y (backward), 1 dy (backward; unread forward),
// 2 y (forward) or dx (backward).
// Push constants: count (> 0).
// Dispatch: groups = (min(div_up(count, local_size_x), max groups), 1, 1);
// each invocation strides over the array by the size of the whole grid.
// Spec constants: 3 BACKWARD.
#include "common.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(constant_id = 3) const bool BACKWARD = false;

layout(set = 0, binding = 0) readonly buffer In { float in_values[]; };
layout(set = 0, binding = 1) readonly buffer DY { float dy[]; };
layout(set = 0, binding = 2) writeonly buffer Out { float out_values[]; };
layout(push_constant) uniform Push {
  uint count;
} p;

void main() {
  const uint grid = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < p.count; i += grid) {
    const float value = in_values[i];
    if (BACKWARD) {
      out_values[i] = value > 0.0 ? dy[i] : 0.0;
    } else {
      out_values[i] = value < 0.0 ? 0.0 : value;
    }
  }
}
