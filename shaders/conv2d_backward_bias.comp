#version 450
#extension GL_GOOGLE_include_directive : require
// conv2d backward to the bias: dbias[oc] = sum over (n, oy, ox) of dy[n,oy,ox,oc].
// Overwrites dbias.
//
// Two variants in one file (VARIANT):
//   0 register-blocked (CPU drivers): each invocation owns 4 channels (a
//     vec4 when OC_VEC4) and sums them over every pixel. No shared memory.
//     Pure load throughput: on lavapipe small workgroups (one subgroup)
//     spread the channel blocks over the CPU's threads.
//   1 shared-tiled (GPUs): a workgroup of (X, Y) invocations owns X
//     channels; its Y rows split the pixels (row t takes pixels t, t+Y, ...),
//     then sum their partials through shared memory in a fixed order.
// Both are deterministic and use no atomics.
//
// Bindings: 0 dy (NHWC), 1 dbias (out_c, written).
// Dispatch: VARIANT 0: workgroup (W, 1, 1), groups x = div_up(div_up(out_c, 4), W).
//           VARIANT 1: workgroup (X, Y, 1), groups x = div_up(out_c, X).
#include "common.glsl"
#include "conv2d_common.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(constant_id = 3) const int VARIANT = 0;
layout(constant_id = 4) const bool OC_VEC4 = false;  // out_c % 4 == 0
layout(constant_id = 5) const int SPLIT = 1;         // VARIANT 1: = workgroup size y

layout(set = 0, binding = 0) readonly buffer DY { float dy[]; };
layout(set = 0, binding = 0) readonly buffer DY4 { vec4 dy4[]; };
layout(set = 0, binding = 1) writeonly buffer DB { float dbias[]; };
layout(set = 0, binding = 1) writeonly buffer DB4 { vec4 dbias4[]; };

shared float partial[VARIANT == 1 ? SPLIT * int(gl_WorkGroupSize.x) : 1];

void register_blocked() {
  const int pixels = g.batch * g.out_h * g.out_w;
  const int oc = int(gl_GlobalInvocationID.x) * 4;
  if (oc >= g.out_c) return;
  vec4 sum = vec4(0.0);
  if (OC_VEC4) {
    for (int m = 0; m < pixels; ++m) sum += dy4[(m * g.out_c + oc) >> 2];
    dbias4[oc >> 2] = sum;
  } else {
    const int last = g.out_c - 1;
    for (int m = 0; m < pixels; ++m) {
      const int row = m * g.out_c;
      sum += vec4(dy[row + oc], dy[row + min(oc + 1, last)], dy[row + min(oc + 2, last)],
                  dy[row + min(oc + 3, last)]);
    }
    for (int j = 0; j < 4; ++j)
      if (oc + j < g.out_c) dbias[oc + j] = sum[j];
  }
}

void shared_tiled() {
  const int pixels = g.batch * g.out_h * g.out_w;
  const int width = int(gl_WorkGroupSize.x);
  const int tx = int(gl_LocalInvocationID.x), ty = int(gl_LocalInvocationID.y);
  const int oc = int(gl_WorkGroupID.x) * width + tx;
  float sum = 0.0;
  if (oc < g.out_c)
    for (int m = ty; m < pixels; m += SPLIT) sum += dy[m * g.out_c + oc];
  partial[ty * width + tx] = sum;
  barrier();
  if (ty == 0 && oc < g.out_c) {
    for (int t = 1; t < SPLIT; ++t) sum += partial[t * width + tx];
    dbias[oc] = sum;
  }
}

void main() {
  if (VARIANT == 0) register_blocked(); else shared_tiled();
}
