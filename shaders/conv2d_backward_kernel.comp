#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
// conv2d backward to the kernel, register-blocked variant (for CPU drivers).
//
//   dkernel[ky,kx,ic,oc] = sum over (n, oy, ox) of x[n,iy,ix,ic] * dy[n,oy,ox,oc]
//   with iy = oy*stride_h + ky - pad_top, ix = ox*stride_w + kx - pad_left
//   (padded taps contribute nothing). Overwrites dkernel.
//
// A reduction over batch*out_h*out_w per dkernel element, done without
// atomics: each invocation owns ROWS consecutive kernel rows r = (ky, kx, ic)
// times 4*CHANNEL_VECS consecutive output channels and loops over every
// output pixel in order, its sums in registers (vec4s over oc, along which
// dy is contiguous). Deterministic: one invocation, one fixed order per
// element.
//
// The row block is uniform per workgroup (group y), so every lane needs the
// same x values at each pixel: the ROWS values are "row items", a vec4 of
// 4 consecutive channels of one tap when ROW_VEC4 (in_c % 4 == 0 and ROWS %
// 4 == 0) or a single value otherwise. With SHARE_SUBGROUP the lanes of a
// subgroup each load one item and pass them round with subgroupShuffle (a
// register permute on lavapipe, where each buffer load is a per-lane loop;
// see conv2d_forward.comp).
//
// Bindings: 0 x (NHWC), 1 dy (NHWC), 2 dkernel (kh,kw,in_c,out_c, written).
//           x and dy are inputs in the sense of texel_reads.glsl.
// Dispatch: workgroup (W, 1, 1), W a multiple of SHARE_SUBGROUP;
//           groups x = div_up(div_up(out_c, 4*CHANNEL_VECS), W),
//           groups y = div_up(kernel_h*kernel_w*in_c, ROWS).
#include "common.glsl"
#include "conv2d_common.glsl"
#include "texel_reads.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(constant_id = 3) const int ROWS = 4;           // kernel rows per invocation
layout(constant_id = 4) const int CHANNEL_VECS = 1;   // vec4s of output channels per invocation
layout(constant_id = 5) const bool ROW_VEC4 = false;  // read 4 rows (channels) per x vec4
layout(constant_id = 6) const bool OC_VEC4 = false;   // out_c % 4 == 0: vec4 dy/dkernel
// Subgroup size when lanes share x loads through subgroupShuffle, 0 when
// every lane loads what it needs itself.
layout(constant_id = 7) const int SHARE_SUBGROUP = 0;

const int ITEM_ROWS = ROW_VEC4 ? 4 : 1;
const int ITEMS = ROWS / ITEM_ROWS;
const int SHARE_ROUNDS = SHARE_SUBGROUP > 0 ? (ITEMS + SHARE_SUBGROUP - 1) / SHARE_SUBGROUP : 1;

VKNN_INPUT(0, x_in);
VKNN_INPUT(1, dy_in);
layout(set = 0, binding = 2) writeonly buffer DK { float dkernel[]; };
layout(set = 0, binding = 2) writeonly buffer DK4 { vec4 dkernel4[]; };

vec4 dy_vec(int m, int oc) {
  if (OC_VEC4) return VKNN_LOAD4(dy_in, (m * g.out_c + min(oc, g.out_c - 4)) >> 2);
  const int row = m * g.out_c, last = g.out_c - 1;
  return vec4(VKNN_LOAD1(dy_in, row + min(oc, last)), VKNN_LOAD1(dy_in, row + min(oc + 1, last)),
              VKNN_LOAD1(dy_in, row + min(oc + 2, last)), VKNN_LOAD1(dy_in, row + min(oc + 3, last)));
}

// Where row item i reads x: its tap's offsets from the output position and
// its first channel (items past the last kernel row repeat it; their sums
// are never stored).
struct Item {
  int dy_tap, dx_tap, channel;
};

Item item_at(int r0, int i) {
  const int kernel_rows = g.kernel_h * g.kernel_w * g.in_c;
  const int row = min(r0 + i * ITEM_ROWS, kernel_rows - ITEM_ROWS);
  const int tap = row / g.in_c;
  const int ky = tap / g.kernel_w;
  return Item(ky - g.pad_top, tap - ky * g.kernel_w - g.pad_left, row - tap * g.in_c);
}

