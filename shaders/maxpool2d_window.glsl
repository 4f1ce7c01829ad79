// The pooling window shared by maxpool2d_forward.comp and
// maxpool2d_backward.comp, so the two cannot disagree about a winner.
//
// Contract (vknn/ops/geometry.hpp Pool2DGeometry): x is NHWC
// (batch, in_h, in_w, channels), y is (batch, out_h, out_w, channels);
// window (oy, ox) covers rows oy*stride_h - pad_top + [0, pool_h) and
// columns ox*stride_w - pad_left + [0, pool_w). Padded taps ('same') are
// skipped, never compared. The winner is the first maximum in row-major
// window order (smallest ky, then kx): a later tap must be strictly greater
// to take over, exactly as the CPU reference compares.
//
// Bindings: 0 x (read), then the op's own.
// Push constants: the Pool2DGeometry below (48 bytes).
#ifndef VKNN_MAXPOOL2D_WINDOW_GLSL
#define VKNN_MAXPOOL2D_WINDOW_GLSL

layout(set = 0, binding = 0) readonly buffer X { float x[]; };
#include "pool2d_push.glsl"

uint input_index(int n, int iy, int ix, int c) {
  return uint(((n * p.in_h + iy) * p.in_w + ix) * p.channels + c);
}

uint output_index(int n, int oy, int ox, int c) {
  return uint(((n * p.out_h + oy) * p.out_w + ox) * p.channels + c);
}

// Index into x of the winner of window (n, oy, ox, c). Every window holds at
// least one real tap (see src/ops/cpu/maxpool2d.cpp), so the result is valid.
uint window_winner(int n, int oy, int ox, int c) {
  uint winner = 0xffffffffu;
  float best = 0.0;
  for (int ky = 0; ky < p.pool_h; ++ky) {
    const int iy = oy * p.stride_h + ky - p.pad_top;
    if (iy < 0 || iy >= p.in_h) continue;
    for (int kx = 0; kx < p.pool_w; ++kx) {
      const int ix = ox * p.stride_w + kx - p.pad_left;
      if (ix < 0 || ix >= p.in_w) continue;
      const uint i = input_index(n, iy, ix, c);
      const float value = x[i];
      if (winner == 0xffffffffu || value > best) {
        winner = i;
        best = value;
      }
    }
  }
  return winner;
}

#endif
