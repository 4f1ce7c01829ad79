// Channel-vectorised max pooling: one invocation handles one output window
// for CHANNEL_WIDTH (1 or 4) adjacent channels. On lavapipe every buffer
// load is a per-lane loop and integer division is scalar, so loading vec4s
// and decomposing the index once per 4 channels is what makes pooling
// cheap there; GPUs are indifferent.
//
// Specialization constant 3: CHANNEL_WIDTH, 4 when channels % 4 == 0.
// Winner rule (as Pool2DGeometry): the first maximum in row-major window
// order; padded taps never win.
#ifndef VKNN_MAXPOOL2D_VEC_GLSL
#define VKNN_MAXPOOL2D_VEC_GLSL

layout(constant_id = 3) const uint CHANNEL_WIDTH = 1;

#include "texel_reads.glsl"
VKNN_INPUT(0, x_in);  // an input in the sense of texel_reads.glsl

#include "pool2d_push.glsl"

vec4 load_x(uint pixel, uint group) {
  if (CHANNEL_WIDTH == 4u) return VKNN_LOAD4(x_in, pixel * uint(p.channels / 4) + group);
  return vec4(VKNN_LOAD1(x_in, pixel * uint(p.channels) + group), 0.0, 0.0, 0.0);
}

// The window of output (n, oy, ox) for channel group `group`: its maximum
// and the row-major tap index (ky * pool_w + kx) of its first maximum, per
// channel lane.
void window_max(int n, int oy, int ox, uint group, out vec4 best, out ivec4 best_tap) {
  best = vec4(0.0);
  best_tap = ivec4(-1);
  for (int ky = 0; ky < p.pool_h; ++ky) {
    const int iy = oy * p.stride_h + ky - p.pad_top;
    if (iy < 0 || iy >= p.in_h) continue;
    for (int kx = 0; kx < p.pool_w; ++kx) {
      const int ix = ox * p.stride_w + kx - p.pad_left;
      if (ix < 0 || ix >= p.in_w) continue;
      const vec4 v = load_x(uint((n * p.in_h + iy) * p.in_w + ix), group);
      // Strictly greater keeps the first maximum; the first real tap always wins.
      const bvec4 take = bvec4(uvec4(greaterThan(v, best)) | uvec4(equal(best_tap, ivec4(-1))));
      best = mix(best, v, take);
      best_tap = mix(best_tap, ivec4(ky * p.pool_w + kx), take);
    }
  }
}

#endif
