#version 450
#extension GL_GOOGLE_include_directive : require
// Softmax forward and backward, one workgroup per row, reducing with a tree
// in shared memory: the fallback for devices without subgroup arithmetic in
// compute. local_size_x must be a power of two.
//
// Contract, bindings, push constants, dispatch: see softmax_rows.glsl.
#include "common.glsl"

VKNN_WORKGROUP_LAYOUT;

shared float scratch[gl_WorkGroupSize.x];

float workgroup_reduce(float value, bool take_max) {
  const uint lane = gl_LocalInvocationID.x;
  scratch[lane] = value;
  barrier();
  for (uint half_size = gl_WorkGroupSize.x / 2u; half_size > 0u; half_size /= 2u) {
    if (lane < half_size) {
      const float other = scratch[lane + half_size];
      scratch[lane] = take_max ? max(scratch[lane], other) : scratch[lane] + other;
    }
    barrier();
  }
  const float result = scratch[0];
  // Every invocation has read the result before the next reduction writes.
  barrier();
  return result;
}

float workgroup_max(float value) { return workgroup_reduce(value, true); }
float workgroup_sum(float value) { return workgroup_reduce(value, false); }

#include "softmax_rows.glsl"
