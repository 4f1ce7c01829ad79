#include "ops/vulkan/loss.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "vknn/error.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "vulkan/device.hpp"
#include "ops/vulkan/dispatch.hpp"
#include "ops/vulkan/step_state.hpp"
#include "ops/vulkan/training_shaders.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk::ops {

using namespace detail;  // the dispatch vocabulary, dispatch.hpp

namespace {

// Rows are a few classes long and a batch a few dozen rows: one invocation
// per row, in groups of 64 everywhere (8 SIMD iterations on lavapipe, two
// warps on a GPU). There is nothing to tile.
constexpr std::uint32_t kRowsPerGroup = 64;

// The metrics reduction's fixed width: fixed so the summation order, and
// so the bits, are the same on every device.
constexpr std::uint32_t kMetricsWidth = 64;

std::uint64_t float_bytes(std::int64_t count) { return std::uint64_t(count) * sizeof(float); }

std::string rows_of(const ClassesGeometry& g) {
  return std::to_string(g.batch) + " x " + std::to_string(g.classes) + " floats (" +
         g.describe() + ")";
}

std::string per_sample(const ClassesGeometry& g, const char* type) {
  return std::to_string(g.batch) + " " + type + " values, one per sample (" + g.describe() + ")";
}

void require_labels_buffer(const char* op, const ClassesGeometry& g, const Buffer& labels) {
  require_bytes(op, "labels", labels, std::uint64_t(g.batch) * 4, per_sample(g, "uint32"));
}

// The checks every per-row op starts with: an open recording, a positive
// geometry whose size the shaders can index, a `role` buffer of batch x
// classes floats and one label per row.
void require_rows(const char* op, const Recording& recording, const ClassesGeometry& g,
                  const char* role, const Buffer& rows, const Buffer& labels) {
  require_recording_open(op, recording);
  require_positive(op, "batch", g.batch, g.describe());
  require_positive(op, "classes", g.classes, g.describe());
  const std::int64_t size = std::int64_t(g.batch) * g.classes;
  require_fits_u32(op, "batch * classes", std::uint64_t(size));
  require_bytes(op, role, rows, float_bytes(size), rows_of(g));
  require_labels_buffer(op, g, labels);
}

// One invocation per row.
template <class Push>
void record_rows(Recording& recording, const char* shader, const ClassesGeometry& g,
                 std::initializer_list<const Buffer*> buffers, const Push& push) {
  const PipelineDesc desc =
      pipeline_1d(shader, sizeof(Push), kRowsPerGroup);
  record_grid_stride(recording, desc, GridStrideOp::rows, std::uint64_t(g.batch), buffers, push);
}

}  // namespace

void softmax_cross_entropy(Recording& recording, const ClassesGeometry& geometry,
                           const Buffer& logits, const Buffer& labels, float gradient_divisor,
                           const Buffer& loss, const Buffer& dlogits) {
  const char* op = "softmax_cross_entropy";
  require_rows(op, recording, geometry, "logits", logits, labels);
  if (!(gradient_divisor > 0.0f) || !std::isfinite(gradient_divisor)) {
    std::ostringstream msg;
    msg << op << ": gradient_divisor must be a positive finite number (the batch size of the "
        << "step), got " << gradient_divisor << " (" << geometry.describe() << ")";
    throw Error(msg.str());
  }
  require_bytes(op, "loss", loss, float_bytes(geometry.batch), per_sample(geometry, "float"));
  require_bytes(op, "dlogits", dlogits, float_bytes(std::int64_t(geometry.batch) * geometry.classes),
                rows_of(geometry));
  record_rows(recording, "loss_softmax_cross_entropy", geometry,
              {&logits, &labels, &loss, &dlogits},
              SoftmaxCrossEntropyPush{std::uint32_t(geometry.batch),
                                      std::uint32_t(geometry.classes), gradient_divisor});
}

void cross_entropy_from_probabilities(Recording& recording, const ClassesGeometry& geometry,
                                      const Buffer& probabilities, const Buffer& labels,
                                      const Buffer& loss) {
  const char* op = "cross_entropy_from_probabilities";
  require_rows(op, recording, geometry, "probabilities", probabilities, labels);
  require_bytes(op, "loss", loss, float_bytes(geometry.batch), per_sample(geometry, "float"));
  record_rows(recording, "loss_from_probabilities", geometry, {&probabilities, &labels, &loss},
              RowPush{std::uint32_t(geometry.batch), std::uint32_t(geometry.classes)});
}

