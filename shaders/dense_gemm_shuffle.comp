#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
// Dense GEMM, register-blocked with shared row loads: the register_blocked
// variant on CPU drivers that offer subgroup shuffles (lavapipe).
//
//   C[m,n] = act(sum_k A(m,k) * B(k,n) + bias[n])        C row-major (M, N)
//   A(m,k) = TRANSPOSE_A ? a[k*M + m] : a[m*K + k]
//   B(k,n) = TRANSPOSE_B ? b[n*K + k] : b[k*N + n]
// (the dense ops map onto it as in dense_gemm_blocked.comp).
//
// Why it is shaped this way: lavapipe executes a storage-buffer load as a
// loop over the SIMD lanes (a vec4 load costs about as much as 60-80 SIMD
// FMAs, whether or not the lanes' addresses agree), while a subgroupShuffle
// whose lane index is a constant once the loops are unrolled costs 4-5x
// less than a load. So a workgroup is one subgroup of SHARE_SUBGROUP lanes
// that together own a ROWS x (SHARE_SUBGROUP * 4 * COLUMN_VECS) block of C:
// every lane owns all ROWS rows and its own 4 * COLUMN_VECS consecutive
// columns. The A values of a step are the same for every lane: each lane
// loads a few of those vec4s and the lanes pass them round with
// subgroupShuffle; the B values differ per lane and each lane loads its own,
// as vec4s along B's contiguous axis (along k with TRANSPOSE_B, which costs
// nothing to transpose: a vec4 is four registers on lavapipe). Per step of
// four k, a lane then does 4 * ROWS * COLUMN_VECS vec4 FMAs for
// 4 * COLUMN_VECS own loads, ROWS / SHARE_SUBGROUP shared loads and ROWS
// shuffles. Every loop over the block is unrolled ([[unroll]]): a private
// array indexed at run time is itself a loop of per-lane loads there.
//
// vec4 accesses need 16-byte aligned addresses: VEC4_A is set only when A's
// contiguous axis (K, or M with TRANSPOSE_A) is a multiple of 4 long, VEC4_B
// likewise (N, or K with TRANSPOSE_B), VEC4_C (vec4 stores of C and loads of
// bias) when N is; otherwise those accesses are scalar. Rows past M and
// columns past N read a clamped (valid) row or column and are not stored.
// There is no early exit: every lane must reach every shuffle.
//
// Bindings: 0 a (read), 1 b (read), 2 bias (float[N], read only when
// HAS_BIAS; bind any buffer otherwise), 3 c (float[M*N], written). a and b
// are inputs in the sense of texel_reads.glsl.
// Push constants: M, N, K (all > 0).
// Workgroup: (SHARE_SUBGROUP, 1, 1), SHARE_SUBGROUP = the subgroup size.
// Dispatch: groups = (div_up(N, SHARE_SUBGROUP * 4 * COLUMN_VECS), div_up(M, ROWS), 1).
// Spec constants: 3 TRANSPOSE_A, 4 TRANSPOSE_B, 5 HAS_BIAS, 6 RELU,
// 7 ROWS (a multiple of 4), 8 COLUMN_VECS, 9 VEC4_A, 10 VEC4_B, 11 VEC4_C,
// 12 SHARE_SUBGROUP (> 0; should the device run another subgroup size, the
// outputs are NaN rather than wrong).
#include "common.glsl"
#include "texel_reads.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(constant_id = 3) const bool TRANSPOSE_A = false;
layout(constant_id = 4) const bool TRANSPOSE_B = false;
layout(constant_id = 5) const bool HAS_BIAS = false;
layout(constant_id = 6) const bool RELU = false;
layout(constant_id = 7) const uint ROWS = 32;
layout(constant_id = 8) const uint COLUMN_VECS = 1;
layout(constant_id = 9) const bool VEC4_A = false;
layout(constant_id = 10) const bool VEC4_B = false;
layout(constant_id = 11) const bool VEC4_C = false;
layout(constant_id = 12) const uint SHARE_SUBGROUP = 8;

const uint COLUMNS = 4u * COLUMN_VECS;  // per lane
// Shared A vec4s per step of four k: ROWS of them (a vec4 along k per row,
// or along m per 4 rows and k), spread over the lanes in SHARE_ROUNDS loads.
const uint SHARE_ROUNDS = (ROWS + SHARE_SUBGROUP - 1u) / SHARE_SUBGROUP;

