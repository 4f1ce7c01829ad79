#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
// conv2d backward to the input, register-blocked variant (for CPU drivers).
//
//   dx[n,iy,ix,ic] = sum over (ky, kx, oc) of dy[n,oy,ox,oc] * kernel[ky,kx,ic,oc]
//   for every output (oy, ox) that read (iy, ix) through tap (ky, kx):
//   oy = (iy + pad_top - ky) / stride_h when that divides exactly and lands
//   inside the output, likewise ox. Every dx element is written.
//
// Implicit GEMM gathered from the output side: rows m = (n, iy, ix) of dx,
// columns ic, reduction (ky, kx, oc). Each invocation owns PIXELS consecutive
// rows times CHANNELS consecutive input channels, sums in registers. dy and
// the kernel are both contiguous along oc, the reduction axis, so with
// OC_VEC4 every load is a vec4 feeding four FMAs into each scalar sum.
//
// The channel block is uniform per workgroup (group y), so every lane needs
// the same kernel vec4s: with SHARE_SUBGROUP the lanes of a subgroup each
// load one of them and pass them round with subgroupShuffle (a register
// permute on lavapipe, where each buffer load is a per-lane loop). See
// conv2d_forward.comp for the measurements behind this.
//
// Bindings: 0 dy (NHWC), 1 kernel (kh,kw,in_c,out_c), 2 dx (NHWC, written).
// Dispatch: workgroup (W, 1, 1), W a multiple of SHARE_SUBGROUP;
//           groups x = div_up(div_up(M, PIXELS), W) with M = batch*in_h*in_w
//           (folded over z when large), groups y = div_up(in_c, CHANNELS).
#include "common.glsl"
#include "conv2d_common.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(constant_id = 3) const int PIXELS = 4;        // dx rows per invocation
layout(constant_id = 4) const int CHANNELS = 4;      // input channels per invocation
layout(constant_id = 5) const bool OC_VEC4 = false;  // out_c % 4 == 0: vec4 loads over oc
// Subgroup size when lanes share kernel loads through subgroupShuffle
// (OC_VEC4 only), 0 when every lane loads what it needs itself.
layout(constant_id = 6) const int SHARE_SUBGROUP = 0;
// stride 1 x 1: a tap always lands on an output position, no division needed
// (integer division is scalarised on CPU drivers).
layout(constant_id = 7) const bool UNIT_STRIDE = false;

const int SHARE_ROUNDS = SHARE_SUBGROUP > 0 ? (CHANNELS + SHARE_SUBGROUP - 1) / SHARE_SUBGROUP : 1;

layout(set = 0, binding = 0) readonly buffer DY { float dy[]; };
layout(set = 0, binding = 0) readonly buffer DY4 { vec4 dy4[]; };
layout(set = 0, binding = 1) readonly buffer K { float kernel[]; };
layout(set = 0, binding = 1) readonly buffer K4 { vec4 kernel4[]; };
layout(set = 0, binding = 2) writeonly buffer DX { float dx[]; };

