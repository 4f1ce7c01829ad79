#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
// conv2d backward to the kernel by Winograd's F(3x3, 2x2): 3x3 kernels,
// stride 1, in_c and out_c multiples of 4. Overwrites dkernel.
//
//   dkernel[ky,kx,ic,oc] = sum over (n, oy, ox) of x[n, oy+ky-pad_top, ox+kx-pad_left, ic] * dy[n,oy,ox,oc]
//
// Over one 2x2 tile of dy at (2ty, 2tx), that sum is the correlation of the
// 4x4 input patch d (rows 2ty-pad_top .., columns 2tx-pad_left ..) with the
// 2x2 "filter" f = the dy tile, which has 3x3 outputs: F(3x3, 2x2),
//   A^T [(G f G^T) . (B^T d B)] A,
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 -1 0 1], G = [1 0; .5 .5; .5 -.5; 0 1],
//   A^T = [1 1 1 0; 0 1 -1 0; 0 1 1 1]
// (Lavin & Gray 2015). Linear in the tiles, so the products are summed over
// every tile first and A^T . A applied once at the end: 16 multiply-adds
// per tile, input channel and output channel where the direct form does 36.
// dy past the map's edge (partial tiles) and x past the input's are zeros.
//
// Work split, as in conv2d_backward_kernel.comp: a workgroup owns 4 input
// channels (group y; uniform, so the lanes share the patch's loads through
// subgroupShuffle: lane l loads positions l, l + S, ...), each lane
// 4*CHANNEL_VECS output channels (its own dy loads), and every lane loops
// over all tiles in a fixed order, its 64 * CHANNEL_VECS vec4 sums in
// registers: deterministic, no atomics.
//
// Bindings: 0 x (NHWC), 1 dy (NHWC), 2 dkernel (3,3,in_c,out_c, written);
//           vec4s. x and dy are inputs in the sense of texel_reads.glsl.
// Dispatch: workgroup (W, 1, 1), W a multiple of SHARE_SUBGROUP;
//           groups x = div_up(div_up(out_c, 4*CHANNEL_VECS), W), groups y = in_c / 4.
#include "common.glsl"
#include "conv2d_common.glsl"
#include "texel_reads.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(constant_id = 3) const int CHANNEL_VECS = 2;  // vec4s of output channels per invocation
// The subgroup size when the lanes share the patch loads through
// subgroupShuffle, 0 when every lane loads the whole patch itself.
layout(constant_id = 4) const int SHARE_SUBGROUP = 8;

const int SHARE = SHARE_SUBGROUP > 0 ? SHARE_SUBGROUP : 1;  // a divisor, also where nothing is shared
const int ROUNDS = SHARE_SUBGROUP > 0 ? (16 + SHARE - 1) / SHARE : 16;

VKNN_INPUT(0, x_in);
VKNN_INPUT(1, dy_in);
layout(set = 0, binding = 2) writeonly buffer DK { vec4 dkernel4[]; };

