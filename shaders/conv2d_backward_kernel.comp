#version 450
#extension GL_GOOGLE_include_directive : require
// conv2d backward to the kernel, register-blocked variant (for CPU drivers).
//
//   dkernel[ky,kx,ic,oc] = sum over (n, oy, ox) of x[n,iy,ix,ic] * dy[n,oy,ox,oc]
//   with iy = oy*stride_h + ky - pad_top, ix = ox*stride_w + kx - pad_left
//   (padded taps contribute nothing). Overwrites dkernel.
//
// A reduction over batch*out_h*out_w per dkernel element, done without
// atomics: each invocation owns ROWS consecutive kernel rows r = (ky, kx, ic)
// times 4*CHANNEL_VECS consecutive output channels and loops over every
// output pixel, keeping its sums in registers (vec4s over oc, along which dy
// is contiguous). Deterministic: one invocation, one fixed order per element.
// The row block is uniform per workgroup (group y), so all lanes read the
// same x values.
//
// Bindings: 0 x (NHWC), 1 dy (NHWC), 2 dkernel (kh,kw,in_c,out_c, written).
// Dispatch: workgroup (W, 1, 1); groups x = div_up(div_up(out_c, 4*CHANNEL_VECS), W),
//           groups y = div_up(kernel_h*kernel_w*in_c, ROWS).
#include "common.glsl"
#include "conv2d_common.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(constant_id = 3) const int ROWS = 4;          // kernel rows per invocation
layout(constant_id = 4) const int CHANNEL_VECS = 2;  // vec4s of output channels per invocation
layout(constant_id = 5) const bool OC_VEC4 = false;  // out_c % 4 == 0: vec4 dy/dkernel

layout(set = 0, binding = 0) readonly buffer X { float x[]; };
layout(set = 0, binding = 1) readonly buffer DY { float dy[]; };
layout(set = 0, binding = 1) readonly buffer DY4 { vec4 dy4[]; };
layout(set = 0, binding = 2) writeonly buffer DK { float dkernel[]; };
layout(set = 0, binding = 2) writeonly buffer DK4 { vec4 dkernel4[]; };

vec4 dy_vec(int m, int oc) {
  if (OC_VEC4) return dy4[(m * g.out_c + oc) >> 2];
  const int row = m * g.out_c, last = g.out_c - 1;
  return vec4(dy[row + min(oc, last)], dy[row + min(oc + 1, last)], dy[row + min(oc + 2, last)],
              dy[row + min(oc + 3, last)]);
}

void main() {
  const int kernel_rows = g.kernel_h * g.kernel_w * g.in_c;
  const int oc0 = int(gl_GlobalInvocationID.x) * 4 * CHANNEL_VECS;
  const int r0 = int(gl_WorkGroupID.y) * ROWS;
  if (oc0 >= g.out_c) return;

  // Each owned row's tap offset and channel (rows past the end repeat the
  // last one and are not stored).
  int dy_tap[ROWS], dx_tap[ROWS], channel[ROWS];
  for (int i = 0; i < ROWS; ++i) {
    const int row = min(r0 + i, kernel_rows - 1);
    const int tap = row / g.in_c;
    channel[i] = row - tap * g.in_c;
    dy_tap[i] = tap / g.kernel_w - g.pad_top;
    dx_tap[i] = tap - (tap / g.kernel_w) * g.kernel_w - g.pad_left;
  }

  vec4 acc[ROWS][CHANNEL_VECS];
  for (int i = 0; i < ROWS; ++i)
    for (int q = 0; q < CHANNEL_VECS; ++q) acc[i][q] = vec4(0.0);

  int m = 0;
  for (int n = 0; n < g.batch; ++n) {
    for (int oy = 0; oy < g.out_h; ++oy) {
      for (int ox = 0; ox < g.out_w; ++ox, ++m) {
        float xs[ROWS];
        for (int i = 0; i < ROWS; ++i) {
          const int iy = oy * g.stride_h + dy_tap[i], ix = ox * g.stride_w + dx_tap[i];
          xs[i] = 0.0;
          if (iy >= 0 && iy < g.in_h && ix >= 0 && ix < g.in_w)
            xs[i] = x[((n * g.in_h + iy) * g.in_w + ix) * g.in_c + channel[i]];
        }
        for (int q = 0; q < CHANNEL_VECS; ++q) {
          const vec4 d = dy_vec(m, oc0 + 4 * q);
          for (int i = 0; i < ROWS; ++i) acc[i][q] = fma(vec4(xs[i]), d, acc[i][q]);
        }
      }
    }
  }

  for (int i = 0; i < ROWS; ++i) {
    const int row = r0 + i;
    if (row >= kernel_rows) break;
    for (int q = 0; q < CHANNEL_VECS; ++q) {
      const int oc = oc0 + 4 * q;
      if (oc >= g.out_c) break;
      if (OC_VEC4) {
        dkernel4[(row * g.out_c + oc) >> 2] = acc[i][q];
      } else {
        for (int j = 0; j < 4; ++j)
          if (oc + j < g.out_c) dkernel[row * g.out_c + oc + j] = acc[i][q][j];
      }
    }
  }
}