void count_correct(Recording& recording, const ClassesGeometry& geometry, const Buffer& scores,
                   const Buffer& labels, const Buffer& correct) {
  const char* op = "count_correct";
  require_rows(op, recording, geometry, "scores", scores, labels);
  require_bytes(op, "correct", correct, std::uint64_t(geometry.batch) * 4,
                per_sample(geometry, "uint32"));
  record_rows(recording, "metrics_count_correct", geometry, {&scores, &labels, &correct},
              RowPush{std::uint32_t(geometry.batch), std::uint32_t(geometry.classes)});
}

void weight_samples(Recording& recording, const ClassesGeometry& geometry, std::uint32_t batch_size,
                    const Buffer& sample_weights, const Buffer& order, const Buffer& state,
                    const Buffer& loss, const Buffer& dlogits, const Buffer& weights_out,
                    std::uint32_t first) {
  const char* op = "weight_samples";
  require_recording_open(op, recording);
  require_positive(op, "batch", geometry.batch, geometry.describe());
  require_positive(op, "classes", geometry.classes, geometry.describe());
  require_positive(op, "batch_size", batch_size, "the stride of the step's batch index");
  if (std::uint64_t(first) + std::uint64_t(geometry.batch) > batch_size) {
    throw Error(std::string(op) + ": the batch's " + std::to_string(geometry.batch) +
                " rows from row " + std::to_string(first) + " exceed batch_size " +
                std::to_string(batch_size));
  }
  const std::int64_t size = std::int64_t(geometry.batch) * geometry.classes;
  require_fits_u32(op, "batch * classes", std::uint64_t(size));
  require_bytes(op, "sample_weights", sample_weights, sizeof(float), "one float per dataset sample");
  require_bytes(op, "order", order, 4, "the epoch's sample order, uint32");
  require_step_state(op, state);
  require_bytes(op, "loss", loss, float_bytes(geometry.batch), per_sample(geometry, "float"));
  require_bytes(op, "dlogits", dlogits, float_bytes(size), rows_of(geometry));
  require_bytes(op, "weights_out", weights_out, float_bytes(geometry.batch), per_sample(geometry, "float"));
  const WeightSamplesPush push{
      batch_size, std::uint32_t(geometry.batch), std::uint32_t(geometry.classes),
      std::uint32_t(std::min<std::uint64_t>(sample_weights.size() / sizeof(float), 0xffffffffull)),
      std::uint32_t(std::min<std::uint64_t>(order.size() / 4, 0xffffffffull)), first};
  record_rows(recording, "weight_samples", geometry,
              {&sample_weights, &order, &state, &loss, &dlogits, &weights_out}, push);
}

void accumulate_metrics(Recording& recording, std::uint32_t count, const Buffer& loss,
                        const Buffer& correct, const Buffer& totals, const Buffer* weights) {
  const char* op = "accumulate_metrics";
  require_recording_open(op, recording);
  const std::string context = "count " + std::to_string(count);
  require_positive(op, "count", count, "the batch size of the recording");
  require_bytes(op, "loss", loss, float_bytes(count), context + " float losses");
  require_bytes(op, "correct", correct, std::uint64_t(count) * 4,
                context + " uint32 correctness flags");
  require_bytes(op, "totals", totals, kMetricTotalsBytes,
                "one MetricTotals, see src/ops/vulkan/loss.hpp");
  if (weights) require_bytes(op, "weights", *weights, float_bytes(count), context + " float weights");

  Device& device = recording.device();
  PipelineDesc desc;
  desc.shader = "metrics_accumulate";
  desc.push_constant_bytes = sizeof(AccumulatePush);
  desc.workgroup = {workgroup_width(device, kMetricsWidth, kMetricsWidth), 1, 1};
  // Four 4-byte partials per lane.
  desc.shared_memory_bytes = desc.workgroup[0] * 16;
  // Exactly one workgroup: the reduction and the read-modify-write of the
  // totals rely on it. Unweighted, the shader reads no weights; the loss
  // buffer stands in at their binding.
  recording.dispatch(device.pipeline(desc), {&loss, &correct, &totals, weights ? weights : &loss},
                     AccumulatePush{count, weights ? 1u : 0u}, {1, 1, 1});
  recording.barrier();
}

void zero_metric_totals(Recording& recording, const Buffer& totals) {
  const char* op = "zero_metric_totals";
  require_recording_open(op, recording);
  require_bytes(op, "totals", totals, kMetricTotalsBytes,
                "one MetricTotals, see src/ops/vulkan/loss.hpp");
  recording.fill(totals, 0);
  // Orders the transfer write before the next dispatch's read-modify-write.
  recording.barrier();
}

MetricTotals read_metric_totals(const Buffer& totals) {
  require_bytes("read_metric_totals", "totals", totals, kMetricTotalsBytes,
                "one MetricTotals, see src/ops/vulkan/loss.hpp");
  MetricTotals result;
  totals.download(&result, kMetricTotalsBytes);
  return result;
}

}  // namespace vknn::vk::ops
