#version 450
#extension GL_GOOGLE_include_directive : require
// Dense bias gradient: dbias[o] = sum_n dy[n*OUT + o], a column sum.
//
// One invocation per column o; neighbouring invocations read neighbouring
// columns of each row, so the loads of a row are contiguous on GPUs and the
// sum runs in row order (as the CPU reference does, in float here).
//
// Bindings: 0 dy (float[batch*out], read), 1 dbias (float[out], written).
// Push constants: batch, out (both > 0).
// Dispatch: groups = (div_up(out, local_size_x), 1, 1).
#include "common.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(set = 0, binding = 0) readonly buffer DY { float dy[]; };
layout(set = 0, binding = 1) writeonly buffer DBias { float dbias[]; };
layout(push_constant) uniform Push {
  uint batch;
  uint out_features;
} p;

void main() {
  const uint o = gl_GlobalInvocationID.x;
  if (o >= p.out_features) return;
  float sum = 0.0;
  for (uint n = 0u; n < p.batch; ++n) sum += dy[n * p.out_features + o];
  dbias[o] = sum;
}
