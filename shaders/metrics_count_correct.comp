#version 450
#extension GL_GOOGLE_include_directive : require
// metrics_count_correct: per-sample accuracy flags (vknn::cpu::count_correct
// sums them):
//   correct[n] = 1 if argmax(scores[n,:]) == label[n] else 0
// with the first maximum winning ties (numpy's argmax, which Keras'
// accuracy uses). A label outside [0, classes) is never correct.
//
// Layout: scores (batch, classes) row-major; labels, correct (batch).
// Bindings: 0 scores (float, read), 1 labels (uint, read), 2 correct
// (uint, write).
// Dispatch: one invocation per row, grid-stride over rows.
#include "common.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(set = 0, binding = 0) readonly buffer Scores { float scores[]; };
layout(set = 0, binding = 1) readonly buffer Labels { uint labels[]; };
layout(set = 0, binding = 2) writeonly buffer Correct { uint correct[]; };
layout(push_constant) uniform Push {
  uint batch;
  uint classes;
} p;

void main() {
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint n = gl_GlobalInvocationID.x; n < p.batch; n += stride) {
    const uint base = n * p.classes;
    float best = scores[base];
    uint argmax = 0u;
    for (uint c = 1u; c < p.classes; ++c) {
      const float x = scores[base + c];
      if (x > best) {
        best = x;
        argmax = c;
      }
    }
    correct[n] = argmax == labels[n] ? 1u : 0u;
  }
}
