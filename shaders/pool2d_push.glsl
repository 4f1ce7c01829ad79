// The push constants of every pooling shader (max and average): the
// Pool2DGeometry, as src/ops/vulkan/pool2d_push.hpp's PoolPush lays it out.
#ifndef VKNN_POOL2D_PUSH_GLSL
#define VKNN_POOL2D_PUSH_GLSL

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