void main() {
  const int rows = g.batch * g.in_h * g.in_w;
  const int m0 = int(folded_group_x() * gl_WorkGroupSize.x + gl_LocalInvocationID.x) * PIXELS;
  const int ic0 = int(gl_WorkGroupID.y) * CHANNELS;
  // No early exit: with SHARE_SUBGROUP every lane must reach every shuffle.
  // Lanes past the end compute a clamped copy of the last row and store nothing.

  int image[PIXELS], sy0[PIXELS], sx0[PIXELS];  // sy0 - ky = oy*stride_h for a tap that hit
  [[unroll]] for (int p = 0; p < PIXELS; ++p) {
    const int m = min(m0 + p, rows - 1);
    const int n = m / (g.in_h * g.in_w);
    const int r = m - n * (g.in_h * g.in_w);
    const int iy = r / g.in_w;
    image[p] = n * g.out_h;
    sy0[p] = iy + g.pad_top;
    sx0[p] = (r - iy * g.in_w) + g.pad_left;
  }
  // The kernel row (within a tap) each channel reads, clamped into range
  // (the sums of channels past in_c are never stored). With sharing, lane l
  // loads channels l, l + S, ... of the block.
  int channel[CHANNELS];
  [[unroll]] for (int c = 0; c < CHANNELS; ++c) channel[c] = min(ic0 + c, g.in_c - 1);
  int my_channel[SHARE_ROUNDS];
  [[unroll]] for (int r = 0; r < SHARE_ROUNDS; ++r) {
    my_channel[r] = min(ic0 + min(r * SHARE_SUBGROUP + int(gl_SubgroupInvocationID), CHANNELS - 1),
                        g.in_c - 1);
  }

  float acc[PIXELS][CHANNELS];
  [[unroll]] for (int p = 0; p < PIXELS; ++p)
    [[unroll]] for (int c = 0; c < CHANNELS; ++c) acc[p][c] = 0.0;

  for (int ky = 0; ky < g.kernel_h; ++ky) {
    for (int kx = 0; kx < g.kernel_w; ++kx) {
      int base[PIXELS];  // dy index of (oy, ox, oc = 0), or -1 where no output read this tap
      [[unroll]] for (int p = 0; p < PIXELS; ++p) {
        const int sy = sy0[p] - ky, sx = sx0[p] - kx;
        int oy = sy, ox = sx;
        bool hit = sy >= 0 && sx >= 0;
        if (!UNIT_STRIDE) {
          oy = sy / g.stride_h;
          ox = sx / g.stride_w;
          hit = hit && oy * g.stride_h == sy && ox * g.stride_w == sx;
        }
        hit = hit && oy < g.out_h && ox < g.out_w;
        base[p] = hit ? ((image[p] + oy) * g.out_w + ox) * g.out_c : -1;
      }
      const int k_tap = (ky * g.kernel_w + kx) * g.in_c;
      if (OC_VEC4) {
        for (int oc = 0; oc < g.out_c; oc += 4) {
          vec4 d[PIXELS];
          [[unroll]] for (int p = 0; p < PIXELS; ++p) {
            d[p] = vec4(0.0);
            if (base[p] >= 0) d[p] = dy4[(base[p] + oc) >> 2];
          }
          vec4 mine[SHARE_ROUNDS];
          if (SHARE_SUBGROUP > 0) {
            [[unroll]] for (int r = 0; r < SHARE_ROUNDS; ++r)
              mine[r] = kernel4[((k_tap + my_channel[r]) * g.out_c + oc) >> 2];
          }
          [[unroll]] for (int c = 0; c < CHANNELS; ++c) {
            vec4 kv;
            if (SHARE_SUBGROUP > 0) {
              kv = subgroupShuffle(mine[c / SHARE_SUBGROUP], uint(c % SHARE_SUBGROUP));
            } else {
              kv = kernel4[((k_tap + channel[c]) * g.out_c + oc) >> 2];
            }
            [[unroll]] for (int p = 0; p < PIXELS; ++p) {
              acc[p][c] = fma(d[p].w, kv.w,
                              fma(d[p].z, kv.z, fma(d[p].y, kv.y, fma(d[p].x, kv.x, acc[p][c]))));
            }
          }
        }
      } else {
        for (int oc = 0; oc < g.out_c; ++oc) {
          float d[PIXELS];
          [[unroll]] for (int p = 0; p < PIXELS; ++p) {
            d[p] = 0.0;
            if (base[p] >= 0) d[p] = dy[base[p] + oc];
          }
          [[unroll]] for (int c = 0; c < CHANNELS; ++c) {
            const float kv = kernel[(k_tap + channel[c]) * g.out_c + oc];
            [[unroll]] for (int p = 0; p < PIXELS; ++p) acc[p][c] = fma(d[p], kv, acc[p][c]);
          }
        }
      }
    }
  }

  // The host shares loads only where it knows the subgroup size; should the
  // device run another one, fail loudly (NaN) rather than wrongly.
  const bool poisoned = SHARE_SUBGROUP > 0 && gl_SubgroupSize != uint(SHARE_SUBGROUP);
  [[unroll]] for (int p = 0; p < PIXELS; ++p) {
    const int m = m0 + p;
    if (m >= rows) break;
    [[unroll]] for (int c = 0; c < CHANNELS; ++c) {
      if (ic0 + c < g.in_c) dx[m * g.in_c + ic0 + c] = poisoned ? uintBitsToFloat(0x7fc00000u) : acc[p][c];
    }
  }
}
