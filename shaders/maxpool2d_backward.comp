#version 450
#extension GL_GOOGLE_include_directive : require
// MaxPooling2D backward as a gather, without atomics:
//   dx[i] = sum of dy over the windows whose winner is input element i
// (contract and tie rule: maxpool2d_window.glsl; 0 where i wins nothing).
//
// One invocation per input element (n, iy, ix, c). It visits the windows
// that cover (iy, ix), oy then ox ascending, recomputes each one's winner
// and adds that window's dy when the winner is its own element. With
// overlapping windows (stride < pool) an element can win several windows;
// the sum is taken in the same order as the CPU reference's scatter
// (window order), so the two backends agree exactly.
// Bindings: 0 x (read), 1 dy (float[outputs], read), 2 dx (float[inputs], written).
// Push constants: see maxpool2d_window.glsl.
// Dispatch: groups = (min(div_up(inputs, local_size_x), max groups), 1, 1);
// each invocation strides over the inputs by the size of the grid.
#include "common.glsl"
#include "maxpool2d_window.glsl"

VKNN_WORKGROUP_LAYOUT;

// RELU_MASK: the pool follows a relu whose output is x; dx is then the
// gradient at the relu's input (zero where x <= 0), relu's backward fused in.
layout(constant_id = 4) const uint RELU_MASK = 0;

layout(set = 0, binding = 1) readonly buffer DY { float dy[]; };
layout(set = 0, binding = 2) writeonly buffer DX { float dx[]; };

// First and last window index along one axis whose window covers input
// coordinate `at`: windows start at o*stride - pad and span `pool`.
ivec2 covering_windows(int at, int pad, int pool, int stride, int out_size) {
  const int shifted = at + pad;  // >= 0
  const int low_numerator = shifted - pool + 1;
  const int first = low_numerator <= 0 ? 0 : (low_numerator + stride - 1) / stride;
  const int last = min(out_size - 1, shifted / stride);
  return ivec2(first, last);
}

void main() {
  const uint inputs = uint(p.batch * p.in_h * p.in_w * p.channels);
  const uint grid = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < inputs; i += grid) {
    int rest = int(i);
    const int c = rest % p.channels;
    rest /= p.channels;
    const int ix = rest % p.in_w;
    rest /= p.in_w;
    const int iy = rest % p.in_h;
    const int n = rest / p.in_h;
    const ivec2 rows = covering_windows(iy, p.pad_top, p.pool_h, p.stride_h, p.out_h);
    const ivec2 cols = covering_windows(ix, p.pad_left, p.pool_w, p.stride_w, p.out_w);
    float sum = 0.0;
    for (int oy = rows.x; oy <= rows.y; ++oy) {
      for (int ox = cols.x; ox <= cols.y; ++ox) {
        if (window_winner(n, oy, ox, c) == i) sum += dy[output_index(n, oy, ox, c)];
      }
    }
    if (RELU_MASK != 0u && !(x[i] > 0.0)) sum = 0.0;
    dx[i] = sum;
  }
}
