// The C++ side of the dense shaders' interface: push-constant blocks and
// specialization constant ids. Field order, types and names follow the
// GLSL, which tests/vulkan/shader_layout_test.cpp checks against the
// compiled SPIR-V (offsets, size, and that every id here exists).
#pragma once

#include <cstdint>

namespace vknn::vk::ops {

// `layout(push_constant) uniform Push` of dense_gemm_blocked.comp,
// dense_gemm_shuffle.comp and dense_gemm_tiled.comp: C[M,N] = A(M,K) * B(K,N).
struct GemmPush {
  std::uint32_t M, N, K;
};

// dense_bias_grad.comp's push block.
struct DenseBiasGradPush {
  std::uint32_t batch, out_features;
};

// `layout(constant_id = 3..6)`, the same in the three GEMM shaders.
// TRANSPOSE_A, TRANSPOSE_B, HAS_BIAS (binding 2 is read), RELU (fused).
struct GemmSpec {
  enum Id : std::uint32_t { transpose_a = 3, transpose_b = 4, has_bias = 5, relu = 6 };
};

// dense_gemm_blocked.comp, `layout(constant_id = 7..11)`.
struct GemmBlockedSpec {
  enum Id : std::uint32_t {
    rows = 7,     // ROWS of C per invocation
    columns = 8,  // COLUMNS of C per invocation
    vec4_a = 9,   // VEC4_A: A's contiguous axis is a multiple of 4
    vec4_b = 10,  // VEC4_B
    vec4_c = 11,  // VEC4_C
  };
};

// dense_gemm_shuffle.comp, `layout(constant_id = 7..12)`.
struct GemmShuffleSpec {
  enum Id : std::uint32_t {
    rows = 7,            // ROWS of C per workgroup
    column_vecs = 8,     // COLUMN_VECS: vec4s of columns per lane
    vec4_a = 9,          // VEC4_A
    vec4_b = 10,         // VEC4_B
    vec4_c = 11,         // VEC4_C
    share_subgroup = 12, // SHARE_SUBGROUP: lanes sharing row loads
  };
};

// dense_gemm_tiled.comp, `layout(constant_id = 7..9)`.
struct GemmTiledSpec {
  enum Id : std::uint32_t { tile_m = 7, tile_n = 8, tile_k = 9 };  // TILE_M, TILE_N, TILE_K
};

}  // namespace vknn::vk::ops
