#version 450
#extension GL_GOOGLE_include_directive : require
// axpy: y[i] = alpha * x[i] + y[i] for i < count.
//
// The runtime's smoke test runs it end to end (upload, dispatch from the
// embedded SPIR-V, read back); it is also the simplest example of the
// conventions every vknn shader follows: workgroup size from specialization
// constants, buffers at set 0 bindings 0..n-1, scalars in push constants.
//
// Bindings: 0 x (float[count], read), 1 y (float[count], read/write).
// Dispatch: one invocation per element, x groups = div_up(count, local_size_x).
#include "common.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(set = 0, binding = 0) readonly buffer X { float x[]; };
layout(set = 0, binding = 1) buffer Y { float y[]; };
layout(push_constant) uniform Push {
  uint count;
  float alpha;
} p;

void main() {
  uint i = gl_GlobalInvocationID.x;
  if (i < p.count) y[i] = p.alpha * x[i] + y[i];
}
