#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
// conv2d by Winograd's minimal filtering F(2x2, 3x3): 3x3 kernels, stride 1,
// channel counts that are multiples of 4. One shader, two passes:
//
//   forward (BACKWARD_INPUT false): y = act(bias + conv(x, kernel)), the
//     same result as conv2d_forward.comp up to rounding;
//   input gradient (BACKWARD_INPUT true): dx = conv(dy, kernel'), where
//     kernel'[ky][kx][oc][ic] = kernel[2-ky][2-kx][ic][oc] and the padding is
//     2 - pad: the input gradient of a stride-1 convolution is the "full"
//     convolution of dy with the flipped, transposed kernel.
//
// Below, "src" is what is convolved (x, or dy), "dst" what is written (y, or
// dx); src channels are the reduction, dst channels the outputs.
//
// Why Winograd: each 2x2 output tile is Y = A^T [sum_c (G g G^T) . (B^T d B)] A
// (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2015),
// 16 multiply-adds per src channel and dst channel for 4 outputs where the
// direct form does 36: 2.25x fewer. The transforms are adds, done once per
// loaded patch (B^T d B) and per kernel block (G g G^T), and A^T M A once
// per tile at the end.
//
// Work split, as in conv2d_forward.comp (whose comment says why it pays on
// lavapipe): an invocation owns TILES horizontally adjacent 2x2 tiles (their
// 4 x (2*TILES+2) input patch overlaps, so neighbours share loads) times
// 4*CHANNEL_VECS dst channels, with its 16 * TILES * CHANNEL_VECS vec4 sums
// in registers. The dst channel block is uniform per workgroup (group y), so
// every lane needs the same transformed kernel: lane l of a subgroup loads
// and transforms channel block l (36 vec4 loads, the 3x3 taps of 4 src x 4
// dst channels) and the lanes pass the 64 transformed vec4s round with
// subgroupShuffle, at constant lane indices (register permutes on
// lavapipe). The kernel is transformed on the fly: no extra dispatch and no
// transformed-kernel buffer, and a training step's new weights need nothing.
//
// With SHARE_SUBGROUP 0 (devices whose subgroup size is not pinned) every
// lane transforms every block itself.
//
// Bindings: 0 src (NHWC), 1 kernel (3,3,in_c,out_c), 2 bias (out_c; not read
//           by the input gradient, which binds the kernel there),
//           3 dst (NHWC, written); all vec4s. src and kernel are inputs in
//           the sense of texel_reads.glsl.
// Dispatch: workgroup (W, 1, 1), W a multiple of SHARE_SUBGROUP;
//           groups x = div_up(batch * div_up(dst_h, 2) * div_up(div_up(dst_w, 2), TILES), W)
//           (folded over z when large), groups y = div_up(dst_c, 4*CHANNEL_VECS).
#include "common.glsl"
#include "conv2d_common.glsl"
#include "texel_reads.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(constant_id = 3) const int TILES = 2;          // 2x2 tiles per invocation, along x
layout(constant_id = 4) const int CHANNEL_VECS = 4;   // vec4s of dst channels per invocation
// The subgroup size when the lanes of a subgroup share the kernel transform
// through subgroupShuffle, 0 when every lane transforms every block itself.
layout(constant_id = 5) const int SHARE_SUBGROUP = 8;
layout(constant_id = 6) const bool BACKWARD_INPUT = false;

const int PATCH_W = 2 * TILES + 2;
const int SHARE = SHARE_SUBGROUP > 0 ? SHARE_SUBGROUP : 1;  // a divisor, also where nothing is shared
const int ROUNDS = SHARE_SUBGROUP > 0 ? (CHANNEL_VECS + SHARE - 1) / SHARE : CHANNEL_VECS;

VKNN_INPUT(0, src_in);
VKNN_INPUT(1, kernel_in);
layout(set = 0, binding = 2) readonly buffer B { vec4 bias4[]; };
layout(set = 0, binding = 3) writeonly buffer Dst { vec4 dst4[]; };

