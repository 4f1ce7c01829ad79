#version 450
#extension GL_GOOGLE_include_directive : require
// maxpool2d_forward: y[n,oy,ox,c] = max over the window of x (NHWC).
//
// WINNERS (constant 5; CHANNEL_WIDTH 4 and windows that tile x): also
// stores each window's winner tap (ky * pool_w + kx) as one byte per
// channel, the 4 channels of an item in one word, for the backward from
// winners (maxpool2d_backward_from_winners.comp); with RELU_MASK (constant
// 4: x is a relu's output) a maximum that is not > 0 stores 255, no winner.
//
// Bindings: 0 x (float/vec4 view; an input in the sense of texel_reads.glsl),
//           1 y (float/vec4 view), 2 winners (uint words; a placeholder
//           never accessed without WINNERS). Push: geometry
// (maxpool2d_vec.glsl). Dispatch: grid-stride over
// batch*out_h*out_w*(channels / CHANNEL_WIDTH) items, one window each.
#include "common.glsl"
#include "texel_reads.glsl"
#include "maxpool2d_vec.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(set = 0, binding = 1) writeonly buffer Y { float y[]; };
layout(set = 0, binding = 1) writeonly buffer Y4 { vec4 y4[]; };
layout(set = 0, binding = 2) writeonly buffer Winners { uint winners[]; };
layout(constant_id = 4) const uint RELU_MASK = 0;
layout(constant_id = 5) const uint WINNERS = 0;

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
      if (WINNERS != 0u) {
        // Strictly greater than 0: relu's backward passes nothing at 0.
        const bvec4 none = bvec4(uvec4(RELU_MASK != 0u) & uvec4(not(greaterThan(best, vec4(0.0)))));
        const uvec4 bytes = mix(uvec4(tap), uvec4(255u), none);
        winners[i] = bytes.x | (bytes.y << 8) | (bytes.z << 16) | (bytes.w << 24);
      }
    } else {
      y[i] = best.x;
    }
  }
}
