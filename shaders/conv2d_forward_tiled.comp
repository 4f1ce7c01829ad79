#version 450
#extension GL_GOOGLE_include_directive : require
// conv2d forward, shared-memory tiled variant (for GPUs).
//
//   y[n,oy,ox,oc] = act(bias[oc] + sum_{ky,kx,ic} x[n,iy,ix,ic] * kernel[ky,kx,ic,oc])
//   with iy = oy*stride_h + ky - pad_top, ix = ox*stride_w + kx - pad_left,
//   taps outside the input contributing zero; act is linear or relu (g.relu).
//
// Implicit GEMM (conv2d_tiled_gemm.glsl): A[m, k] = the input patch of output
// row m = (n, oy, ox) at k = (ky, kx, ic), B = the kernel as a K x out_c
// matrix, C = y. Bias and activation are applied when C is stored.
//
// Bindings: 0 x (NHWC), 1 kernel (kh,kw,in_c,out_c), 2 bias (out_c), 3 y (NHWC, written).
// Dispatch: see conv2d_tiled_gemm.glsl, with M = batch*out_h*out_w, N = out_c,
//           K = kernel_h*kernel_w*in_c.
#include "common.glsl"
#include "conv2d_common.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(set = 0, binding = 0) readonly buffer X { float x[]; };
layout(set = 0, binding = 1) readonly buffer K { float kernel[]; };
layout(set = 0, binding = 2) readonly buffer B { float bias[]; };
layout(set = 0, binding = 3) writeonly buffer Y { float y[]; };

int gemm_rows() { return g.batch * g.out_h * g.out_w; }
int gemm_cols() { return g.out_c; }
int gemm_depth() { return g.kernel_h * g.kernel_w * g.in_c; }

float load_a(int m, int k) {
  const int n = m / (g.out_h * g.out_w);
  const int r = m - n * (g.out_h * g.out_w);
  const int oy = r / g.out_w, ox = r - oy * g.out_w;
  const int tap = k / g.in_c, ic = k - tap * g.in_c;
  const int ky = tap / g.kernel_w, kx = tap - ky * g.kernel_w;
  const int iy = oy * g.stride_h + ky - g.pad_top, ix = ox * g.stride_w + kx - g.pad_left;
  if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) return 0.0;  // zero padding
  return x[((n * g.in_h + iy) * g.in_w + ix) * g.in_c + ic];
}

float load_b(int k, int n) { return kernel[k * g.out_c + n]; }

void store_c(int m, int n, float v) {
  v += bias[n];
  if (g.relu != 0 && v < 0.0) v = 0.0;  // `v < 0` keeps a NaN, as the CPU reference does
  y[m * g.out_c + n] = v;
}

#include "conv2d_tiled_gemm.glsl"

void main() { tiled_gemm(); }
