#version 450
#extension GL_GOOGLE_include_directive : require
// accumulate_gradient: total[i] += gradient[i] for i < count
// (op::AccumulateGradient). A batch too big for the device trains as
// micro-batches inside one recorded step; the backward ops overwrite the
// gradients they write, so every micro-batch after the first writes its own
// and this adds it to the sum the optimizer then reads.
//
// Bindings: 0 gradient (float, read), 1 total (float, read/write).
// Push: count. Dispatch: grid-stride over the count / 4 quads (at least one).
#include "common.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(set = 0, binding = 0) readonly buffer Gradient { float gradient[]; };
layout(set = 0, binding = 1) buffer Total { float total[]; };
// The same buffers as vec4[]: four elements an invocation (16-byte loads,
// as optimizer_adam.comp says why), the last count % 4 through the floats.
layout(set = 0, binding = 0) readonly buffer Gradient4 { vec4 gradient4[]; };
layout(set = 0, binding = 1) buffer Total4 { vec4 total4[]; };
layout(push_constant) uniform Push {
  uint count;
} p;

void main() {
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  const uint quads = p.count / 4u;
  for (uint i = gl_GlobalInvocationID.x; i < quads; i += stride) {
    precise vec4 sum = total4[i] + gradient4[i];
    total4[i] = sum;
  }
  for (uint i = quads * 4u + gl_GlobalInvocationID.x; i < p.count; i += stride) {
    total[i] += gradient[i];
  }
}
