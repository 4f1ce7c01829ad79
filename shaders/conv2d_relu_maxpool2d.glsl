// What the fused conv2d + relu + maxpool2d forward and the pooling's
// backward from winners share (ConvReluPoolGeometry): the push block
// (src/ops/vulkan/conv2d_relu_maxpool2d_shaders.hpp mirrors it), the pool
// window as specialization constants, and the winner bytes' layout.
#ifndef VKNN_CONV2D_RELU_MAXPOOL2D_GLSL
#define VKNN_CONV2D_RELU_MAXPOOL2D_GLSL

layout(push_constant) uniform Push {
  int batch;
  int in_h;      // conv input (its channels: the shaders' IN_C)
  int in_w;
  int channels;  // conv output channels = pooled channels
  int map_h;     // conv output = pool input
  int map_w;
  int out_h;     // pooled
  int out_w;
  int pad_top;   // conv padding ('same'; 0 for 'valid')
  int pad_left;
} p;

// The pool window; its stride is the same (the windows tile the map).
layout(constant_id = 3) const int POOL_H = 2;
layout(constant_id = 4) const int POOL_W = 2;
// The conv's output channels are a multiple of 4: y, dy and dx are read and
// written as vec4s (else float by float).
layout(constant_id = 5) const bool OC_VEC4 = false;

// Winner bytes: one 32-bit word per pooled pixel and group of 4 channels,
// channel c in byte c % 4; word index pixel * channel_groups + group.
const uint NO_WINNER = 255u;
int channel_groups() { return (p.channels + 3) / 4; }

#endif
