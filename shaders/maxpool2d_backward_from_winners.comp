#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// The backward of the fused conv2d + relu + maxpool2d's pooling, from the
// winners its training forward stored (conv2d_relu_maxpool2d_forward.comp):
//   dx[n, oy*POOL_H + ky, ox*POOL_W + kx, c] = dy[n,oy,ox,c] if the winner
//   byte of (n,oy,ox,c) is ky*POOL_W + kx, else 0
// which is the gradient at the conv's linear output (relu's backward is in
// the byte: 255 passes nothing). Unlike maxpool2d_backward_scatter it reads
// neither the 5.5 MB conv map nor compares anything: one word of winners
// per 4 channels. Map positions in no window (floor rounding) are not
// written; the host clears dx first in that case.
//
// Bindings: 0 dy (pooled NHWC; an input in the sense of texel_reads.glsl),
//           1 winners (uint words), 2 dx (map NHWC).
// Dispatch: grid-stride over batch*out_h*out_w*channel_groups, one window
// and 4 channels each.
#include "common.glsl"
#include "conv2d_relu_maxpool2d.glsl"
#include "texel_reads.glsl"

VKNN_WORKGROUP_LAYOUT;

VKNN_INPUT(0, dy_in);
layout(set = 0, binding = 1) readonly buffer W { uint winners[]; };
layout(set = 0, binding = 2) writeonly buffer DX { float dx[]; };
layout(set = 0, binding = 2) writeonly buffer DX4 { vec4 dx4[]; };

void main() {
  const int groups = channel_groups();
  const uint items = uint(p.batch * p.out_h * p.out_w * groups);
  const uint grid = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < items; i += grid) {
    const int group = int(i % uint(groups));
    const int window = int(i / uint(groups));
    const int ox = window % p.out_w;
    const int oy = (window / p.out_w) % p.out_h;
    const int n = window / (p.out_w * p.out_h);
    const int c0 = 4 * group;
    const uint word = winners[i];
    const ivec4 tap = ivec4(uvec4(word, word >> 8, word >> 16, word >> 24) & uvec4(0xffu));
    vec4 g;
    if (OC_VEC4) {
      g = VKNN_LOAD4(dy_in, (window * p.channels + c0) >> 2);
    } else {
      const int last = window * p.channels + p.channels - 1;
      const int at = window * p.channels + c0;
      g = vec4(VKNN_LOAD1(dy_in, min(at, last)), VKNN_LOAD1(dy_in, min(at + 1, last)),
               VKNN_LOAD1(dy_in, min(at + 2, last)), VKNN_LOAD1(dy_in, min(at + 3, last)));
    }
    [[unroll]] for (int ky = 0; ky < POOL_H; ++ky) {
      [[unroll]] for (int kx = 0; kx < POOL_W; ++kx) {
        // A tap index never equals 255, so NO_WINNER writes 0 everywhere.
        const vec4 value = mix(vec4(0.0), g, equal(tap, ivec4(ky * POOL_W + kx)));
        const int at = ((n * p.map_h + oy * POOL_H + ky) * p.map_w + ox * POOL_W + kx) *
                           p.channels + c0;
        if (OC_VEC4) {
          dx4[at >> 2] = value;
        } else {
          [[unroll]] for (int j = 0; j < 4; ++j) {
            if (c0 + j < p.channels) dx[at + j] = value[j];
          }
        }
      }
    }
  }
}
