#version 450
#extension GL_GOOGLE_include_directive : require
// avgpool2d_backward: dx[n,iy,ix,c] = sum over the windows holding the tap
// of dy[window] / (the window's real taps); 0 for taps in no window.
//
// A gather: one invocation per input element, visiting the windows over it
// in row-major order, which is the order the CPU reference's scatter adds
// them in, so both backends form the same float sums.
// Bindings: 0 dy, 1 dx. Push: the pool geometry (pool2d_push.glsl).
// Dispatch: grid-stride over batch*in_h*in_w*channels inputs.
#include "common.glsl"
#include "pool2d_push.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(set = 0, binding = 0) readonly buffer DY { float dy[]; };
layout(set = 0, binding = 1) writeonly buffer DX { float dx[]; };

// The windows along one axis that hold input coordinate `i`: first..last.
void windows_over(int i, int pad_before, int pool, int stride, int out_size, out int first,
                  out int last) {
  // Window o covers [o * stride - pad_before, o * stride - pad_before + pool).
  const int shifted = i + pad_before;
  first = shifted - pool + 1 <= 0 ? 0 : (shifted - pool + 1 + stride - 1) / stride;
  last = min(shifted / stride, out_size - 1);
}

// The number of real taps of the window starting at `start` along an axis.
int real_taps(int start, int pool, int size) { return min(start + pool, size) - max(start, 0); }

void main() {
  const uint items = uint(p.batch * p.in_h * p.in_w * p.channels);
  const uint grid = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < items; i += grid) {
    const int c = int(i % uint(p.channels));
    const uint pixel = i / uint(p.channels);
    const int ix = int(pixel % uint(p.in_w));
    const uint row = pixel / uint(p.in_w);
    const int iy = int(row % uint(p.in_h));
    const int n = int(row / uint(p.in_h));
    int oy0, oy1, ox0, ox1;
    windows_over(iy, p.pad_top, p.pool_h, p.stride_h, p.out_h, oy0, oy1);
    windows_over(ix, p.pad_left, p.pool_w, p.stride_w, p.out_w, ox0, ox1);
    float sum = 0.0;
    for (int oy = oy0; oy <= oy1; ++oy) {
      const int rows = real_taps(oy * p.stride_h - p.pad_top, p.pool_h, p.in_h);
      for (int ox = ox0; ox <= ox1; ++ox) {
        const int cols = real_taps(ox * p.stride_w - p.pad_left, p.pool_w, p.in_w);
        sum += dy[((n * p.out_h + oy) * p.out_w + ox) * p.channels + c] / float(rows * cols);
      }
    }
    dx[i] = sum;
  }
}
