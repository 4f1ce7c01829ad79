#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
// conv2d forward, register-blocked variant (for CPU drivers such as lavapipe).
//
//   y[n,oy,ox,oc] = act(bias[oc] + sum_{ky,kx,ic} x[n,iy,ix,ic] * kernel[ky,kx,ic,oc])
//   with iy = oy*stride_h + ky - pad_top, ix = ox*stride_w + kx - pad_left,
//   taps outside the input contributing zero; act is linear or relu (g.relu).
//
// Implicit GEMM: rows m = (n, oy, ox) of the output, columns oc, reduction
// k = (ky, kx, ic). Each invocation owns PIXELS consecutive rows times
// 4*CHANNEL_VECS consecutive output channels and keeps that block of sums in
// registers as vec4s over oc (the kernel layout makes oc contiguous). No
// shared memory, no barriers.
//
// Why this shape (measured on lavapipe, Mesa 22.3, 8-wide SIMD lanes): every
// buffer load is a loop over the lanes, about as costly as 60-80 SIMD FMAs
// for a vec4 and barely cheaper for a float, while FMAs on registers are
// cheap; so what pays is many FMAs per load: vec4 loads, large register
// blocks (fully unrolled, [[unroll]], or the arrays go to memory). The
// channel block is uniform per workgroup (group y), so all lanes need the
// same kernel vec4s: with SHARE_SUBGROUP the lanes of a subgroup each load
// one of them and pass them round with subgroupShuffle, which with constant
// lane indices is a register permute (4-5x cheaper than a load). Together
// these took the course model's conv2 from about 5 to 15-20 GFLOP per
// CPU-second.
//
// Bindings: 0 x (NHWC), 1 kernel (kh,kw,in_c,out_c), 2 bias (out_c),
//           3 y (NHWC, written). Each is also viewed as vec4[] where the
//           dispatch code proved the vec4 view aligned (IC_VEC4, OC_VEC4).
// Dispatch: workgroup (W, 1, 1), W a multiple of SHARE_SUBGROUP;
//           groups x = div_up(div_up(M, PIXELS), W)
//           (folded over z when large), groups y = div_up(out_c, 4*CHANNEL_VECS).
#include "common.glsl"
#include "conv2d_common.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(constant_id = 3) const int PIXELS = 4;        // output rows per invocation
layout(constant_id = 4) const int CHANNEL_VECS = 2;  // vec4s of output channels per invocation
layout(constant_id = 5) const bool IC_VEC4 = false;  // in_c % 4 == 0: read x as vec4 over ic
layout(constant_id = 6) const bool OC_VEC4 = false;  // out_c % 4 == 0: vec4 kernel/bias/y
// The subgroup size when the lanes of a subgroup share kernel loads through
// subgroupShuffle, 0 when every lane loads what it needs itself.
layout(constant_id = 7) const int SHARE_SUBGROUP = 0;

// Kernel vec4s one step of the reduction needs: Q for each of the
// (1 or 4) input channels of the step.
const int STEP_CHANNELS = IC_VEC4 ? 4 : 1;
const int STEP_VECS = STEP_CHANNELS * CHANNEL_VECS;
const int SHARE_ROUNDS = SHARE_SUBGROUP > 0 ? (STEP_VECS + SHARE_SUBGROUP - 1) / SHARE_SUBGROUP : 1;

layout(set = 0, binding = 0) readonly buffer X { float x[]; };
layout(set = 0, binding = 0) readonly buffer X4 { vec4 x4[]; };
layout(set = 0, binding = 1) readonly buffer K { float kernel[]; };
layout(set = 0, binding = 1) readonly buffer K4 { vec4 kernel4[]; };
layout(set = 0, binding = 2) readonly buffer B { float bias[]; };
layout(set = 0, binding = 2) readonly buffer B4 { vec4 bias4[]; };
layout(set = 0, binding = 3) writeonly buffer Y { float y[]; };
layout(set = 0, binding = 3) writeonly buffer Y4 { vec4 y4[]; };

