#version 450
#extension GL_GOOGLE_include_directive : require
// loss_softmax_cross_entropy: softmax + sparse categorical cross-entropy,
// fused, forward and backward (vknn::cpu::softmax_cross_entropy):
//   loss[n]       = logsumexp(logits[n,:]) - logits[n, label[n]]
//   dlogits[n, c] = (softmax(logits[n,:])[c] - (c == label[n])) / gradient_divisor
//
// Stable and free of cancellation. With m = the row's first maximum at
// class a and s = sum over c != a of exp(logits[n,c] - m):
//   loss = log1p(s) + (m - logits[n, label])       (both terms >= 0)
//   softmax[c] = exp(logits[n,c] - m) / (1 + s)
//   1 - softmax[label] = s / (1 + s)                     if label == a
//                      = (1 + (s - exp(x_label - m))) / (1 + s)  otherwise
// so a confident row (loss 1e-6, gradient 1e-6) keeps its relative
// precision instead of losing it to 1 - p or log(1 + tiny).
//
// A label outside [0, classes) reads no logit: loss[n] = NaN (visible in
// the summed metrics) and dlogits[n, :] = 0 (the sample does not move the
// weights). The host validates labels when it uploads a dataset; this only
// keeps a bad one from touching memory out of bounds.
//
// Layout: logits, dlogits (batch, classes) row-major; labels, loss (batch).
// Bindings: 0 logits (float, read), 1 labels (uint, read), 2 loss (float,
// write), 3 dlogits (float, write).
// Dispatch: one invocation per row (classifier rows are short: the number
// of classes), grid-stride over rows; x groups = div_up(batch, local_size_x),
// capped by the op.
#include "common.glsl"
#include "accurate_math.glsl"

VKNN_WORKGROUP_LAYOUT;

// The loss of a sample whose label is outside [0, classes): a quiet NaN.
float invalid_label_loss() { return uintBitsToFloat(0x7fc00000u); }

layout(set = 0, binding = 0) readonly buffer Logits { float logits[]; };
layout(set = 0, binding = 1) readonly buffer Labels { uint labels[]; };
layout(set = 0, binding = 2) writeonly buffer Loss { float loss[]; };
layout(set = 0, binding = 3) writeonly buffer DLogits { float dlogits[]; };
layout(push_constant) uniform Push {
  uint batch;
  uint classes;
  float gradient_divisor;
} p;

void main() {
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint n = gl_GlobalInvocationID.x; n < p.batch; n += stride) {
    const uint base = n * p.classes;
    const uint label = labels[n];
    if (label >= p.classes) {
      loss[n] = invalid_label_loss();
      for (uint c = 0u; c < p.classes; ++c) dlogits[base + c] = 0.0;
      continue;
    }

    // First maximum, as the CPU reference's argmax; exp(m - m) = 1 exactly.
    float m = logits[base];
    uint argmax = 0u;
    for (uint c = 1u; c < p.classes; ++c) {
      const float x = logits[base + c];
      if (x > m) {
        m = x;
        argmax = c;
      }
    }
    float s = 0.0;
    for (uint c = 0u; c < p.classes; ++c) {
      if (c != argmax) s += exp(logits[base + c] - m);
    }
    const float x_label = logits[base + label];
    const float e_label = label == argmax ? 1.0 : exp(x_label - m);
    loss[n] = vknn_log1p(s) + (m - x_label);

    const float total = 1.0 + s;
    const float scale = 1.0 / p.gradient_divisor;
    const float one_minus_p = label == argmax ? s : 1.0 + (s - e_label);
    for (uint c = 0u; c < p.classes; ++c) {
      if (c == label) {
        dlogits[base + c] = -(one_minus_p / total) * scale;
      } else {
        const float e = c == argmax ? 1.0 : exp(logits[base + c] - m);
        dlogits[base + c] = (e / total) * scale;
      }
    }
  }
}
