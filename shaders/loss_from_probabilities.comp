#version 450
#extension GL_GOOGLE_include_directive : require
// loss_from_probabilities: sparse categorical cross-entropy on probabilities
// (what a softmax output layer produces), clipped as Keras clips
// (vknn::cpu::cross_entropy_from_probabilities):
//   loss[n] = -log(clamp(p[n, label[n]], 1e-7, 1 - 1e-7))
//
// The reference clamps in double. In float, 1 - 1e-7 is not representable;
// the probabilities above the double bound are exactly the floats above
// 0.99999988 (0.99999994 and 1), and all of them give the reference's
// -log(1 - 1e-7) = 1.00000005e-7, so the shader returns that constant for
// them. Below, -log(max(p, 1e-7)) with accurate_math.glsl's log.
//
// A label outside [0, classes) reads nothing: loss[n] = NaN (see
// loss_softmax_cross_entropy.comp for why).
//
// Layout: probabilities (batch, classes) row-major; labels, loss (batch).
// Bindings: 0 probabilities (float, read), 1 labels (uint, read), 2 loss
// (float, write).
// Dispatch: one invocation per row, grid-stride over rows.
#include "common.glsl"
#include "accurate_math.glsl"

VKNN_WORKGROUP_LAYOUT;

// The loss of a sample whose label is outside [0, classes): a quiet NaN.
float invalid_label_loss() { return uintBitsToFloat(0x7fc00000u); }

layout(set = 0, binding = 0) readonly buffer Probabilities { float probabilities[]; };
layout(set = 0, binding = 1) readonly buffer Labels { uint labels[]; };
layout(set = 0, binding = 2) writeonly buffer Loss { float loss[]; };
layout(push_constant) uniform Push {
  uint batch;
  uint classes;
} p;

const float kLowerClip = 1e-7;
const float kHighestUnclipped = 0.99999988;     // the largest float <= 1 - 1e-7
const float kLossAtUpperClip = 1.00000005e-7;  // -log(1 - 1e-7)

void main() {
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint n = gl_GlobalInvocationID.x; n < p.batch; n += stride) {
    const uint label = labels[n];
    if (label >= p.classes) {
      loss[n] = invalid_label_loss();
      continue;
    }
    const float probability = probabilities[n * p.classes + label];
    if (probability > kHighestUnclipped) {
      loss[n] = kLossAtUpperClip;
    } else {
      // Written so that NaN passes through, as it does in the reference.
      loss[n] = -vknn_log(probability < kLowerClip ? kLowerClip : probability);
    }
  }
}