// kernel[k, oc .. oc+3]; columns past out_c read a clamped (valid) element
// whose sums are never stored.
vec4 kernel_vec(int k, int oc) {
  if (OC_VEC4) return kernel4[(k * g.out_c + min(oc, g.out_c - 4)) >> 2];
  const int row = k * g.out_c, last = g.out_c - 1;
  return vec4(kernel[row + min(oc, last)], kernel[row + min(oc + 1, last)],
              kernel[row + min(oc + 2, last)], kernel[row + min(oc + 3, last)]);
}

// Lane l of the subgroup loads step vectors l, l + S, ... (S = SHARE_SUBGROUP)
// of the step starting at kernel row k; step vector v is (row k + v / Q,
// channels oc0 + 4 * (v % Q)). Indices past the step repeat the last one.
void share_load(out vec4 mine[SHARE_ROUNDS], int k, int oc0) {
  [[unroll]] for (int r = 0; r < SHARE_ROUNDS; ++r) {
    const int v = min(r * SHARE_SUBGROUP + int(gl_SubgroupInvocationID), STEP_VECS - 1);
    mine[r] = kernel_vec(k + v / CHANNEL_VECS, oc0 + 4 * (v % CHANNEL_VECS));
  }
}

// Step vector v (= kernel_vec(k, oc)): from the lane that loaded it, or
// loaded here. v is a constant once the loops are unrolled, so the shuffle
// is a register permute on lavapipe, far cheaper than another load.
vec4 step_kernel(vec4 mine[SHARE_ROUNDS], int v, int k, int oc) {
  if (SHARE_SUBGROUP > 0) return subgroupShuffle(mine[v / SHARE_SUBGROUP], uint(v % SHARE_SUBGROUP));
  return kernel_vec(k, oc);
}

