#version 450
#extension GL_GOOGLE_include_directive : require
// weight_samples: Keras's sample weights (fit's class_weight and
// sample_weight, evaluate's sample_weight) applied to one batch's loss and
// its gradient, after the loss op (vknn::cpu::weight_samples):
//   first = step.batch_index * batch_size + p.first  (as gather_batch)
//   for n < count: w = weights[order[first + n]]
//     loss[n]       *= w
//     dlogits[n, c] *= w                             (c < classes)
//     weights_out[n] = w                             (for metrics_accumulate)
//
// Keras reduces a weighted loss as sum(w * loss) / batch_size (its
// SUM_OVER_BATCH_SIZE), which is the unweighted reduction applied to
// w * loss: so the loss op's division by the batch stays, and the epoch's
// mean loss is sum(w * loss) / samples as Keras reports it. The weights
// live on the device beside the dataset, one per sample, and are picked
// through the same shuffled order as the samples, so a replayed step needs
// nothing from the host. A weight of 1 leaves every value's bits as they
// were.
//
// Out-of-range guard as in gather_batch.comp: a position past the end of
// `order` or a sample at or beyond sample_capacity gets w = 0 (its label is
// then invalid too, and its loss already NaN).
//
// Bindings: 0 weights (float, one per dataset sample, read), 1 order (uint,
// read), 2 step state (read), 3 loss (float, read/write), 4 dlogits (float,
// read/write), 5 weights_out (float, write).
// Dispatch: one invocation per row, grid-stride.
#include "common.glsl"
#include "step_state.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(set = 0, binding = 0) readonly buffer Weights { float weights[]; };
layout(set = 0, binding = 1) readonly buffer Order { uint order[]; };
VKNN_STEP_STATE_BUFFER(2, readonly);
layout(set = 0, binding = 3) buffer Loss { float loss[]; };
layout(set = 0, binding = 4) buffer DLogits { float dlogits[]; };
layout(set = 0, binding = 5) writeonly buffer WeightsOut { float weights_out[]; };
layout(push_constant) uniform Push {
  uint batch_size;       // samples per full batch: the stride of batch_index
  uint count;            // rows of this batch (<= batch_size)
  uint classes;          // dlogits per row
  uint sample_capacity;  // samples `weights` holds
  uint order_length;     // entries in order
  uint first;            // these rows' offset within the batch (first + count <= batch_size)
} p;

void main() {
  const uint batch = step.batch_index;
  const bool batch_ok = batch <= p.order_length / p.batch_size;
  const uint first = batch_ok ? batch * p.batch_size + p.first : 0u;
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint n = gl_GlobalInvocationID.x; n < p.count; n += stride) {
    bool valid = batch_ok && first + n < p.order_length;
    const uint s = valid ? order[first + n] : 0u;
    valid = valid && s < p.sample_capacity;
    const float w = valid ? weights[s] : 0.0;
    weights_out[n] = w;
    loss[n] *= w;
    const uint base = n * p.classes;
    for (uint c = 0u; c < p.classes; ++c) dlogits[base + c] *= w;
  }
}
