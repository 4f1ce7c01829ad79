// The body of an elementwise function's shader (src/backend/op.hpp's
// elementwise functions; dispatch: src/ops/vulkan/elementwise.cpp). The
// function's own file, shaders/<function>.comp, includes this and defines
// value() and derivative(), reading its parameters as p.p0 .. p.p3 in the
// order of the C++ struct's parameters():
//
//   forward   y[i] = value(x[i])                  (BACKWARD false)
//   backward  dx[i] = derivative(x[i]) * dy[i]    (BACKWARD true; x is the forward's input)
//
// Bindings: 0 x, 1 dy (backward; unread forward), 2 y (forward) or dx
// (backward). Push constants: count (> 0), p0 .. p3.
// Dispatch: groups = (min(div_up(count, local_size_x), max groups), 1, 1);
// each invocation strides over the array by the size of the whole grid.
// Spec constants: 3 BACKWARD.
#include "common.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(constant_id = 3) const bool BACKWARD = false;

layout(set = 0, binding = 0) readonly buffer In { float in_values[]; };
layout(set = 0, binding = 1) readonly buffer DY { float dy_values[]; };
layout(set = 0, binding = 2) writeonly buffer Out { float out_values[]; };
layout(push_constant) uniform Push {
  uint count;
  float p0;
  float p1;
  float p2;
  float p3;
} p;

float value(float x);
float derivative(float x);

void main() {
  const uint grid = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < p.count; i += grid) {
    const float x = in_values[i];
    if (BACKWARD) {
      out_values[i] = derivative(x) * dy_values[i];
    } else {
      out_values[i] = value(x);
    }
  }
}