void main() {
  const int rows = g.batch * g.out_h * g.out_w;
  const int m0 = int(folded_group_x() * gl_WorkGroupSize.x + gl_LocalInvocationID.x) * PIXELS;
  const int oc0 = int(gl_WorkGroupID.y) * 4 * CHANNEL_VECS;
  // No early exit: with SHARE_SUBGROUP every lane must reach every shuffle.
  // Lanes past the end compute a clamped copy of the last row and store nothing.

  // Where each owned output row starts reading the input (rows past the end
  // repeat the last one and are not stored).
  int image[PIXELS], iy0[PIXELS], ix0[PIXELS];
  [[unroll]] for (int p = 0; p < PIXELS; ++p) {
    const int m = min(m0 + p, rows - 1);
    const int n = m / (g.out_h * g.out_w);
    const int r = m - n * (g.out_h * g.out_w);
    const int oy = r / g.out_w;
    image[p] = n * g.in_h;
    iy0[p] = oy * g.stride_h - g.pad_top;
    ix0[p] = (r - oy * g.out_w) * g.stride_w - g.pad_left;
  }

  vec4 acc[PIXELS][CHANNEL_VECS];
  [[unroll]] for (int p = 0; p < PIXELS; ++p)
    [[unroll]] for (int q = 0; q < CHANNEL_VECS; ++q) acc[p][q] = vec4(0.0);

  for (int ky = 0; ky < g.kernel_h; ++ky) {
    for (int kx = 0; kx < g.kernel_w; ++kx) {
      int base[PIXELS];  // x index of (iy, ix, ic = 0), or -1 for a padded tap
      [[unroll]] for (int p = 0; p < PIXELS; ++p) {
        const int iy = iy0[p] + ky, ix = ix0[p] + kx;
        const bool inside = iy >= 0 && iy < g.in_h && ix >= 0 && ix < g.in_w;
        base[p] = inside ? ((image[p] + iy) * g.in_w + ix) * g.in_c : -1;
      }
      const int k_tap = (ky * g.kernel_w + kx) * g.in_c;
      if (IC_VEC4) {
        for (int ic = 0; ic < g.in_c; ic += 4) {
          vec4 xv[PIXELS];
          [[unroll]] for (int p = 0; p < PIXELS; ++p) {
            xv[p] = vec4(0.0);
            if (base[p] >= 0) xv[p] = x4[(base[p] + ic) >> 2];
          }
          vec4 mine[SHARE_ROUNDS];
          if (SHARE_SUBGROUP > 0) share_load(mine, k_tap + ic, oc0);
          // Each sum takes its 4 multiply-adds of the step in one chain, so
          // it is read and written once per step (the register block far
          // exceeds the CPU's vector registers: sums live in stack slots).
          [[unroll]] for (int q = 0; q < CHANNEL_VECS; ++q) {
            vec4 kv[4];
            [[unroll]] for (int j = 0; j < 4; ++j)
              kv[j] = step_kernel(mine, j * CHANNEL_VECS + q, k_tap + ic + j, oc0 + 4 * q);
            [[unroll]] for (int p = 0; p < PIXELS; ++p) {
              acc[p][q] = fma(vec4(xv[p].w), kv[3], fma(vec4(xv[p].z), kv[2],
                          fma(vec4(xv[p].y), kv[1], fma(vec4(xv[p].x), kv[0], acc[p][q]))));
            }
          }
        }
      } else {
        for (int ic = 0; ic < g.in_c; ++ic) {
          float xs[PIXELS];
          [[unroll]] for (int p = 0; p < PIXELS; ++p) {
            xs[p] = 0.0;
            if (base[p] >= 0) xs[p] = x[base[p] + ic];
          }
          vec4 mine[SHARE_ROUNDS];
          if (SHARE_SUBGROUP > 0) share_load(mine, k_tap + ic, oc0);
          [[unroll]] for (int q = 0; q < CHANNEL_VECS; ++q) {
            const vec4 kv = step_kernel(mine, q, k_tap + ic, oc0 + 4 * q);
            [[unroll]] for (int p = 0; p < PIXELS; ++p) acc[p][q] = fma(vec4(xs[p]), kv, acc[p][q]);
          }
        }
      }
    }
  }

  // The bias vec4s, like the kernel's, are the same for every lane: with
  // SHARE_SUBGROUP lane l loads vectors l, l + S, ... and shuffles them round.
  const int BIAS_ROUNDS = SHARE_SUBGROUP > 0 ? (CHANNEL_VECS + SHARE_SUBGROUP - 1) / SHARE_SUBGROUP : 1;
  vec4 my_bias[BIAS_ROUNDS];
  if (SHARE_SUBGROUP > 0 && OC_VEC4) {
    [[unroll]] for (int r = 0; r < BIAS_ROUNDS; ++r) {
      const int q = min(r * SHARE_SUBGROUP + int(gl_SubgroupInvocationID), CHANNEL_VECS - 1);
      my_bias[r] = bias4[min(oc0 + 4 * q, g.out_c - 4) >> 2];
    }
  }
  [[unroll]] for (int q = 0; q < CHANNEL_VECS; ++q) {
    const int oc = oc0 + 4 * q;
    vec4 b;
    if (SHARE_SUBGROUP > 0 && OC_VEC4) {
      // Before the break below: every lane must reach every shuffle.
      b = subgroupShuffle(my_bias[q / SHARE_SUBGROUP], uint(q % SHARE_SUBGROUP));
    }
    if (oc >= g.out_c) break;
    if (SHARE_SUBGROUP > 0 && OC_VEC4) {
    } else if (OC_VEC4) {
      b = bias4[oc >> 2];
    } else {
      const int last = g.out_c - 1;
      b = vec4(bias[oc], bias[min(oc + 1, last)], bias[min(oc + 2, last)], bias[min(oc + 3, last)]);
    }
    [[unroll]] for (int p = 0; p < PIXELS; ++p) {
      const int m = m0 + p;
      if (m >= rows) break;
      vec4 v = acc[p][q] + b;
      // The host shares loads only where it knows the subgroup size; should
      // the device run another one, fail loudly (NaN) rather than wrongly.
      if (SHARE_SUBGROUP > 0 && gl_SubgroupSize != uint(SHARE_SUBGROUP)) v = vec4(uintBitsToFloat(0x7fc00000u));
      // `v < 0` keeps a NaN (as the CPU reference does), max() might not.
      if (g.relu != 0) v = mix(v, vec4(0.0), lessThan(v, vec4(0.0)));
      if (OC_VEC4) {
        y4[(m * g.out_c + oc) >> 2] = v;
      } else {
        const int row = m * g.out_c;
        [[unroll]] for (int j = 0; j < 4; ++j)
          if (oc + j < g.out_c) y[row + oc + j] = v[j];
      }
    }
  }
}
