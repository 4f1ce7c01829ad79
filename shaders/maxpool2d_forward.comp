#version 450
#extension GL_GOOGLE_include_directive : require
// MaxPooling2D forward: y[n,oy,ox,c] = x at the winner of window (oy, ox)
// (contract and tie rule: maxpool2d_window.glsl).
//
// One invocation per output element, channels fastest, so neighbouring
// invocations read neighbouring channels of the same taps.
// Bindings: 0 x (read), 1 y (float[batch*out_h*out_w*channels], written).
// Push constants: see maxpool2d_window.glsl.
// Dispatch: groups = (min(div_up(outputs, local_size_x), max groups), 1, 1);
// each invocation strides over the outputs by the size of the grid.
#include "common.glsl"
#include "maxpool2d_window.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(set = 0, binding = 1) writeonly buffer Y { float y[]; };

void main() {
  const uint outputs = uint(p.batch * p.out_h * p.out_w * p.channels);
  const uint grid = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint o = gl_GlobalInvocationID.x; o < outputs; o += grid) {
    int rest = int(o);
    const int c = rest % p.channels;
    rest /= p.channels;
    const int ox = rest % p.out_w;
    rest /= p.out_w;
    const int oy = rest % p.out_h;
    const int n = rest / p.out_h;
    y[o] = x[window_winner(n, oy, ox, c)];
  }
}
