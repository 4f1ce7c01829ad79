#version 450
#extension GL_GOOGLE_include_directive : require
// bandwidth_peak: the device's memory roofline, for vknn-bench. A plain
// copy of `count` vec4s from one buffer to another, each invocation
// striding over the arrays by the size of the whole grid (so a fixed grid
// covers any size, and neighbouring invocations touch neighbouring
// addresses: coalesced on a GPU, sequential per SIMD lane group on a CPU).
// Nothing but the loads and stores, so its bytes/s is what memory-bound
// ops (pooling, masks, gather, optimizers) are judged against.
//
// Bindings: 0 source (vec4), 1 destination (vec4). Push: count (vec4s).
// Bytes per run: count * 16 read + count * 16 written.
#include "common.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(set = 0, binding = 0) readonly buffer Source { vec4 source[]; };
layout(set = 0, binding = 1) writeonly buffer Destination { vec4 destination[]; };
layout(push_constant) uniform Push {
  uint count;
} p;

void main() {
  const uint grid = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < p.count; i += grid) destination[i] = source[i];
}
