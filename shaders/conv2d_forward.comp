#version 450
#extension GL_GOOGLE_include_directive : require
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
// shared memory, no barriers: on lavapipe a workgroup runs as SIMD lanes, and
// every buffer load costs a per-lane loop, so what pays is doing many vec4
// FMAs per load. The channel block of a workgroup is uniform (group y), so
// all lanes read the same kernel values.
//
// Bindings: 0 x (NHWC), 1 kernel (kh,kw,in_c,out_c), 2 bias (out_c),
//           3 y (NHWC, written). Each is also viewed as vec4[] where the
//           dispatch code proved the vec4 view aligned (IC_VEC4, OC_VEC4).
// Dispatch: workgroup (W, 1, 1); groups x = div_up(div_up(M, PIXELS), W)
//           (folded over z when large), groups y = div_up(out_c, 4*CHANNEL_VECS).
#include "common.glsl"
#include "conv2d_common.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(constant_id = 3) const int PIXELS = 4;        // output rows per invocation
layout(constant_id = 4) const int CHANNEL_VECS = 2;  // vec4s of output channels per invocation
layout(constant_id = 5) const bool IC_VEC4 = false;  // in_c % 4 == 0: read x as vec4 over ic
layout(constant_id = 6) const bool OC_VEC4 = false;  // out_c % 4 == 0: vec4 kernel/bias/y

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
  if (OC_VEC4) return kernel4[(k * g.out_c + oc) >> 2];
  const int row = k * g.out_c, last = g.out_c - 1;
  return vec4(kernel[row + min(oc, last)], kernel[row + min(oc + 1, last)],
              kernel[row + min(oc + 2, last)], kernel[row + min(oc + 3, last)]);
}

void main() {
  const int rows = g.batch * g.out_h * g.out_w;
  const int m0 = int(folded_group_x() * gl_WorkGroupSize.x + gl_LocalInvocationID.x) * PIXELS;
  const int oc0 = int(gl_WorkGroupID.y) * 4 * CHANNEL_VECS;
  if (m0 >= rows) return;

  // Where each owned output row starts reading the input (rows past the end
  // repeat the last one and are not stored).
  int image[PIXELS], iy0[PIXELS], ix0[PIXELS];
  for (int p = 0; p < PIXELS; ++p) {
    const int m = min(m0 + p, rows - 1);
    const int n = m / (g.out_h * g.out_w);
    const int r = m - n * (g.out_h * g.out_w);
    const int oy = r / g.out_w;
    image[p] = n * g.in_h;
    iy0[p] = oy * g.stride_h - g.pad_top;
    ix0[p] = (r - oy * g.out_w) * g.stride_w - g.pad_left;
  }

  vec4 acc[PIXELS][CHANNEL_VECS];
  for (int p = 0; p < PIXELS; ++p)
    for (int q = 0; q < CHANNEL_VECS; ++q) acc[p][q] = vec4(0.0);

  for (int ky = 0; ky < g.kernel_h; ++ky) {
    for (int kx = 0; kx < g.kernel_w; ++kx) {
      int base[PIXELS];  // x index of (iy, ix, ic = 0), or -1 for a padded tap
      for (int p = 0; p < PIXELS; ++p) {
        const int iy = iy0[p] + ky, ix = ix0[p] + kx;
        const bool inside = iy >= 0 && iy < g.in_h && ix >= 0 && ix < g.in_w;
        base[p] = inside ? ((image[p] + iy) * g.in_w + ix) * g.in_c : -1;
      }
      const int k_tap = (ky * g.kernel_w + kx) * g.in_c;
      if (IC_VEC4) {
        for (int ic = 0; ic < g.in_c; ic += 4) {
          vec4 xv[PIXELS];
          for (int p = 0; p < PIXELS; ++p) {
            xv[p] = vec4(0.0);
            if (base[p] >= 0) xv[p] = x4[(base[p] + ic) >> 2];
          }
          for (int j = 0; j < 4; ++j) {
            for (int q = 0; q < CHANNEL_VECS; ++q) {
              const vec4 kv = kernel_vec(k_tap + ic + j, oc0 + 4 * q);
              for (int p = 0; p < PIXELS; ++p) acc[p][q] = fma(vec4(xv[p][j]), kv, acc[p][q]);
            }
          }
        }
      } else {
        for (int ic = 0; ic < g.in_c; ++ic) {
          float xs[PIXELS];
          for (int p = 0; p < PIXELS; ++p) {
            xs[p] = 0.0;
            if (base[p] >= 0) xs[p] = x[base[p] + ic];
          }
          for (int q = 0; q < CHANNEL_VECS; ++q) {
            const vec4 kv = kernel_vec(k_tap + ic, oc0 + 4 * q);
            for (int p = 0; p < PIXELS; ++p) acc[p][q] = fma(vec4(xs[p]), kv, acc[p][q]);
          }
        }
      }
    }
  }

  for (int q = 0; q < CHANNEL_VECS; ++q) {
    const int oc = oc0 + 4 * q;
    if (oc >= g.out_c) break;
    vec4 b;
    if (OC_VEC4) {
      b = bias4[oc >> 2];
    } else {
      const int last = g.out_c - 1;
      b = vec4(bias[oc], bias[min(oc + 1, last)], bias[min(oc + 2, last)], bias[min(oc + 3, last)]);
    }
    for (int p = 0; p < PIXELS; ++p) {
      const int m = m0 + p;
      if (m >= rows) break;
      vec4 v = acc[p][q] + b;
      // `v < 0` keeps a NaN (as the CPU reference does), max() might not.
      if (g.relu != 0) v = mix(v, vec4(0.0), lessThan(v, vec4(0.0)));
      if (OC_VEC4) {
        y4[(m * g.out_c + oc) >> 2] = v;
      } else {
        const int row = m * g.out_c;
        for (int j = 0; j < 4; ++j)
          if (oc + j < g.out_c) y[row + oc + j] = v[j];
      }
    }
  }
}
