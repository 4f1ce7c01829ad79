// The body shared by softmax_subgroup.comp and softmax_shared.comp, which
// differ only in how a workgroup reduces a value over its invocations: each
// defines workgroup_max(float) and workgroup_sum(float) before including
// this file. Those functions contain barriers and are called in uniform
// control flow (every invocation of the workgroup walks the same rows).
//
// Contract (vknn/ops/geometry.hpp ClassesGeometry; rows of `classes` floats):
//   forward   y = exp(x - max(x)) / sum(exp(x - max(x)))   row by row
//   backward  dx = y * (dy - sum(dy * y))                    row by row
// The forward subtracts the row's maximum first, so large logits do not
// overflow and the sum is at least 1. Each output element is written only
// after the whole row has been read, so the forward may run in place
// (binding 0 and binding 2 the same buffer; dense_forward's softmax
// activation does that): the buffers are therefore not declared restrict
// and binding 0 not readonly.
//
// Bindings: 0 x (forward) or y (backward), 1 dy (backward; unread forward),
// 2 y (forward) or dx (backward).
// Push constants: batch, classes (both > 0).
// Dispatch: one workgroup per row, groups = (min(batch, max groups), 1, 1);
// a workgroup takes rows gl_WorkGroupID.x, + gl_NumWorkGroups.x, ...
// Spec constants: 3 BACKWARD.
#ifndef VKNN_SOFTMAX_ROWS_GLSL
#define VKNN_SOFTMAX_ROWS_GLSL

layout(constant_id = 3) const bool BACKWARD = false;

layout(set = 0, binding = 0) buffer In { float in_row[]; };
layout(set = 0, binding = 1) readonly buffer DY { float dy[]; };
layout(set = 0, binding = 2) buffer Out { float out_row[]; };
layout(push_constant) uniform Push {
  uint batch;
  uint classes;
} p;

void main() {
  const uint lane = gl_LocalInvocationID.x;
  const uint lanes = gl_WorkGroupSize.x;
  for (uint row = gl_WorkGroupID.x; row < p.batch; row += gl_NumWorkGroups.x) {
    const uint base = row * p.classes;
    if (BACKWARD) {
      float dot = 0.0;
      for (uint c = lane; c < p.classes; c += lanes) dot += dy[base + c] * in_row[base + c];
      dot = workgroup_sum(dot);
      for (uint c = lane; c < p.classes; c += lanes) {
        out_row[base + c] = in_row[base + c] * (dy[base + c] - dot);
      }
    } else {
      float row_max = uintBitsToFloat(0xff800000u);  // -inf: an empty lane never wins
      for (uint c = lane; c < p.classes; c += lanes) row_max = max(row_max, in_row[base + c]);
      row_max = workgroup_max(row_max);
      float sum = 0.0;
      for (uint c = lane; c < p.classes; c += lanes) sum += exp(in_row[base + c] - row_max);
      sum = workgroup_sum(sum);
      const float inverse = 1.0 / sum;
      for (uint c = lane; c < p.classes; c += lanes) {
        out_row[base + c] = exp(in_row[base + c] - row_max) * inverse;
      }
    }
    // No barrier between rows: each reduction ends with one after its
    // shared scratch has been read, and the rows themselves are disjoint.
  }
}

#endif
