// The push constants of every maxpool2d shader: the Pool2DGeometry, as
// src/vulkan/ops/maxpool2d.cpp's PoolPush lays it out.
#ifndef VKNN_MAXPOOL2D_PUSH_GLSL
#define VKNN_MAXPOOL2D_PUSH_GLSL

layout(push_constant) uniform Push {
  int batch;
  int in_h;
  int in_w;
  int channels;
  int out_h;
  int out_w;
  int pool_h;
  int pool_w;
  int stride_h;
  int stride_w;
  int pad_top;
  int pad_left;
} p;

#endif
