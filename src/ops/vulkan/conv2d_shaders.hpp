// The C++ side of the conv2d shaders' interface: their push-constant block
// and the ids of their specialization constants. Field order, types and
// names follow the GLSL, which tests/vulkan/shader_layout_test.cpp checks
// against the compiled SPIR-V (offsets, size, and that every id here exists).
#pragma once

#include <cstdint>

namespace vknn::vk::ops {

// shaders/conv2d_common.glsl, `layout(push_constant) uniform Conv2DPush`;
// all seven conv2d shaders.
struct Conv2DPush {
  std::int32_t batch;
  std::int32_t in_h, in_w, in_c;
  std::int32_t out_h, out_w, out_c;
  std::int32_t kernel_h, kernel_w;
  std::int32_t stride_h, stride_w;
  std::int32_t pad_top, pad_left;
  std::int32_t relu;
};

// shaders/conv2d_forward.comp, `layout(constant_id = 3..7)`.
struct Conv2DForwardSpec {
  enum Id : std::uint32_t {
    pixels = 3,          // PIXELS: output rows per invocation
    channel_vecs = 4,    // CHANNEL_VECS: vec4s of output channels per invocation
    ic_vec4 = 5,         // IC_VEC4: in_c % 4 == 0
    oc_vec4 = 6,         // OC_VEC4: out_c % 4 == 0
    share_subgroup = 7,  // SHARE_SUBGROUP: lanes sharing loads, 0 = none
  };
};

// shaders/conv2d_backward_input.comp, `layout(constant_id = 3..7)`.
struct Conv2DBackwardInputSpec {
  enum Id : std::uint32_t {
    pixels = 3,          // PIXELS: dx rows per invocation
    channels = 4,        // CHANNELS: input channels per invocation
    oc_vec4 = 5,         // OC_VEC4
    share_subgroup = 6,  // SHARE_SUBGROUP
    unit_stride = 7,     // UNIT_STRIDE: stride 1 x 1
  };
};

// shaders/conv2d_backward_kernel.comp, `layout(constant_id = 3..7)`.
struct Conv2DBackwardKernelSpec {
  enum Id : std::uint32_t {
    rows = 3,            // ROWS: kernel rows per invocation
    channel_vecs = 4,    // CHANNEL_VECS
    row_vec4 = 5,        // ROW_VEC4: read 4 rows (channels) per x vec4
    oc_vec4 = 6,         // OC_VEC4
    share_subgroup = 7,  // SHARE_SUBGROUP
  };
};

// shaders/conv2d_backward_bias.comp, `layout(constant_id = 3..5)`.
struct Conv2DBackwardBiasSpec {
  enum Id : std::uint32_t {
    variant = 3,  // VARIANT: 0 register-blocked, 1 shared-memory split
    oc_vec4 = 4,  // OC_VEC4
    split = 5,    // SPLIT: pixel rows per workgroup (= workgroup size y) in variant 1
  };
};

// shaders/conv2d_winograd.comp, `layout(constant_id = 3..6)`.
struct Conv2DWinogradSpec {
  enum Id : std::uint32_t {
    tiles = 3,           // TILES: 2x2 output tiles per invocation, along x
    channel_vecs = 4,    // CHANNEL_VECS: vec4s of output channels per invocation
    share_subgroup = 5,  // SHARE_SUBGROUP: lanes sharing the kernel transform, 0 = none
    backward_input = 6,  // BACKWARD_INPUT: the input gradient instead of the forward pass
  };
};

// shaders/conv2d_winograd_backward_kernel.comp, `layout(constant_id = 3..4)`.
struct Conv2DWinogradKernelGradSpec {
  enum Id : std::uint32_t {
    channel_vecs = 3,    // CHANNEL_VECS: vec4s of output channels per invocation
    share_subgroup = 4,  // SHARE_SUBGROUP: lanes sharing the input patch loads, 0 = none
  };
};

// shaders/conv2d_tiled_gemm.glsl, `layout(constant_id = 3..8)`; the three
// *_tiled.comp shaders.
struct Conv2DTiledSpec {
  enum Id : std::uint32_t {
    tile_m = 3, tile_n = 4, tile_k = 5,  // TILE_M, TILE_N, TILE_K: the GEMM tile
    thread_m = 6, thread_n = 7,          // THREAD_M, THREAD_N: outputs per invocation
    a_depth_fastest = 8,                 // A_DEPTH_FASTEST: A's layout
    split_k = 9,                         // SPLIT_K: reduction slices (partial sums)
  };
};

}  // namespace vknn::vk::ops
