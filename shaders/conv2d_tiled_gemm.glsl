// Shared-memory tiled GEMM body of the conv2d shaders' shared_tiled variant
// (for GPUs): C[m, n] = sum_k A[m, k] * B[k, n].
//
// The including shader defines, before #include:
//   int gemm_rows(), gemm_cols(), gemm_depth()   M, N, K
//   float load_a(int m, int k)                   called only for m < M, k < K
//   float load_b(int k, int n)                   called only for k < K, n < N
//   void store_c(int m, int n, float v)          called only for m < M, n < N
// and then calls tiled_gemm() from main().
//
// A workgroup computes a TILE_M x TILE_N tile of C, staging TILE_K-deep
// slices of A and B through shared memory; each invocation keeps a
// THREAD_M x THREAD_N block of sums in registers, at rows ty + i*(TILE_M /
// THREAD_M) and columns tx + j*(TILE_N / THREAD_N), so neighbouring
// invocations read neighbouring shared-memory words and store neighbouring
// columns. Each output is one invocation's sequential sum: deterministic,
// no atomics.
//
// SPLIT_K > 1 splits the reduction into that many slices, one per group
// along z, each over a run of K rounded to TILE_K: store_c is then called
// with gemm_slice set to the slice, and the including shader writes that
// slice's partial sums apart (the kernel gradient's GEMM, which is small
// over a long reduction); a second dispatch adds the slices in order, so
// the sums stay deterministic.
//
// Specialization constants (ids 3..9); the workgroup must be
// (TILE_N / THREAD_N, TILE_M / THREAD_M, 1) and the dispatch
// (div_up(M, TILE_M) folded over x and z, div_up(N, TILE_N), 1), or with
// SPLIT_K > 1 (div_up(M, TILE_M), div_up(N, TILE_N), SPLIT_K).
// Shared memory: 4 * TILE_K * (TILE_M + TILE_N) bytes.
#ifndef VKNN_CONV2D_TILED_GEMM_GLSL
#define VKNN_CONV2D_TILED_GEMM_GLSL

layout(constant_id = 3) const int TILE_M = 64;
layout(constant_id = 4) const int TILE_N = 64;
layout(constant_id = 5) const int TILE_K = 16;
layout(constant_id = 6) const int THREAD_M = 4;
layout(constant_id = 7) const int THREAD_N = 4;
// Order in which a workgroup's invocations fetch the A tile: true walks k
// fastest (A contiguous along k, as x is along ic), false walks m fastest.
layout(constant_id = 8) const bool A_DEPTH_FASTEST = true;
layout(constant_id = 9) const int SPLIT_K = 1;

int gemm_slice = 0;  // the reduction slice whose sums store_c receives

shared float tile_a[TILE_K * TILE_M];  // [k][m]
shared float tile_b[TILE_K * TILE_N];  // [k][n]

void tiled_gemm() {
  const int M = gemm_rows(), N = gemm_cols(), K = gemm_depth();
  const int tx = int(gl_LocalInvocationID.x), ty = int(gl_LocalInvocationID.y);
  const int step_n = TILE_N / THREAD_N, step_m = TILE_M / THREAD_M;
  const int threads = step_n * step_m;
  const int tid = ty * step_n + tx;
  const int row0 = int(SPLIT_K > 1 ? gl_WorkGroupID.x : folded_group_x()) * TILE_M;
  const int col0 = int(gl_WorkGroupID.y) * TILE_N;
  // This slice's run of the reduction: all of it unsplit.
  int k_begin = 0, k_end = K;
  if (SPLIT_K > 1) {
    gemm_slice = int(gl_WorkGroupID.z);
    const int run = ((K + SPLIT_K - 1) / SPLIT_K + TILE_K - 1) / TILE_K * TILE_K;
    k_begin = min(K, gemm_slice * run);
    k_end = min(K, k_begin + run);
  }

  float acc[THREAD_M][THREAD_N];
  for (int i = 0; i < THREAD_M; ++i)
    for (int j = 0; j < THREAD_N; ++j) acc[i][j] = 0.0;

  // Every invocation reaches every barrier: no early exit above or inside.
  for (int k0 = k_begin; k0 < k_end; k0 += TILE_K) {
    for (int e = tid; e < TILE_M * TILE_K; e += threads) {
      int mm, kk;
      if (A_DEPTH_FASTEST) {
        mm = e / TILE_K;
        kk = e - mm * TILE_K;
      } else {
        kk = e / TILE_M;
        mm = e - kk * TILE_M;
      }
      const int m = row0 + mm, k = k0 + kk;
      float v = 0.0;
      if (m < M && k < k_end) v = load_a(m, k);
      tile_a[kk * TILE_M + mm] = v;
    }
    for (int e = tid; e < TILE_K * TILE_N; e += threads) {
      const int kk = e / TILE_N, nn = e - kk * TILE_N;
      const int k = k0 + kk, n = col0 + nn;
      float v = 0.0;
      if (k < k_end && n < N) v = load_b(k, n);
      tile_b[kk * TILE_N + nn] = v;
    }
    barrier();
    for (int kk = 0; kk < TILE_K; ++kk) {
      float a[THREAD_M], b[THREAD_N];
      for (int i = 0; i < THREAD_M; ++i) a[i] = tile_a[kk * TILE_M + ty + i * step_m];
      for (int j = 0; j < THREAD_N; ++j) b[j] = tile_b[kk * TILE_N + tx + j * step_n];
      for (int i = 0; i < THREAD_M; ++i)
        for (int j = 0; j < THREAD_N; ++j) acc[i][j] = fma(a[i], b[j], acc[i][j]);
    }
    barrier();
  }

  for (int i = 0; i < THREAD_M; ++i) {
    const int m = row0 + ty + i * step_m;
    if (m >= M) break;
    for (int j = 0; j < THREAD_N; ++j) {
      const int n = col0 + tx + j * step_n;
      if (n < N) store_c(m, n, acc[i][j]);
    }
  }
}

#endif