void main() {
  const int out_h = g.out_h, out_w = g.out_w;
  const int tiles_y = (out_h + 1) / 2, tiles_x = (out_w + 1) / 2;
  const int ic = int(gl_WorkGroupID.y) * 4;
  const int lane = int(gl_SubgroupInvocationID);
  const int block = int(gl_WorkGroupID.x * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
  // No early exit: every lane must reach every shuffle. Lanes past the last
  // channel block read a repeat of it and store nothing.
  const int oc0 = min(block * 4 * CHANNEL_VECS, g.out_c - 4 * CHANNEL_VECS);
  const bool stores = block * 4 * CHANNEL_VECS < g.out_c;

  vec4 acc[16][4][CHANNEL_VECS];  // [position][input channel of the 4][output vec4]
  [[unroll]] for (int p = 0; p < 16; ++p)
    [[unroll]] for (int j = 0; j < 4; ++j)
      [[unroll]] for (int q = 0; q < CHANNEL_VECS; ++q) acc[p][j][q] = vec4(0.0);

  for (int n = 0; n < g.batch; ++n) {
    for (int ty = 0; ty < tiles_y; ++ty) {
      for (int tx = 0; tx < tiles_x; ++tx) {
        const int iy0 = 2 * ty - g.pad_top, ix0 = 2 * tx - g.pad_left;
        // The patch, 4 input channels per position: this lane's share.
        vec4 mine[ROUNDS];
        [[unroll]] for (int r = 0; r < ROUNDS; ++r) {
          const int p = SHARE_SUBGROUP > 0 ? min(r * SHARE + lane, 15) : r;
          const int iy = iy0 + p / 4, ix = ix0 + p % 4;
          // Outside x (padding): a fetch at texel 0, then zero; no branch.
          const bool inside = iy >= 0 && iy < g.in_h && ix >= 0 && ix < g.in_w;
          const vec4 fetched = VKNN_LOAD4(x_in, inside ? (((n * g.in_h + iy) * g.in_w + ix) * g.in_c + ic) >> 2 : 0);
          mine[r] = inside ? fetched : vec4(0.0);
        }
        vec4 d[16];
        [[unroll]] for (int p = 0; p < 16; ++p)
          d[p] = SHARE_SUBGROUP > 0 ? subgroupShuffle(mine[p / SHARE], uint(p % SHARE)) : mine[p];
        // V = B^T d B, over the 4 input channels.
        vec4 rows[4][4];
        [[unroll]] for (int c = 0; c < 4; ++c) {
          rows[0][c] = d[c] - d[8 + c];
          rows[1][c] = d[4 + c] + d[8 + c];
          rows[2][c] = d[8 + c] - d[4 + c];
          rows[3][c] = d[12 + c] - d[4 + c];
        }
        vec4 v[16];
        [[unroll]] for (int i = 0; i < 4; ++i) {
          v[i * 4 + 0] = rows[i][0] - rows[i][2];
          v[i * 4 + 1] = rows[i][1] + rows[i][2];
          v[i * 4 + 2] = rows[i][2] - rows[i][1];
          v[i * 4 + 3] = rows[i][3] - rows[i][1];
        }
        // U = G f G^T for each of this lane's output vec4s; dy past the
        // map's edge is zero.
        const int oy = 2 * ty, ox = 2 * tx;
        const bool right = ox + 1 < out_w, below = oy + 1 < out_h;
        [[unroll]] for (int q = 0; q < CHANNEL_VECS; ++q) {
          const int row0 = ((n * out_h + oy) * out_w + ox) * g.out_c + oc0 + 4 * q;
          const int row1 = row0 + out_w * g.out_c;
          const vec4 f00 = VKNN_LOAD4(dy_in, row0 >> 2);
          const vec4 f01 = right ? VKNN_LOAD4(dy_in, (row0 + g.out_c) >> 2) : vec4(0.0);
          const vec4 f10 = below ? VKNN_LOAD4(dy_in, row1 >> 2) : vec4(0.0);
          const vec4 f11 = right && below ? VKNN_LOAD4(dy_in, (row1 + g.out_c) >> 2) : vec4(0.0);
          vec4 r[4][2];  // G f
          r[0][0] = f00;                 r[0][1] = f01;
          r[1][0] = 0.5 * (f00 + f10);   r[1][1] = 0.5 * (f01 + f11);
          r[2][0] = 0.5 * (f00 - f10);   r[2][1] = 0.5 * (f01 - f11);
          r[3][0] = f10;                 r[3][1] = f11;
          [[unroll]] for (int i = 0; i < 4; ++i) {
            const vec4 u[4] = vec4[4](r[i][0], 0.5 * (r[i][0] + r[i][1]), 0.5 * (r[i][0] - r[i][1]), r[i][1]);
            [[unroll]] for (int c = 0; c < 4; ++c) {
              const int p = i * 4 + c;
              acc[p][0][q] = fma(vec4(v[p].x), u[c], acc[p][0][q]);
              acc[p][1][q] = fma(vec4(v[p].y), u[c], acc[p][1][q]);
              acc[p][2][q] = fma(vec4(v[p].z), u[c], acc[p][2][q]);
              acc[p][3][q] = fma(vec4(v[p].w), u[c], acc[p][3][q]);
            }
          }
        }
      }
    }
  }

  if (!stores) return;
  // dkernel = A^T M A for each input channel and output vec4.
  [[unroll]] for (int j = 0; j < 4; ++j) {
    [[unroll]] for (int q = 0; q < CHANNEL_VECS; ++q) {
      vec4 t[3][4];
      [[unroll]] for (int c = 0; c < 4; ++c) {
        t[0][c] = acc[c][j][q] + acc[4 + c][j][q] + acc[8 + c][j][q];
        t[1][c] = acc[4 + c][j][q] - acc[8 + c][j][q];
        t[2][c] = acc[4 + c][j][q] + acc[8 + c][j][q] + acc[12 + c][j][q];
      }
      [[unroll]] for (int ky = 0; ky < 3; ++ky) {
        const vec4 w[3] = vec4[3](t[ky][0] + t[ky][1] + t[ky][2], t[ky][1] - t[ky][2],
                                  t[ky][1] + t[ky][2] + t[ky][3]);
        [[unroll]] for (int kx = 0; kx < 3; ++kx) {
          vec4 value = w[kx];
          // The host shares loads only where it knows the subgroup size;
          // should the device run another, fail loudly (NaN).
          if (SHARE_SUBGROUP > 0 && gl_SubgroupSize != uint(SHARE_SUBGROUP)) value = vec4(uintBitsToFloat(0x7fc00000u));
          dkernel4[(((ky * 3 + kx) * g.in_c + ic + j) * g.out_c + oc0 + 4 * q) >> 2] = value;
        }
      }
    }
  }
}
