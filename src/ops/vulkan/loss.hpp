// Loss and metric ops of a training step on the device: the fused softmax
// cross-entropy (forward and backward), cross-entropy on probabilities,
// per-sample accuracy flags, and running metric totals that stay on the
// device until the host wants to show them.
//
// Contracts are the CPU reference's (include/vknn/cpu/reference_ops.hpp);
// the shaders' comment blocks say how each is computed. Buffers hold float
// or uint32 elements, row-major (batch, classes) where there are classes.
//
// Labels: the host validates labels when it uploads a dataset; the device
// cannot throw. A label outside [0, classes) on the device therefore
// touches no memory out of bounds: its loss is NaN (visible in the metric
// totals, and TerminateOnNaN stops), its gradient row is zero and it is
// never counted correct. gather_batch writes such a label (0xffffffff) for
// a sample it could not read.
//
// Every op validates its arguments and buffer sizes (vknn::Error naming the
// op, the buffer, the bytes needed and present), records its dispatch and
// ends with recording.barrier().
#pragma once

#include <cstdint>

#include "ops/metric_totals.hpp"
#include "vknn/ops/geometry.hpp"
#include "vulkan/fwd.hpp"

namespace vknn::vk::ops {

// loss[n] = logsumexp(logits[n,:]) - logits[n, label[n]]
// dlogits[n,c] = (softmax(logits[n,:])[c] - (c == label[n])) / gradient_divisor
// gradient_divisor is the step's batch size (Keras averages over the batch);
// a partial last batch records its own step with its own divisor.
void softmax_cross_entropy(Recording& recording, const ClassesGeometry& geometry,
                           const Buffer& logits, const Buffer& labels, float gradient_divisor,
                           const Buffer& loss, const Buffer& dlogits);

// loss[n] = -log(clamp(p[n, label[n]], 1e-7, 1 - 1e-7)), as Keras clips:
// evaluation of a model whose last layer is a softmax.
void cross_entropy_from_probabilities(Recording& recording, const ClassesGeometry& geometry,
                                      const Buffer& probabilities, const Buffer& labels,
                                      const Buffer& loss);

// correct[n] = 1 if argmax(scores[n,:]) (first maximum on ties) == label[n],
// else 0; uint32 per sample. Scores may be logits or probabilities.
void count_correct(Recording& recording, const ClassesGeometry& geometry, const Buffer& scores,
                   const Buffer& labels, const Buffer& correct);

// Running metric totals on the device: the layout of
// shaders/metrics_accumulate.comp, defined once in src/ops/metric_totals.hpp.
using ::vknn::MetricTotals;
using ::vknn::kMetricTotalsBytes;

// Sample weights (Keras's class_weight / sample_weight) on a batch whose
// loss op has run: w[n] = sample_weights[order[state.batch_index *
// batch_size + n]]; loss[n] *= w[n], dlogits[n, :] *= w[n], weights_out[n]
// = w[n]. `sample_weights` holds one float per dataset sample, as the
// dataset's labels hold one label.
void weight_samples(Recording& recording, const ClassesGeometry& geometry, std::uint32_t batch_size,
                    const Buffer& sample_weights, const Buffer& order, const Buffer& state,
                    const Buffer& loss, const Buffer& dlogits, const Buffer& weights_out,
                    std::uint32_t first = 0);

// totals += (sum of loss[0..count), sum of correct[0..count), count), in one
// workgroup, deterministically (no atomics): the same inputs give the same
// bits on every replay. `count` is this recording's batch size. With
// `weights` (weight_samples' weights_out) also the weighted correct count
// and the weights' sum.
void accumulate_metrics(Recording& recording, std::uint32_t count, const Buffer& loss,
                        const Buffer& correct, const Buffer& totals, const Buffer* weights = nullptr);

// Records totals = 0 (a transfer fill, then a barrier), e.g. at the start
// of an epoch's first step. Between submissions the host may instead call
// totals.fill_zero().
void zero_metric_totals(Recording& recording, const Buffer& totals);

// Host read-back, when no submission that writes `totals` is in flight.
MetricTotals read_metric_totals(const Buffer& totals);

}  // namespace vknn::vk::ops