// Item `it` at output pixel (n, oy, ox): the x values it multiplies with dy
// (zero for a padded tap), in .x (scalar items) or all of it (ROW_VEC4).
vec4 load_item(Item it, int n, int oy, int ox) {
  const int iy = oy * g.stride_h + it.dy_tap, ix = ox * g.stride_w + it.dx_tap;
  // Outside x (padding): a fetch at texel 0, then zero; no branch.
  const bool inside = iy >= 0 && iy < g.in_h && ix >= 0 && ix < g.in_w;
  const int index = inside ? ((n * g.in_h + iy) * g.in_w + ix) * g.in_c + it.channel : 0;
  const vec4 v = ROW_VEC4 ? VKNN_LOAD4(x_in, index >> 2) : vec4(VKNN_LOAD1(x_in, index), 0.0, 0.0, 0.0);
  return inside ? v : vec4(0.0);
}

void main() {
  const int kernel_rows = g.kernel_h * g.kernel_w * g.in_c;
  const int oc0 = int(gl_GlobalInvocationID.x) * 4 * CHANNEL_VECS;
  const int r0 = int(gl_WorkGroupID.y) * ROWS;
  // No early exit: with SHARE_SUBGROUP every lane must reach every shuffle.
  // Lanes past out_c compute clamped copies and store nothing.

  Item items[ITEMS];  // used when every lane loads all items itself
  [[unroll]] for (int i = 0; i < ITEMS; ++i) items[i] = item_at(r0, i);
  Item mine[SHARE_ROUNDS];  // with sharing, lane l loads items l, l + S, ...
  [[unroll]] for (int r = 0; r < SHARE_ROUNDS; ++r) {
    mine[r] = item_at(r0, min(r * SHARE_SUBGROUP + int(gl_SubgroupInvocationID), ITEMS - 1));
  }

  vec4 acc[ROWS][CHANNEL_VECS];
  [[unroll]] for (int i = 0; i < ROWS; ++i)
    [[unroll]] for (int q = 0; q < CHANNEL_VECS; ++q) acc[i][q] = vec4(0.0);

  int m = 0;
  for (int n = 0; n < g.batch; ++n) {
    for (int oy = 0; oy < g.out_h; ++oy) {
      for (int ox = 0; ox < g.out_w; ++ox, ++m) {
        vec4 d[CHANNEL_VECS];
        [[unroll]] for (int q = 0; q < CHANNEL_VECS; ++q) d[q] = dy_vec(m, oc0 + 4 * q);
        vec4 loaded[SHARE_ROUNDS];
        if (SHARE_SUBGROUP > 0) {
          [[unroll]] for (int r = 0; r < SHARE_ROUNDS; ++r) loaded[r] = load_item(mine[r], n, oy, ox);
        }
        [[unroll]] for (int i = 0; i < ITEMS; ++i) {
          vec4 v;
          if (SHARE_SUBGROUP > 0) {
            v = subgroupShuffle(loaded[i / SHARE_SUBGROUP], uint(i % SHARE_SUBGROUP));
          } else {
            v = load_item(items[i], n, oy, ox);
          }
          [[unroll]] for (int j = 0; j < ITEM_ROWS; ++j) {
            [[unroll]] for (int q = 0; q < CHANNEL_VECS; ++q) {
              acc[i * ITEM_ROWS + j][q] = fma(vec4(v[j]), d[q], acc[i * ITEM_ROWS + j][q]);
            }
          }
        }
      }
    }
  }

  // The host shares loads only where it knows the subgroup size; should the
  // device run another one, fail loudly (NaN) rather than wrongly.
  const bool poisoned = SHARE_SUBGROUP > 0 && gl_SubgroupSize != uint(SHARE_SUBGROUP);
  [[unroll]] for (int i = 0; i < ROWS; ++i) {
    const int row = r0 + i;
    if (row >= kernel_rows) break;
    [[unroll]] for (int q = 0; q < CHANNEL_VECS; ++q) {
      const int oc = oc0 + 4 * q;
      if (oc >= g.out_c) break;
      const vec4 v = poisoned ? vec4(uintBitsToFloat(0x7fc00000u)) : acc[i][q];
      if (OC_VEC4) {
        dkernel4[(row * g.out_c + oc) >> 2] = v;
      } else {
        [[unroll]] for (int j = 0; j < 4; ++j)
          if (oc + j < g.out_c) dkernel[row * g.out_c + oc + j] = v[j];
      }
    }
  }
}
