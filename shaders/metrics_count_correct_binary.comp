#version 450
#extension GL_GOOGLE_include_directive : require
// metrics_count_correct_binary: Keras's binary accuracy at its 0.5
// threshold, from one logit per sample (vknn::cpu::binary_count_correct):
//   correct[n] = 1 if (logit > 0, i.e. sigmoid > 0.5) == label[n] else 0.
// A label other than 0 or 1 is never correct.
// Bindings: 0 logits (float), 1 labels (uint), 2 correct (uint, write).
// Dispatch: grid-stride over the batch.
#include "common.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(set = 0, binding = 0) readonly buffer Logits { float logits[]; };
layout(set = 0, binding = 1) readonly buffer Labels { uint labels[]; };
layout(set = 0, binding = 2) writeonly buffer Correct { uint correct[]; };
layout(push_constant) uniform Push {
  uint count;  // the batch
} p;

void main() {
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint n = gl_GlobalInvocationID.x; n < p.count; n += stride) {
    const uint predicted = logits[n] > 0.0 ? 1u : 0u;
    correct[n] = predicted == labels[n] ? 1u : 0u;
  }
}
