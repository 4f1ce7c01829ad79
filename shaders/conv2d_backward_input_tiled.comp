#version 450
#extension GL_GOOGLE_include_directive : require
// conv2d backward to the input, shared-memory tiled variant (for GPUs).
//
//   dx[n,iy,ix,ic] = sum over (ky, kx, oc) of dy[n,oy,ox,oc] * kernel[ky,kx,ic,oc]
//   for every output (oy, ox) that read (iy, ix) through tap (ky, kx):
//   oy = (iy + pad_top - ky) / stride_h when that divides exactly and lands
//   inside the output, likewise ox. Every dx element is written.
//
// Implicit GEMM (conv2d_tiled_gemm.glsl): rows m = (n, iy, ix) of dx,
// columns ic, reduction k = (ky, kx, oc); A[m, k] = dy at the output that
// tap reached (0 if none), B[k, ic] = kernel[ky,kx,ic,oc].
//
// Bindings: 0 dy (NHWC), 1 kernel (kh,kw,in_c,out_c), 2 dx (NHWC, written).
// Dispatch: see conv2d_tiled_gemm.glsl, with M = batch*in_h*in_w, N = in_c,
//           K = kernel_h*kernel_w*out_c.
#include "common.glsl"
#include "conv2d_common.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(set = 0, binding = 0) readonly buffer DY { float dy[]; };
layout(set = 0, binding = 1) readonly buffer K { float kernel[]; };
layout(set = 0, binding = 2) writeonly buffer DX { float dx[]; };

int gemm_rows() { return g.batch * g.in_h * g.in_w; }
int gemm_cols() { return g.in_c; }
int gemm_depth() { return g.kernel_h * g.kernel_w * g.out_c; }

float load_a(int m, int k) {
  const int n = m / (g.in_h * g.in_w);
  const int r = m - n * (g.in_h * g.in_w);
  const int iy = r / g.in_w, ix = r - iy * g.in_w;
  const int tap = k / g.out_c, oc = k - tap * g.out_c;
  const int ky = tap / g.kernel_w, kx = tap - ky * g.kernel_w;
  const int sy = iy + g.pad_top - ky, sx = ix + g.pad_left - kx;  // = oy*stride_h, ox*stride_w
  if (sy < 0 || sx < 0) return 0.0;
  const int oy = sy / g.stride_h, ox = sx / g.stride_w;
  if (oy * g.stride_h != sy || ox * g.stride_w != sx || oy >= g.out_h || ox >= g.out_w) return 0.0;
  return dy[((n * g.out_h + oy) * g.out_w + ox) * g.out_c + oc];
}

float load_b(int k, int ic) {
  const int tap = k / g.out_c, oc = k - tap * g.out_c;
  return kernel[(tap * g.in_c + ic) * g.out_c + oc];
}

void store_c(int m, int ic, float v) { dx[m * g.in_c + ic] = v; }

#include "conv2d_tiled_gemm.glsl"

void main() { tiled_gemm(); }