// The 3x3 taps of src channels c0..c0+3 (j) for dst channels d0..d0+3 (the
// vec4's components), as tap[ky*3+kx][j].
void load_kernel_block(out vec4 tap[9][4], int c0, int d0) {
  if (!BACKWARD_INPUT) {
    // kernel[ky][kx][ic = c0+j][oc = d0..d0+3]: a vec4 each.
    [[unroll]] for (int t = 0; t < 9; ++t)
      [[unroll]] for (int j = 0; j < 4; ++j)
        tap[t][j] = VKNN_LOAD4(kernel_in, ((t * g.in_c + c0 + j) * g.out_c + d0) >> 2);
  } else {
    // kernel'[ky][kx][oc = c0+j][ic = d0+m] = kernel[2-ky][2-kx][d0+m][c0+j]:
    // a vec4 over j for each m, transposed in registers.
    [[unroll]] for (int t = 0; t < 9; ++t) {
      vec4 w[4];
      [[unroll]] for (int m = 0; m < 4; ++m)
        w[m] = VKNN_LOAD4(kernel_in, (((8 - t) * g.in_c + d0 + m) * g.out_c + c0) >> 2);
      [[unroll]] for (int j = 0; j < 4; ++j) tap[t][j] = vec4(w[0][j], w[1][j], w[2][j], w[3][j]);
    }
  }
}

// U = G g G^T for each of the 4 src channels, G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1].
void transform_kernel(in vec4 tap[9][4], out vec4 u[16][4]) {
  [[unroll]] for (int j = 0; j < 4; ++j) {
    vec4 r[4][3];  // G g: rows of the 4x3
    [[unroll]] for (int kx = 0; kx < 3; ++kx) {
      const vec4 g0 = tap[kx][j], g1 = tap[3 + kx][j], g2 = tap[6 + kx][j];
      r[0][kx] = g0;
      r[1][kx] = 0.5 * (g0 + g1 + g2);
      r[2][kx] = 0.5 * (g0 - g1 + g2);
      r[3][kx] = g2;
    }
    [[unroll]] for (int i = 0; i < 4; ++i) {
      u[i * 4 + 0][j] = r[i][0];
      u[i * 4 + 1][j] = 0.5 * (r[i][0] + r[i][1] + r[i][2]);
      u[i * 4 + 2][j] = 0.5 * (r[i][0] - r[i][1] + r[i][2]);
      u[i * 4 + 3][j] = r[i][2];
    }
  }
}

