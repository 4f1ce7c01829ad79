#version 450
#extension GL_GOOGLE_include_directive : require
// loss_sigmoid_cross_entropy: sigmoid + binary cross-entropy, fused, forward
// and backward (vknn::cpu::sigmoid_cross_entropy), one logit per sample:
//   loss[n]    = max(z, 0) - z * label + log(1 + exp(-|z|))
//   dlogits[n] = (sigmoid(z) - label) / gradient_divisor
//
// Free of overflow and cancellation: with a = z for label 0 and -z for
// label 1, loss = max(a, 0) + log1p(exp(-|a|)) (two non-negative terms) and
// sigmoid(z) - label = +-sigmoid(a), so a confident row keeps the relative
// precision of its tiny loss and gradient.
//
// A label other than 0 or 1: loss NaN (visible in the summed metrics) and
// dlogits 0 (the sample does not move the weights); the host validates
// labels at upload, this only keeps a bad one harmless.
// Bindings: 0 logits (float), 1 labels (uint), 2 loss (float, write),
// 3 dlogits (float, write). Dispatch: grid-stride over the batch.
#include "common.glsl"
#include "accurate_math.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(set = 0, binding = 0) readonly buffer Logits { float logits[]; };
layout(set = 0, binding = 1) readonly buffer Labels { uint labels[]; };
layout(set = 0, binding = 2) writeonly buffer Loss { float loss[]; };
layout(set = 0, binding = 3) writeonly buffer DLogits { float dlogits[]; };
layout(push_constant) uniform Push {
  uint batch;
  float gradient_divisor;
} p;

void main() {
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint n = gl_GlobalInvocationID.x; n < p.batch; n += stride) {
    const uint label = labels[n];
    if (label > 1u) {
      loss[n] = uintBitsToFloat(0x7fc00000u);
      dlogits[n] = 0.0;
      continue;
    }
    const float z = logits[n];
    const float a = label == 1u ? -z : z;
    const float e = exp(-abs(a));
    loss[n] = max(a, 0.0) + vknn_log1p(e);
    const float sigmoid_a = a >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
    dlogits[n] = (label == 1u ? -sigmoid_a : sigmoid_a) / p.gradient_divisor;
  }
}
