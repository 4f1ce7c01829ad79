#version 450
#extension GL_GOOGLE_include_directive : require
// accumulate_gradient: total[i] += gradient[i] for i < count
// (op::AccumulateGradient). A batch too big for the device trains as
// micro-batches inside one recorded step; the backward ops overwrite the
// gradients they write, so every micro-batch after the first writes its own
// and this adds it to the sum the optimizer then reads.
//
// Bindings: 0 gradient (float, read), 1 total (float, read/write).
// Push: count. Dispatch: grid-stride over count.
#include "common.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(set = 0, binding = 0) readonly buffer Gradient { float gradient[]; };
layout(set = 0, binding = 1) buffer Total { float total[]; };
layout(push_constant) uniform Push {
  uint count;
} p;

void main() {
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) total[i] += gradient[i];
}
