#version 450
#extension GL_GOOGLE_include_directive : require
// conv2d backward to the kernel, shared-memory tiled variant (for GPUs).
//
//   dkernel[ky,kx,ic,oc] = sum over (n, oy, ox) of x[n,iy,ix,ic] * dy[n,oy,ox,oc]
//   with iy = oy*stride_h + ky - pad_top, ix = ox*stride_w + kx - pad_left
//   (padded taps contribute nothing). Overwrites dkernel.
//
// Implicit GEMM (conv2d_tiled_gemm.glsl): rows r = (ky, kx, ic) of dkernel,
// columns oc, reduction over the output pixels m = (n, oy, ox); A[r, m] = the
// input element row r's tap read at m, B[m, oc] = dy. Each dkernel element
// is one invocation's sum over all pixels (or over a slice of them, the
// slices then summed in order): deterministic, no atomics.
//
// With SPLIT_K > 1 (conv2d_tiled_gemm.glsl) binding 2 holds SPLIT_K
// slices of partial sums, slice s at s * M * N, which sum_slices.comp adds
// into dkernel in slice order.
//
// Bindings: 0 x (NHWC), 1 dy (NHWC), 2 dkernel (kh,kw,in_c,out_c, written),
//           or the partial sums.
// Dispatch: see conv2d_tiled_gemm.glsl, with M = kernel_h*kernel_w*in_c,
//           N = out_c, K = batch*out_h*out_w.
#include "common.glsl"
#include "conv2d_common.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(set = 0, binding = 0) readonly buffer X { float x[]; };
layout(set = 0, binding = 1) readonly buffer DY { float dy[]; };
layout(set = 0, binding = 2) writeonly buffer DK { float dkernel[]; };

int gemm_rows() { return g.kernel_h * g.kernel_w * g.in_c; }
int gemm_cols() { return g.out_c; }
int gemm_depth() { return g.batch * g.out_h * g.out_w; }

float load_a(int row, int m) {
  const int tap = row / g.in_c, ic = row - tap * g.in_c;
  const int ky = tap / g.kernel_w, kx = tap - ky * g.kernel_w;
  const int n = m / (g.out_h * g.out_w);
  const int r = m - n * (g.out_h * g.out_w);
  const int oy = r / g.out_w, ox = r - oy * g.out_w;
  const int iy = oy * g.stride_h + ky - g.pad_top, ix = ox * g.stride_w + kx - g.pad_left;
  if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) return 0.0;  // padded tap
  return x[((n * g.in_h + iy) * g.in_w + ix) * g.in_c + ic];
}

float load_b(int m, int oc) { return dy[m * g.out_c + oc]; }

// Defined below the GEMM body, which declares gemm_slice.
void store_c(int row, int oc, float v);

#include "conv2d_tiled_gemm.glsl"

void store_c(int row, int oc, float v) {
  dkernel[(gemm_slice * gemm_rows() + row) * g.out_c + oc] = v;
}

void main() { tiled_gemm(); }
