#include "ops/vulkan/binary_loss.hpp"

#include <cmath>
#include <sstream>

#include "vknn/error.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "vulkan/device.hpp"
#include "ops/vulkan/dispatch.hpp"
#include "ops/vulkan/training_shaders.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk::ops {

using namespace detail;  // the dispatch vocabulary, dispatch.hpp

namespace {

// One invocation per sample or element, 64 wide everywhere, as the other
// per-row loss ops.
constexpr std::uint32_t kWidth = 64;

std::string per_sample(std::int64_t batch, const char* type) {
  return std::to_string(batch) + " " + type + " values, one per sample";
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
  record_grid_stride(recording, pipeline_1d("sigmoid_forward", sizeof(ElementCountPush), kWidth),
                     GridStrideOp::relu, std::uint64_t(count), {&x, &y},
                     ElementCountPush{std::uint32_t(count)});
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
  record_grid_stride(
      recording,
      pipeline_1d("loss_sigmoid_cross_entropy", sizeof(SigmoidCrossEntropyPush), kWidth),
      GridStrideOp::rows, std::uint64_t(batch), {&logits, &labels, &loss, &dlogits},
      SigmoidCrossEntropyPush{std::uint32_t(batch), gradient_divisor});
}

void binary_count_correct(Recording& recording, std::int64_t batch, const Buffer& logits,
                          const Buffer& labels, const Buffer& correct) {
  const char* op = "binary_count_correct";
  check_batch(op, recording, batch);
  const std::uint64_t bytes = std::uint64_t(batch) * 4;
  require_bytes(op, "logits", logits, bytes, per_sample(batch, "float"));
  require_bytes(op, "labels", labels, bytes, per_sample(batch, "uint32"));
  require_bytes(op, "correct", correct, bytes, per_sample(batch, "uint32"));
  record_grid_stride(
      recording, pipeline_1d("metrics_count_correct_binary", sizeof(ElementCountPush), kWidth),
      GridStrideOp::rows, std::uint64_t(batch), {&logits, &labels, &correct},
      ElementCountPush{std::uint32_t(batch)});
}

}  // namespace vknn::vk::ops
