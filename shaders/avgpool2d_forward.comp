#version 450
#extension GL_GOOGLE_include_directive : require
// avgpool2d_forward: y[n,oy,ox,c] = mean of the window's real taps of x
// (NHWC). In 'same' mode a border window divides by the number of input
// pixels it covers, as TensorFlow does. GlobalAveragePooling2D is this op
// with the window over the whole map.
//
// Taps are summed in row-major window order, as the CPU reference does.
// Bindings: 0 x, 1 y. Push: the pool geometry (pool2d_push.glsl).
// Dispatch: grid-stride over batch*out_h*out_w*channels outputs.
#include "common.glsl"
#include "pool2d_push.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(set = 0, binding = 0) readonly buffer X { float x[]; };
layout(set = 0, binding = 1) writeonly buffer Y { float y[]; };

void main() {
  const uint items = uint(p.batch * p.out_h * p.out_w * p.channels);
  const uint grid = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < items; i += grid) {
    const int c = int(i % uint(p.channels));
    const uint pixel = i / uint(p.channels);  // (n * out_h + oy) * out_w + ox
    const int ox = int(pixel % uint(p.out_w));
    const uint row = pixel / uint(p.out_w);
    const int oy = int(row % uint(p.out_h));
    const int n = int(row / uint(p.out_h));
    const int top = oy * p.stride_h - p.pad_top;
    const int left = ox * p.stride_w - p.pad_left;
    const int y0 = max(top, 0), y1 = min(top + p.pool_h, p.in_h);
    const int x0 = max(left, 0), x1 = min(left + p.pool_w, p.in_w);
    float sum = 0.0;
    for (int iy = y0; iy < y1; ++iy) {
      const int base = ((n * p.in_h + iy) * p.in_w) * p.channels + c;
      for (int ix = x0; ix < x1; ++ix) sum += x[base + ix * p.channels];
    }
    y[i] = sum / float((y1 - y0) * (x1 - x0));
  }
}
