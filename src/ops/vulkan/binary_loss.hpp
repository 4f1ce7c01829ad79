// A binary classifier's output on Vulkan: sigmoid, binary cross-entropy from
// logits (fused with its gradient) and binary accuracy. One logit per
// sample; the contracts are the CPU reference's
// (include/vknn/cpu/reference_ops.hpp, "sigmoid and binary cross-entropy").
//
// Each function checks its buffers (vknn::Error naming the op, the buffer,
// the bytes needed and present), records one dispatch and ends with
// recording.barrier(). Labels are uint32, 0 or 1; another value gives a NaN
// loss, a zero gradient and never counts as correct.
#pragma once

#include <cstdint>

#include "vulkan/fwd.hpp"

namespace vknn::vk::ops {

void sigmoid_forward(Recording& recording, std::int64_t count, const Buffer& x, const Buffer& y);

void sigmoid_cross_entropy(Recording& recording, std::int64_t batch, const Buffer& logits,
                           const Buffer& labels, float gradient_divisor, const Buffer& loss,
                           const Buffer& dlogits);

void binary_count_correct(Recording& recording, std::int64_t batch, const Buffer& logits,
                          const Buffer& labels, const Buffer& correct);

}  // namespace vknn::vk::ops
