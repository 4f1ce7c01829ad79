#version 450
#extension GL_GOOGLE_include_directive : require
// Dense GEMM, shared-memory tiled: the variant for GPUs.
//
//   C[m,n] = act(sum_k A(m,k) * B(k,n) + bias[n])        C row-major (M, N)
//   A(m,k) = TRANSPOSE_A ? a[k*M + m] : a[m*K + k]
//   B(k,n) = TRANSPOSE_B ? b[n*K + k] : b[k*N + n]
// (the dense ops map onto it as in dense_gemm_blocked.comp).
//
// A workgroup of (WX, WY) invocations computes a TILE_M x TILE_N tile of C.
// For each step of TILE_K along k, the workgroup stages the TILE_M x TILE_K
// slab of A and the TILE_K x TILE_N slab of B in shared memory (loads laid
// out so that neighbouring invocations read neighbouring addresses, for
// either transpose), then every invocation accumulates its
// (TILE_M/WY) x (TILE_N/WX) outputs: rows ty + WY*i, columns tx + WX*j.
// Out-of-range elements of A and B are staged as 0; outputs past M or N are
// not stored. Shared rows are padded by one float against bank conflicts.
//
// Bindings: 0 a, 1 b, 2 bias (float[N], read only when HAS_BIAS), 3 c.
// Push constants: M, N, K (all > 0).
// Dispatch: groups = (div_up(N, TILE_N), div_up(M, TILE_M), 1).
// Spec constants: 3 TRANSPOSE_A, 4 TRANSPOSE_B, 5 HAS_BIAS, 6 RELU,
// 7 TILE_M (multiple of WY), 8 TILE_N (multiple of WX), 9 TILE_K.
// Shared memory: 4 * TILE_K * (TILE_M + TILE_N + 2) bytes.
#include "common.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(constant_id = 3) const bool TRANSPOSE_A = false;
layout(constant_id = 4) const bool TRANSPOSE_B = false;
layout(constant_id = 5) const bool HAS_BIAS = false;
layout(constant_id = 6) const bool RELU = false;
layout(constant_id = 7) const uint TILE_M = 64;
layout(constant_id = 8) const uint TILE_N = 64;
layout(constant_id = 9) const uint TILE_K = 16;

const uint WX = gl_WorkGroupSize.x;
const uint WY = gl_WorkGroupSize.y;
const uint THREAD_M = TILE_M / WY;
const uint THREAD_N = TILE_N / WX;
const uint A_PITCH = TILE_M + 1u;
const uint B_PITCH = TILE_N + 1u;

layout(set = 0, binding = 0) readonly buffer A { float a[]; };
layout(set = 0, binding = 1) readonly buffer B { float b[]; };
layout(set = 0, binding = 2) readonly buffer Bias { float bias[]; };
layout(set = 0, binding = 3) writeonly buffer C { float c[]; };
layout(push_constant) uniform Push {
  uint M;
  uint N;
  uint K;
} p;

shared float tile_a[TILE_K * A_PITCH];  // [kk][mm]
shared float tile_b[TILE_K * B_PITCH];  // [kk][nn]

void main() {
  const uint tx = gl_LocalInvocationID.x;
  const uint ty = gl_LocalInvocationID.y;
  const uint tid = gl_LocalInvocationIndex;
  const uint threads = WX * WY;
  const uint m0 = gl_WorkGroupID.y * TILE_M;
  const uint n0 = gl_WorkGroupID.x * TILE_N;

  const uint a_stride_m = TRANSPOSE_A ? 1u : p.K;
  const uint a_stride_k = TRANSPOSE_A ? p.M : 1u;
  const uint b_stride_k = TRANSPOSE_B ? 1u : p.N;
  const uint b_stride_n = TRANSPOSE_B ? p.K : 1u;

  float acc[THREAD_M * THREAD_N];
  for (uint i = 0u; i < THREAD_M * THREAD_N; ++i) acc[i] = 0.0;

  for (uint k0 = 0u; k0 < p.K; k0 += TILE_K) {
    // Stage A: the axis contiguous in memory varies fastest across invocations.
    for (uint idx = tid; idx < TILE_K * TILE_M; idx += threads) {
      const uint kk = TRANSPOSE_A ? idx / TILE_M : idx % TILE_K;
      const uint mm = TRANSPOSE_A ? idx % TILE_M : idx / TILE_K;
      const uint m = m0 + mm, k = k0 + kk;
      float value = 0.0;
      if (m < p.M && k < p.K) value = a[m * a_stride_m + k * a_stride_k];
      tile_a[kk * A_PITCH + mm] = value;
    }
    for (uint idx = tid; idx < TILE_K * TILE_N; idx += threads) {
      const uint kk = TRANSPOSE_B ? idx % TILE_K : idx / TILE_N;
      const uint nn = TRANSPOSE_B ? idx / TILE_K : idx % TILE_N;
      const uint n = n0 + nn, k = k0 + kk;
      float value = 0.0;
      if (n < p.N && k < p.K) value = b[k * b_stride_k + n * b_stride_n];
      tile_b[kk * B_PITCH + nn] = value;
    }
    barrier();

    for (uint kk = 0u; kk < TILE_K; ++kk) {
      float a_reg[THREAD_M];
      float b_reg[THREAD_N];
      for (uint i = 0u; i < THREAD_M; ++i) a_reg[i] = tile_a[kk * A_PITCH + ty + WY * i];
      for (uint j = 0u; j < THREAD_N; ++j) b_reg[j] = tile_b[kk * B_PITCH + tx + WX * j];
      for (uint i = 0u; i < THREAD_M; ++i) {
        for (uint j = 0u; j < THREAD_N; ++j) {
          acc[i * THREAD_N + j] = fma(a_reg[i], b_reg[j], acc[i * THREAD_N + j]);
        }
      }
    }
    // The next step overwrites the tiles every invocation is still reading.
    barrier();
  }

  for (uint i = 0u; i < THREAD_M; ++i) {
    const uint m = m0 + ty + WY * i;
    if (m >= p.M) continue;
    for (uint j = 0u; j < THREAD_N; ++j) {
      const uint n = n0 + tx + WX * j;
      if (n >= p.N) continue;
      float value = acc[i * THREAD_N + j];
      if (HAS_BIAS) value += bias[n];
      // `value < 0` keeps a NaN (relu of NaN is NaN, as on the CPU).
      if (RELU && value < 0.0) value = 0.0;
      c[m * p.N + n] = value;
    }
  }
}
