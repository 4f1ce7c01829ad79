#include "vulkan/ops/binary_loss.hpp"

#include <cmath>
#include <sstream>

#include "vknn/error.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "vulkan/device.hpp"
#include "vulkan/ops/training_checks.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk::ops {

using training_detail::grid_groups;
using training_detail::require_bytes;
using training_detail::require_fits_u32;
using training_detail::require_positive;
using training_detail::require_recording_open;
using training_detail::workgroup_width;

namespace {

// One invocation per sample or element: 64 wide everywhere, as the other
// per-row loss ops.
constexpr std::uint32_t kWidth = 64;

struct CountPush {
  std::uint32_t count;
};

struct LossPush {
  std::uint32_t batch;
  float gradient_divisor;
};

std::string per_sample(std::int64_t batch, const char* type) {
  return std::to_string(batch) + " " + type + " values, one per sample";
}

PipelineDesc pipeline(const char* shader, std::uint32_t buffers, std::uint32_t push_bytes) {
  PipelineDesc desc;
  desc.shader = shader;
  desc.buffer_count = buffers;
  desc.push_constant_bytes = push_bytes;
  desc.workgroup = {kWidth, 1, 1};
  return desc;
}

void check_batch(const char* op, Recording& recording, std::int64_t batch) {
  require_recording_open(op, recording);
  require_positive(op, "batch", batch, "one logit per sample");
  require_fits_u32(op, "batch", std::uint64_t(batch));
}

}  // namespace

void sigmoid_forward(Recording& recording, std::int64_t count, const Buffer& x, const Buffer& y) {
  const char* op = "sigmoid_forward";
  require_recording_open(op, recording);
  require_positive(op, "count", count, "elements");
  require_fits_u32(op, "count", std::uint64_t(count));
  require_bytes(op, "x", x, std::uint64_t(count) * 4, std::to_string(count) + " floats");
  require_bytes(op, "y", y, std::uint64_t(count) * 4, std::to_string(count) + " floats");
  Device& device = recording.device();
  recording.dispatch(device.pipeline(pipeline("sigmoid_forward", 2, sizeof(CountPush))), {&x, &y},
                     CountPush{std::uint32_t(count)},
                     {grid_groups(device, std::uint64_t(count), kWidth), 1, 1});
  recording.barrier();
}

void sigmoid_cross_entropy(Recording& recording, std::int64_t batch, const Buffer& logits,
                           const Buffer& labels, float gradient_divisor, const Buffer& loss,
                           const Buffer& dlogits) {
  const char* op = "sigmoid_cross_entropy";
  check_batch(op, recording, batch);
  if (!(gradient_divisor > 0.0f) || !std::isfinite(gradient_divisor)) {
    std::ostringstream msg;
    msg << op << ": gradient_divisor must be a positive finite number (the batch size of the "
        << "step), got " << gradient_divisor;
    throw Error(msg.str());
  }
  const std::uint64_t bytes = std::uint64_t(batch) * 4;
  require_bytes(op, "logits", logits, bytes, per_sample(batch, "float"));
  require_bytes(op, "labels", labels, bytes, per_sample(batch, "uint32"));
  require_bytes(op, "loss", loss, bytes, per_sample(batch, "float"));
  require_bytes(op, "dlogits", dlogits, bytes, per_sample(batch, "float"));
  Device& device = recording.device();
  recording.dispatch(device.pipeline(pipeline("loss_sigmoid_cross_entropy", 4, sizeof(LossPush))),
                     {&logits, &labels, &loss, &dlogits},
                     LossPush{std::uint32_t(batch), gradient_divisor},
                     {grid_groups(device, std::uint64_t(batch), kWidth), 1, 1});
  recording.barrier();
}

void binary_count_correct(Recording& recording, std::int64_t batch, const Buffer& logits,
                          const Buffer& labels, const Buffer& correct) {
  const char* op = "binary_count_correct";
  check_batch(op, recording, batch);
  const std::uint64_t bytes = std::uint64_t(batch) * 4;
  require_bytes(op, "logits", logits, bytes, per_sample(batch, "float"));
  require_bytes(op, "labels", labels, bytes, per_sample(batch, "uint32"));
  require_bytes(op, "correct", correct, bytes, per_sample(batch, "uint32"));
  Device& device = recording.device();
  recording.dispatch(
      device.pipeline(pipeline("metrics_count_correct_binary", 3, sizeof(CountPush))),
      {&logits, &labels, &correct}, CountPush{std::uint32_t(batch)},
      {grid_groups(device, std::uint64_t(batch), kWidth), 1, 1});
  recording.barrier();
}

}  // namespace vknn::vk::ops
