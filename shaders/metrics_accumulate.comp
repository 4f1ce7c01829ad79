#version 450
#extension GL_GOOGLE_include_directive : require
// metrics_accumulate: adds one batch's metrics into running totals that
// stay on the device, so the host reads them only when it shows them
// (a progress-bar refresh, the end of an epoch):
//   totals.loss_sum  += sum(loss[0..count))      (Kahan-compensated)
//   totals.correct   += sum(correct[0..count))
//   totals.samples   += count
// and, when the batch has sample weights (p.weighted = 1; weight_samples.comp
// wrote them, and already scaled the losses):
//   totals.weighted_correct += sum(weights[i] * correct[i])   (Kahan)
//   totals.weight_sum       += sum(weights[i])                (Kahan)
// Keras's accuracy under sample weights is their ratio.
//
// Totals layout (std430, 32 bytes; mirrored by src/ops/metric_totals.hpp):
//   offset 0 float loss_sum, 4 float loss_compensation (the running sum is
//   loss_sum - loss_compensation), 8 uint correct, 12 uint samples,
//   16 float weighted_correct, 20 its compensation, 24 float weight_sum,
//   28 its compensation.
// Zeroing them (Recording::fill with 0) starts a new epoch.
//
// Deterministic: exactly one workgroup; lane i sums elements i, i + W,
// i + 2W, ... in order, then lane 0 sums the W partials in lane order. No
// atomics and no subgroup arithmetic (whose float summation order is the
// driver's), so the same inputs give the same bits on every run, and on
// every device given the same workgroup size (the op fixes it). One
// barrier, which is what CPU drivers like lavapipe want; a batch is a few
// hundred values, far too few for a wider tree to pay anywhere.
//
// Bindings: 0 loss (float, read), 1 correct (uint, read), 2 totals
// (read/write), 3 weights (float, read only when p.weighted; the op binds
// the loss buffer there otherwise).
// Dispatch: exactly one workgroup (any local_size_x the device allows).
#include "common.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(set = 0, binding = 0) readonly buffer Loss { float loss[]; };
layout(set = 0, binding = 1) readonly buffer Correct { uint correct[]; };
layout(set = 0, binding = 2) buffer Totals {
  float loss_sum;
  float loss_compensation;
  uint correct_sum;
  uint samples;
  float weighted_correct;
  float weighted_correct_compensation;
  float weight_sum;
  float weight_compensation;
} totals;
layout(set = 0, binding = 3) readonly buffer Weights { float weights[]; };
layout(push_constant) uniform Push {
  uint count;
  uint weighted;  // 1: weights[] holds the batch's sample weights
} p;

shared float partial_loss[gl_WorkGroupSize.x];
shared uint partial_correct[gl_WorkGroupSize.x];
shared float partial_weighted_correct[gl_WorkGroupSize.x];
shared float partial_weight[gl_WorkGroupSize.x];

// Kahan step: adds `value` into sum, carrying the compensation. `precise`
// forbids the compiler from reassociating it away.
void kahan_add(inout float sum, inout float compensation, float value) {
  precise float y = value - compensation;
  precise float t = sum + y;
  precise float c = (t - sum) - y;
  compensation = c;
  sum = t;
}

void main() {
  const uint lane = gl_LocalInvocationID.x;
  const uint width = gl_WorkGroupSize.x;
  float lane_loss = 0.0;
  uint lane_correct = 0u;
  float lane_weighted_correct = 0.0;
  float lane_weight = 0.0;
  for (uint i = lane; i < p.count; i += width) {
    lane_loss += loss[i];
    lane_correct += correct[i];
    if (p.weighted != 0u) {
      const float w = weights[i];
      lane_weighted_correct += correct[i] != 0u ? w : 0.0;
      lane_weight += w;
    }
  }
  partial_loss[lane] = lane_loss;
  partial_correct[lane] = lane_correct;
  partial_weighted_correct[lane] = lane_weighted_correct;
  partial_weight[lane] = lane_weight;
  barrier();
  if (lane != 0u) return;

  float batch_loss = 0.0;
  uint batch_correct = 0u;
  float batch_weighted_correct = 0.0;
  float batch_weight = 0.0;
  for (uint i = 0u; i < width; ++i) {
    batch_loss += partial_loss[i];
    batch_correct += partial_correct[i];
    batch_weighted_correct += partial_weighted_correct[i];
    batch_weight += partial_weight[i];
  }
  // Kahan summation: an epoch adds ~2000 batch sums into one float; the
  // compensation keeps the low bits that a plain float sum would drop.
  float sum = totals.loss_sum;
  float compensation = totals.loss_compensation;
  kahan_add(sum, compensation, batch_loss);
  totals.loss_sum = sum;
  totals.loss_compensation = compensation;
  totals.correct_sum += batch_correct;
  totals.samples += p.count;
  if (p.weighted != 0u) {
    sum = totals.weighted_correct;
    compensation = totals.weighted_correct_compensation;
    kahan_add(sum, compensation, batch_weighted_correct);
    totals.weighted_correct = sum;
    totals.weighted_correct_compensation = compensation;
    sum = totals.weight_sum;
    compensation = totals.weight_compensation;
    kahan_add(sum, compensation, batch_weight);
    totals.weight_sum = sum;
    totals.weight_compensation = compensation;
  }
}
