#version 450
#extension GL_GOOGLE_include_directive : require
// metrics_accumulate: adds one batch's metrics into running totals that
// stay on the device, so the host reads them only when it shows them
// (a progress-bar refresh, the end of an epoch):
//   totals.loss_sum  += sum(loss[0..count))      (Kahan-compensated)
//   totals.correct   += sum(correct[0..count))
//   totals.samples   += count
//
// Totals layout (std430, 16 bytes; mirrored by src/vulkan/ops/loss.hpp):
//   offset 0 float loss_sum, 4 float loss_compensation (the running sum is
//   loss_sum - loss_compensation), 8 uint correct, 12 uint samples.
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
// (read/write).
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
} totals;
layout(push_constant) uniform Push {
  uint count;
} p;

shared float partial_loss[gl_WorkGroupSize.x];
shared uint partial_correct[gl_WorkGroupSize.x];

void main() {
  const uint lane = gl_LocalInvocationID.x;
  const uint width = gl_WorkGroupSize.x;
  float lane_loss = 0.0;
  uint lane_correct = 0u;
  for (uint i = lane; i < p.count; i += width) {
    lane_loss += loss[i];
    lane_correct += correct[i];
  }
  partial_loss[lane] = lane_loss;
  partial_correct[lane] = lane_correct;
  barrier();
  if (lane != 0u) return;

  float batch_loss = 0.0;
  uint batch_correct = 0u;
  for (uint i = 0u; i < width; ++i) {
    batch_loss += partial_loss[i];
    batch_correct += partial_correct[i];
  }
  // Kahan summation: an epoch adds ~2000 batch sums into one float; the
  // compensation keeps the low bits that a plain float sum would drop.
  // `precise` forbids the compiler from reassociating it away.
  const float sum = totals.loss_sum;
  precise float y = batch_loss - totals.loss_compensation;
  precise float t = sum + y;
  precise float compensation = (t - sum) - y;
  totals.loss_compensation = compensation;
  totals.loss_sum = t;
  totals.correct_sum += batch_correct;
  totals.samples += p.count;
}
