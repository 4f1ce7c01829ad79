#version 450
#extension GL_GOOGLE_include_directive : require
// Dense GEMM, register-blocked: no shared memory, no barriers. The variant
// for CPU drivers (lavapipe), where a workgroup runs as SIMD lanes.
//
//   C[m,n] = act(sum_k A(m,k) * B(k,n) + bias[n])        C row-major (M, N)
//   A(m,k) = TRANSPOSE_A ? a[k*M + m] : a[m*K + k]
//   B(k,n) = TRANSPOSE_B ? b[n*K + k] : b[k*N + n]
//
// The dense ops (vknn/ops/geometry.hpp layouts) map onto it as:
//   forward          y[batch,out] = x[batch,in] * kernel[in,out]   A=x,  B=kernel
//   backward input   dx[batch,in] = dy[batch,out] * kernel^T       A=dy, B=kernel, TRANSPOSE_B
//   backward kernel  dk[in,out]   = x^T * dy[batch,out]            A=x (TRANSPOSE_A), B=dy
//
// Why it is shaped this way: lavapipe executes a storage-buffer load as a
// loop over the SIMD lanes, one scalar access each, whether or not the
// address is the same for every lane, while arithmetic runs 8 lanes at once.
// Loads are the cost, so each invocation owns a ROWS x COLUMNS block of C
// and walks k four steps at a time: per step it loads a ROWS x 4 block of A
// and a 4 x COLUMNS block of B, as vec4s along whichever axis is contiguous
// in memory (a vec4 load costs about half of four scalar ones), and does
// 4 * ROWS * COLUMNS multiply-adds on them.
//
// vec4 loads need 16-byte aligned addresses: VEC4_A is set only when A's
// contiguous axis has a length divisible by 4 (K without transpose, M with),
// VEC4_B likewise (N, or K with transpose), VEC4_C (vec4 stores of C and
// loads of bias) when N is; otherwise those accesses are scalar. Rows past M
// and columns past N read the last row or column (clamped, so every load is
// in bounds) and are not stored.
//
// Bindings: 0 a (read), 1 b (read), 2 bias (float[N], read only when
// HAS_BIAS; bind any buffer otherwise), 3 c (float[M*N], written).
// Push constants: M, N, K (all > 0).
// Dispatch: one invocation per block, blocks numbered row block fastest:
// groups = (div_up(div_up(M, ROWS) * div_up(N, COLUMNS), local_size_x), 1, 1).
// Spec constants: 3 TRANSPOSE_A, 4 TRANSPOSE_B, 5 HAS_BIAS, 6 RELU,
// 7 ROWS, 8 COLUMNS (both multiples of 4), 9 VEC4_A, 10 VEC4_B, 11 VEC4_C.
#include "common.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(constant_id = 3) const bool TRANSPOSE_A = false;
layout(constant_id = 4) const bool TRANSPOSE_B = false;
layout(constant_id = 5) const bool HAS_BIAS = false;
layout(constant_id = 6) const bool RELU = false;
layout(constant_id = 7) const uint ROWS = 4;
layout(constant_id = 8) const uint COLUMNS = 4;
layout(constant_id = 9) const bool VEC4_A = false;
layout(constant_id = 10) const bool VEC4_B = false;
layout(constant_id = 11) const bool VEC4_C = false;
const uint COLUMN_VECTORS = COLUMNS / 4;

// Each input is declared twice over the same binding: as floats and as vec4s.
layout(set = 0, binding = 0) readonly buffer A { float a[]; };
layout(set = 0, binding = 0) readonly buffer A4 { vec4 a4[]; };
layout(set = 0, binding = 1) readonly buffer B { float b[]; };
layout(set = 0, binding = 1) readonly buffer B4 { vec4 b4[]; };
layout(set = 0, binding = 2) readonly buffer Bias { float bias[]; };
layout(set = 0, binding = 2) readonly buffer Bias4 { vec4 bias4[]; };
layout(set = 0, binding = 3) writeonly buffer C { float c[]; };
layout(set = 0, binding = 3) writeonly buffer C4 { vec4 c4[]; };
layout(push_constant) uniform Push {
  uint M;
  uint N;
  uint K;
} p;

