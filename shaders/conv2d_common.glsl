// Shared declarations of the conv2d shaders (conv2d_*.comp).
//
// Layouts (include/vknn/ops/geometry.hpp): x, y, dx, dy are NHWC; the kernel
// is (kh, kw, in_c, out_c), which read as a matrix is K x out_c with
// K = kh*kw*in_c and row k = (ky*kw + kx)*in_c + ic. Every conv2d shader is
// an implicit GEMM over that matrix: no im2col buffer is ever built, the
// patch element a row needs is computed from the geometry when it is read.
//
// Output (oy, ox) reads input (iy, ix) = (oy*stride_h + ky - pad_top,
// ox*stride_w + kx - pad_left); taps outside the input are zero padding.
#ifndef VKNN_CONV2D_COMMON_GLSL
#define VKNN_CONV2D_COMMON_GLSL

// The geometry, filled by src/ops/vulkan/conv2d.cpp (struct Conv2DPush; the
// two must stay identical). 56 bytes; signed so that padded input
// coordinates can go negative.
layout(push_constant) uniform Conv2DPush {
  int batch;
  int in_h, in_w, in_c;
  int out_h, out_w, out_c;
  int kernel_h, kernel_w;
  int stride_h, stride_w;
  int pad_top, pad_left;
  int relu;  // forward only: 1 applies relu to the output
} g;

// Large dispatches fold their block index over the x and z group axes
// (maxComputeWorkGroupCount[0] can be as low as 65535).
uint folded_group_x() { return gl_WorkGroupID.x + gl_WorkGroupID.z * gl_NumWorkGroups.x; }

#endif
