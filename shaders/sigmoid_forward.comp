#version 450
#extension GL_GOOGLE_include_directive : require
// sigmoid_forward: y = 1 / (1 + exp(-x)), element-wise (vknn::cpu::sigmoid_forward):
// a binary classifier's probabilities from its logits. exp() only of
// non-positive values, so nothing overflows: for x < 0, y = e / (1 + e)
// with e = exp(x).
//
// Bindings: 0 x (float, read), 1 y (float, write). Push: count.
// Dispatch: grid-stride over count.
#include "common.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(set = 0, binding = 0) readonly buffer X { float x[]; };
layout(set = 0, binding = 1) writeonly buffer Y { float y[]; };
layout(push_constant) uniform Push {
  uint count;
} p;

void main() {
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) {
    const float z = x[i];
    const float e = exp(-abs(z));
    y[i] = z >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
  }
}