void main() {
  // src and dst dimensions and the padding, for the pass this is.
  const int src_h = BACKWARD_INPUT ? g.out_h : g.in_h, src_w = BACKWARD_INPUT ? g.out_w : g.in_w;
  const int src_c = BACKWARD_INPUT ? g.out_c : g.in_c;
  const int dst_h = BACKWARD_INPUT ? g.in_h : g.out_h, dst_w = BACKWARD_INPUT ? g.in_w : g.out_w;
  const int dst_c = BACKWARD_INPUT ? g.in_c : g.out_c;
  const int pad_top = BACKWARD_INPUT ? 2 - g.pad_top : g.pad_top;
  const int pad_left = BACKWARD_INPUT ? 2 - g.pad_left : g.pad_left;

  const int tiles_y = (dst_h + 1) / 2, tile_groups_x = ((dst_w + 1) / 2 + TILES - 1) / TILES;
  const int owners = g.batch * tiles_y * tile_groups_x;
  const int owner = int(folded_group_x() * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
  // No early exit: every lane must reach every shuffle. Lanes past the end
  // compute a copy of the last tile group and store nothing.
  const int o = min(owner, owners - 1);
  const int n = o / (tiles_y * tile_groups_x);
  const int rest = o - n * (tiles_y * tile_groups_x);
  const int oy0 = (rest / tile_groups_x) * 2;
  const int ox0 = (rest % tile_groups_x) * TILES * 2;
  const int iy0 = oy0 - pad_top, ix0 = ox0 - pad_left;
  const int d_block = int(gl_WorkGroupID.y) * 4 * CHANNEL_VECS;
  const int lane = int(gl_SubgroupInvocationID);

  vec4 acc[TILES][16][CHANNEL_VECS];
  [[unroll]] for (int t = 0; t < TILES; ++t)
    [[unroll]] for (int p = 0; p < 16; ++p)
      [[unroll]] for (int q = 0; q < CHANNEL_VECS; ++q) acc[t][p][q] = vec4(0.0);

  // Where each patch row and column reads src (-1: zero padding).
  int row_base[4];
  [[unroll]] for (int r = 0; r < 4; ++r) {
    const int iy = iy0 + r;
    row_base[r] = iy >= 0 && iy < src_h ? (n * src_h + iy) * src_w : -1;
  }
  bool col_inside[PATCH_W];
  [[unroll]] for (int c = 0; c < PATCH_W; ++c) col_inside[c] = ix0 + c >= 0 && ix0 + c < src_w;

  for (int c0 = 0; c0 < src_c; c0 += 4) {
    // B^T d B for every tile; B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
    // Rows first, over the whole patch (neighbouring tiles share columns).
    vec4 rows[4][PATCH_W];
    [[unroll]] for (int c = 0; c < PATCH_W; ++c) {
      vec4 d[4];
      [[unroll]] for (int r = 0; r < 4; ++r) {
        d[r] = vec4(0.0);
        // A fetch at texel 0 where the patch is outside src (padding), so
        // that every lane fetches: no branch around it.
        const bool inside = row_base[r] >= 0 && col_inside[c];
        const vec4 fetched = VKNN_LOAD4(src_in, inside ? ((row_base[r] + ix0 + c) * src_c + c0) >> 2 : 0);
        d[r] = inside ? fetched : vec4(0.0);
      }
      rows[0][c] = d[0] - d[2];
      rows[1][c] = d[1] + d[2];
      rows[2][c] = d[2] - d[1];
      rows[3][c] = d[1] - d[3];
    }
    vec4 v[TILES][16];  // over the 4 src channels of this step
    [[unroll]] for (int t = 0; t < TILES; ++t) {
      [[unroll]] for (int i = 0; i < 4; ++i) {
        const int c = 2 * t;
        v[t][i * 4 + 0] = rows[i][c] - rows[i][c + 2];
        v[t][i * 4 + 1] = rows[i][c + 1] + rows[i][c + 2];
        v[t][i * 4 + 2] = rows[i][c + 2] - rows[i][c + 1];
        v[t][i * 4 + 3] = rows[i][c + 1] - rows[i][c + 3];
      }
    }

    // This lane's share of the transformed kernel: channel blocks lane,
    // lane + S, ... (past the last one: a repeat of it, never used).
    vec4 mine[ROUNDS][16][4];
    [[unroll]] for (int r = 0; r < ROUNDS; ++r) {
      const int q = SHARE_SUBGROUP > 0 ? min(r * SHARE + lane, CHANNEL_VECS - 1) : r;
      vec4 tap[9][4];
      load_kernel_block(tap, c0, min(d_block + 4 * q, dst_c - 4));
      transform_kernel(tap, mine[r]);
    }

    [[unroll]] for (int p = 0; p < 16; ++p) {
      [[unroll]] for (int q = 0; q < CHANNEL_VECS; ++q) {
        vec4 u[4];
        [[unroll]] for (int j = 0; j < 4; ++j)
          u[j] = SHARE_SUBGROUP > 0 ? subgroupShuffle(mine[q / SHARE][p][j], uint(q % SHARE)) : mine[q][p][j];
        [[unroll]] for (int t = 0; t < TILES; ++t) {
          acc[t][p][q] = fma(vec4(v[t][p].w), u[3], fma(vec4(v[t][p].z), u[2],
                         fma(vec4(v[t][p].y), u[1], fma(vec4(v[t][p].x), u[0], acc[t][p][q]))));
        }
      }
    }
  }

  if (owner >= owners) return;
  // Y = A^T M A, A^T = [1 1 1 0; 0 1 -1 -1], then bias and activation.
  [[unroll]] for (int q = 0; q < CHANNEL_VECS; ++q) {
    const int d = d_block + 4 * q;
    if (d >= dst_c) break;
    vec4 b = vec4(0.0);
    if (!BACKWARD_INPUT) b = bias4[d >> 2];
    [[unroll]] for (int t = 0; t < TILES; ++t) {
      vec4 s[2][4];
      [[unroll]] for (int j = 0; j < 4; ++j) {
        s[0][j] = acc[t][j][q] + acc[t][4 + j][q] + acc[t][8 + j][q];
        s[1][j] = acc[t][4 + j][q] - acc[t][8 + j][q] - acc[t][12 + j][q];
      }
      [[unroll]] for (int i = 0; i < 2; ++i) {
        const int oy = oy0 + i;
        if (oy >= dst_h) break;
        [[unroll]] for (int k = 0; k < 2; ++k) {
          const int ox = ox0 + 2 * t + k;
          if (ox >= dst_w) break;
          vec4 y = (k == 0 ? s[i][0] + s[i][1] + s[i][2] : s[i][1] - s[i][2] - s[i][3]) + b;
          // The host shares the kernel transform only where it knows the
          // subgroup size; should the device run another, fail loudly (NaN).
          if (SHARE_SUBGROUP > 0 && gl_SubgroupSize != uint(SHARE_SUBGROUP)) y = vec4(uintBitsToFloat(0x7fc00000u));
          // `y < 0` keeps a NaN (as the CPU reference does), max() might not.
          if (!BACKWARD_INPUT && g.relu != 0) y = mix(y, vec4(0.0), lessThan(y, vec4(0.0)));
          dst4[(((n * dst_h + oy) * dst_w + ox) * dst_c + d) >> 2] = y;
        }
      }
    }
  }
}
