#version 450
#extension GL_GOOGLE_include_directive : require
// maxpool2d_backward_scatter: for pools whose windows do not overlap
// (stride >= pool): each invocation finds its window's winner once and
// writes the whole window of dx: dy to the winner, 0 elsewhere. Inputs no
// window covers (floor rounding, stride > pool) are not written; the host
// clears dx first in that case.
//
// RELU_MASK (constant 4): the pool follows a relu, whose output x is: the
// winner gets dy only where x > 0, which is relu's backward fused in, so
// dx is the gradient at the relu's input.
//
// Bindings: 0 x, 1 dy, 2 dx (float/vec4 views); x and dy are inputs in the
// sense of texel_reads.glsl. Push: geometry.
// Dispatch: grid-stride over batch*out_h*out_w*(channels / CHANNEL_WIDTH).
#include "common.glsl"
#include "texel_reads.glsl"
#include "maxpool2d_vec.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(constant_id = 4) const uint RELU_MASK = 0;

VKNN_INPUT(1, dy_in);
layout(set = 0, binding = 2) writeonly buffer DX { float dx[]; };
layout(set = 0, binding = 2) writeonly buffer DX4 { vec4 dx4[]; };

void main() {
  const uint groups = uint(p.channels) / CHANNEL_WIDTH;
  const uint items = uint(p.batch * p.out_h * p.out_w) * groups;
  const uint grid = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < items; i += grid) {
    const uint group = i % groups;
    const uint pixel = i / groups;
    const int ox = int(pixel % uint(p.out_w));
    const uint row = pixel / uint(p.out_w);
    const int oy = int(row % uint(p.out_h));
    const int n = int(row / uint(p.out_h));
    vec4 best;
    ivec4 winner;
    window_max(n, oy, ox, group, best, winner);
    vec4 g = CHANNEL_WIDTH == 4u ? VKNN_LOAD4(dy_in, i) : vec4(VKNN_LOAD1(dy_in, i), 0.0, 0.0, 0.0);
    if (RELU_MASK != 0u) g = mix(vec4(0.0), g, greaterThan(best, vec4(0.0)));
    for (int ky = 0; ky < p.pool_h; ++ky) {
      const int iy = oy * p.stride_h + ky - p.pad_top;
      if (iy < 0 || iy >= p.in_h) continue;
      for (int kx = 0; kx < p.pool_w; ++kx) {
        const int ix = ox * p.stride_w + kx - p.pad_left;
        if (ix < 0 || ix >= p.in_w) continue;
        const vec4 value = mix(vec4(0.0), g, equal(winner, ivec4(ky * p.pool_w + kx)));
        const uint at = uint((n * p.in_h + iy) * p.in_w + ix);
        if (CHANNEL_WIDTH == 4u) {
          dx4[at * groups + group] = value;
        } else {
          dx[at * uint(p.channels) + group] = value.x;
        }
      }
    }
  }
}
