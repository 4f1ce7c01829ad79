#version 450
#extension GL_GOOGLE_include_directive : require
// maxpool2d_forward: y[n,oy,ox,c] = max over the window of x (NHWC).
//
// Bindings: 0 x (float/vec4 view; an input in the sense of texel_reads.glsl),
//           1 y (float/vec4 view). Push: geometry
// (maxpool2d_vec.glsl). Dispatch: grid-stride over
// batch*out_h*out_w*(channels / CHANNEL_WIDTH) items, one window each.
#include "common.glsl"
#include "texel_reads.glsl"
#include "maxpool2d_vec.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(set = 0, binding = 1) writeonly buffer Y { float y[]; };
layout(set = 0, binding = 1) writeonly buffer Y4 { vec4 y4[]; };

void main() {
  const uint groups = uint(p.channels) / CHANNEL_WIDTH;
  const uint items = uint(p.batch * p.out_h * p.out_w) * groups;
  const uint grid = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < items; i += grid) {
    const uint group = i % groups;
    const uint pixel = i / groups;  // (n * out_h + oy) * out_w + ox
    const int ox = int(pixel % uint(p.out_w));
    const uint row = pixel / uint(p.out_w);
    const int oy = int(row % uint(p.out_h));
    const int n = int(row / uint(p.out_h));
    vec4 best;
    ivec4 tap;
    window_max(n, oy, ox, group, best, tap);
    if (CHANNEL_WIDTH == 4u) {
      y4[i] = best;
    } else {
      y[i] = best.x;
    }
  }
}