void main() {
  const uint row_blocks = div_up(p.M, ROWS);
  const uint block = gl_GlobalInvocationID.x;
  if (block >= row_blocks * div_up(p.N, COLUMNS)) return;
  const uint m0 = (block % row_blocks) * ROWS;
  const uint n0 = (block / row_blocks) * COLUMNS;

  // Clamped row and column indices: loads stay in bounds, extra outputs are dropped.
  uint row[ROWS];
  for (uint r = 0u; r < ROWS; ++r) row[r] = min(m0 + r, p.M - 1u);
  uint column[COLUMNS];
  for (uint j = 0u; j < COLUMNS; ++j) column[j] = min(n0 + j, p.N - 1u);
  // First vec4 of the row block (TRANSPOSE_A) or column block (!TRANSPOSE_B),
  // clamped to the last whole vec4 of the axis.
  const uint last_m4 = p.M / 4u - 1u;
  const uint last_n4 = p.N / 4u - 1u;

  vec4 acc[ROWS * COLUMN_VECTORS];
  for (uint i = 0u; i < ROWS * COLUMN_VECTORS; ++i) acc[i] = vec4(0.0);

  const uint k_whole = p.K & ~3u;
  for (uint k0 = 0u; k0 < k_whole; k0 += 4u) {
    // a_block[r][t] = A(row r, k0 + t)
    vec4 a_block[ROWS];
    if (!TRANSPOSE_A) {
      for (uint r = 0u; r < ROWS; ++r) {
        const uint base = row[r] * p.K + k0;
        a_block[r] = VEC4_A ? a4[base / 4u]
                            : vec4(a[base], a[base + 1u], a[base + 2u], a[base + 3u]);
      }
    } else {
      for (uint t = 0u; t < 4u; ++t) {
        const uint base = (k0 + t) * p.M;
        for (uint r4 = 0u; r4 < ROWS / 4u; ++r4) {
          vec4 v;
          if (VEC4_A) {
            v = a4[base / 4u + min(m0 / 4u + r4, last_m4)];
          } else {
            v = vec4(a[base + row[4u * r4]], a[base + row[4u * r4 + 1u]],
                     a[base + row[4u * r4 + 2u]], a[base + row[4u * r4 + 3u]]);
          }
          for (uint i = 0u; i < 4u; ++i) a_block[4u * r4 + i][t] = v[i];
        }
      }
    }
    // b_block[t * COLUMN_VECTORS + v] = B(k0 + t, columns 4v .. 4v+3)
    vec4 b_block[4 * COLUMN_VECTORS];
    if (!TRANSPOSE_B) {
      for (uint t = 0u; t < 4u; ++t) {
        const uint base = (k0 + t) * p.N;
        for (uint v = 0u; v < COLUMN_VECTORS; ++v) {
          if (VEC4_B) {
            b_block[t * COLUMN_VECTORS + v] = b4[base / 4u + min(n0 / 4u + v, last_n4)];
          } else {
            b_block[t * COLUMN_VECTORS + v] =
                vec4(b[base + column[4u * v]], b[base + column[4u * v + 1u]],
                     b[base + column[4u * v + 2u]], b[base + column[4u * v + 3u]]);
          }
        }
      }
    } else {
      for (uint j = 0u; j < COLUMNS; ++j) {
        const uint base = column[j] * p.K + k0;
        const vec4 v = VEC4_B ? b4[base / 4u]
                              : vec4(b[base], b[base + 1u], b[base + 2u], b[base + 3u]);
        for (uint t = 0u; t < 4u; ++t) b_block[t * COLUMN_VECTORS + j / 4u][j % 4u] = v[t];
      }
    }
    for (uint r = 0u; r < ROWS; ++r) {
      for (uint v = 0u; v < COLUMN_VECTORS; ++v) {
        vec4 sum = acc[r * COLUMN_VECTORS + v];
        for (uint t = 0u; t < 4u; ++t) sum = fma(vec4(a_block[r][t]), b_block[t * COLUMN_VECTORS + v], sum);
        acc[r * COLUMN_VECTORS + v] = sum;
      }
    }
  }
  // The last K % 4 steps, one at a time with scalar loads.
  const uint a_stride_m = TRANSPOSE_A ? 1u : p.K;
  const uint a_stride_k = TRANSPOSE_A ? p.M : 1u;
  const uint b_stride_k = TRANSPOSE_B ? 1u : p.N;
  const uint b_stride_n = TRANSPOSE_B ? p.K : 1u;
  for (uint k = k_whole; k < p.K; ++k) {
    vec4 b_row[COLUMN_VECTORS];
    for (uint v = 0u; v < COLUMN_VECTORS; ++v) {
      for (uint i = 0u; i < 4u; ++i) b_row[v][i] = b[k * b_stride_k + column[4u * v + i] * b_stride_n];
    }
    for (uint r = 0u; r < ROWS; ++r) {
      const float a_value = a[row[r] * a_stride_m + k * a_stride_k];
      for (uint v = 0u; v < COLUMN_VECTORS; ++v) {
        acc[r * COLUMN_VECTORS + v] = fma(vec4(a_value), b_row[v], acc[r * COLUMN_VECTORS + v]);
      }
    }
  }

  for (uint r = 0u; r < ROWS; ++r) {
    const uint m = m0 + r;
    if (m >= p.M) break;
    for (uint v = 0u; v < COLUMN_VECTORS; ++v) {
      const uint n = n0 + 4u * v;
      if (n >= p.N) break;
      vec4 value = acc[r * COLUMN_VECTORS + v];
      if (VEC4_C && n + 3u < p.N) {
        if (HAS_BIAS) value += bias4[n / 4u];
        // `value < 0` keeps a NaN (relu of NaN is NaN, as on the CPU).
        if (RELU) value = mix(value, vec4(0.0), lessThan(value, vec4(0.0)));
        c4[(m * p.N + n) / 4u] = value;
      } else {
        for (uint i = 0u; i < 4u && n + i < p.N; ++i) {
          float scalar = value[i];
          if (HAS_BIAS) scalar += bias[n + i];
          if (RELU && scalar < 0.0) scalar = 0.0;
          c[m * p.N + n + i] = scalar;
        }
      }
    }
  }
}