VKNN_INPUT(0, a_in);
VKNN_INPUT(1, b_in);
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
  const uint lane = gl_SubgroupInvocationID;
  const uint m0 = gl_WorkGroupID.y * ROWS;
  const uint n_lane = (gl_WorkGroupID.x * SHARE_SUBGROUP + gl_LocalInvocationID.x) * COLUMNS;

  // The shared vec4 this lane loads in round s of a step: index
  // v = s * SHARE_SUBGROUP + lane (clamped to the last one), which is
  //   !TRANSPOSE_A: row m0 + v, k0 .. k0+3
  //    TRANSPOSE_A: k0 + v % 4, rows m0 + 4 * (v / 4) .. +3
  // Its clamped row (or first row of the 4), fixed for the whole loop:
  uint share_row[SHARE_ROUNDS];
  uint share_t[SHARE_ROUNDS];
  [[unroll]] for (uint s = 0u; s < SHARE_ROUNDS; ++s) {
    const uint v = min(s * SHARE_SUBGROUP + lane, ROWS - 1u);
    if (!TRANSPOSE_A) {
      share_row[s] = min(m0 + v, p.M - 1u);
      share_t[s] = 0u;
    } else {
      share_row[s] = m0 + 4u * (v / 4u);
      share_t[s] = v % 4u;
    }
  }
  // Clamped columns (loads stay in bounds; extra outputs are dropped).
  uint column[COLUMNS];
  [[unroll]] for (uint j = 0u; j < COLUMNS; ++j) column[j] = min(n_lane + j, p.N - 1u);
  const uint last_n4 = p.N / 4u - 1u;  // read only with VEC4_B && !TRANSPOSE_B (N % 4 == 0)
  const uint last_m4 = p.M / 4u - 1u;  // read only with VEC4_A && TRANSPOSE_A (M % 4 == 0)

  vec4 acc[ROWS][COLUMN_VECS];
  [[unroll]] for (uint r = 0u; r < ROWS; ++r)
    [[unroll]] for (uint q = 0u; q < COLUMN_VECS; ++q) acc[r][q] = vec4(0.0);

  const uint k_whole = p.K & ~3u;
  for (uint k0 = 0u; k0 < k_whole; k0 += 4u) {
    // This lane's share of A.
    vec4 mine[SHARE_ROUNDS];
    [[unroll]] for (uint s = 0u; s < SHARE_ROUNDS; ++s) {
      if (!TRANSPOSE_A) {
        const uint base = share_row[s] * p.K + k0;
        mine[s] = VEC4_A ? VKNN_LOAD4(a_in, base >> 2)
                         : vec4(VKNN_LOAD1(a_in, base), VKNN_LOAD1(a_in, base + 1u), VKNN_LOAD1(a_in, base + 2u), VKNN_LOAD1(a_in, base + 3u));
      } else {
        const uint base = (k0 + share_t[s]) * p.M;
        if (VEC4_A) {
          mine[s] = VKNN_LOAD4(a_in, (base >> 2) + min(share_row[s] >> 2, last_m4));
        } else {
          const uint last = p.M - 1u, m = share_row[s];
          mine[s] = vec4(VKNN_LOAD1(a_in, base + min(m, last)), VKNN_LOAD1(a_in, base + min(m + 1u, last)),
                         VKNN_LOAD1(a_in, base + min(m + 2u, last)), VKNN_LOAD1(a_in, base + min(m + 3u, last)));
        }
      }
    }
    // The lane's own B: b_block[t][q] = B(k0 + t, columns 4q .. 4q+3).
    vec4 b_block[4][COLUMN_VECS];
    if (!TRANSPOSE_B) {
      [[unroll]] for (uint t = 0u; t < 4u; ++t) {
        const uint base = (k0 + t) * p.N;
        [[unroll]] for (uint q = 0u; q < COLUMN_VECS; ++q) {
          if (VEC4_B) {
            b_block[t][q] = VKNN_LOAD4(b_in, (base >> 2) + min((n_lane >> 2) + q, last_n4));
          } else {
            b_block[t][q] = vec4(VKNN_LOAD1(b_in, base + column[4u * q]), VKNN_LOAD1(b_in, base + column[4u * q + 1u]),
                                 VKNN_LOAD1(b_in, base + column[4u * q + 2u]), VKNN_LOAD1(b_in, base + column[4u * q + 3u]));
          }
        }
      }
    } else {
      [[unroll]] for (uint j = 0u; j < COLUMNS; ++j) {
        const uint base = column[j] * p.K + k0;
        const vec4 v = VEC4_B ? VKNN_LOAD4(b_in, base >> 2)
                              : vec4(VKNN_LOAD1(b_in, base), VKNN_LOAD1(b_in, base + 1u), VKNN_LOAD1(b_in, base + 2u), VKNN_LOAD1(b_in, base + 3u));
        [[unroll]] for (uint t = 0u; t < 4u; ++t) b_block[t][j / 4u][j % 4u] = v[t];
      }
    }
    if (!TRANSPOSE_A) {
      // Shared vec4 r is row r over k0 .. k0+3.
      [[unroll]] for (uint r = 0u; r < ROWS; ++r) {
        const vec4 av = subgroupShuffle(mine[r / SHARE_SUBGROUP], r % SHARE_SUBGROUP);
        [[unroll]] for (uint t = 0u; t < 4u; ++t)
          [[unroll]] for (uint q = 0u; q < COLUMN_VECS; ++q)
            acc[r][q] = fma(vec4(av[t]), b_block[t][q], acc[r][q]);
      }
    } else {
      // Shared vec4 v = 4 * r4 + t is k0 + t over rows 4 * r4 .. +3.
      [[unroll]] for (uint v = 0u; v < ROWS; ++v) {
        const uint t = v % 4u, r4 = v / 4u;
        const vec4 av = subgroupShuffle(mine[v / SHARE_SUBGROUP], v % SHARE_SUBGROUP);
        [[unroll]] for (uint i = 0u; i < 4u; ++i)
          [[unroll]] for (uint q = 0u; q < COLUMN_VECS; ++q)
            acc[4u * r4 + i][q] = fma(vec4(av[i]), b_block[t][q], acc[4u * r4 + i][q]);
      }
    }
  }
  // The last K % 4 steps, one k at a time with scalar loads (the shared A
  // values as floats: share index v is row v here, whatever the transpose).
  const uint a_stride_m = TRANSPOSE_A ? 1u : p.K;
  const uint a_stride_k = TRANSPOSE_A ? p.M : 1u;
  const uint b_stride_k = TRANSPOSE_B ? 1u : p.N;
  const uint b_stride_n = TRANSPOSE_B ? p.K : 1u;
  for (uint k = k_whole; k < p.K; ++k) {
    float mine[SHARE_ROUNDS];
    [[unroll]] for (uint s = 0u; s < SHARE_ROUNDS; ++s) {
      const uint row = min(m0 + min(s * SHARE_SUBGROUP + lane, ROWS - 1u), p.M - 1u);
      mine[s] = VKNN_LOAD1(a_in, row * a_stride_m + k * a_stride_k);
    }
    vec4 b_row[COLUMN_VECS];
    [[unroll]] for (uint q = 0u; q < COLUMN_VECS; ++q)
      [[unroll]] for (uint i = 0u; i < 4u; ++i)
        b_row[q][i] = VKNN_LOAD1(b_in, k * b_stride_k + column[4u * q + i] * b_stride_n);
    [[unroll]] for (uint r = 0u; r < ROWS; ++r) {
      const float av = subgroupShuffle(mine[r / SHARE_SUBGROUP], r % SHARE_SUBGROUP);
      [[unroll]] for (uint q = 0u; q < COLUMN_VECS; ++q)
        acc[r][q] = fma(vec4(av), b_row[q], acc[r][q]);
    }
  }

  // The host shares loads only where it knows the subgroup size; should the
  // device run another one, fail loudly (NaN) rather than wrongly.
  const bool poisoned = gl_SubgroupSize != SHARE_SUBGROUP;
  [[unroll]] for (uint q = 0u; q < COLUMN_VECS; ++q) {
    const uint n = n_lane + 4u * q;
    if (n >= p.N) break;
    vec4 bias_v = vec4(0.0);
    if (HAS_BIAS) {
      if (VEC4_C) {
        bias_v = bias4[n >> 2];
      } else {
        const uint last = p.N - 1u;
        bias_v = vec4(bias[n], bias[min(n + 1u, last)], bias[min(n + 2u, last)],
                      bias[min(n + 3u, last)]);
      }
    }
    [[unroll]] for (uint r = 0u; r < ROWS; ++r) {
      const uint m = m0 + r;
      if (m >= p.M) break;
      vec4 value = acc[r][q];
      if (HAS_BIAS) value += bias_v;
      if (poisoned) value = vec4(uintBitsToFloat(0x7fc00000u));
      // `value < 0` keeps a NaN (relu of NaN is NaN, as on the CPU).
      if (RELU) value = mix(value, vec4(0.0), lessThan(value, vec4(0.0)));
      if (VEC4_C) {
        c4[(m * p.N + n) >> 2] = value;
      } else {
        [[unroll]] for (uint i = 0u; i < 4u; ++i)
          if (n + i < p.N) c[m * p.N + n + i] = value[i];
      }
    }
  }
}
