// Optimizer updates on the device, one parameter tensor per call, in the
// Keras forms of the CPU reference (include/vknn/cpu/reference_ops.hpp).
//
// What changes from step to step is read from the step state buffer
// (step_state.hpp) when the dispatch runs, never baked into the recording:
// the learning rate, and Adam's t = iterations + 1 with its bias
// corrections computed on the device from t. The config's own
// learning_rate is therefore not used; write it into the step state
// (StepState::learning_rate, write_learning_rate()).
//
// Each op validates its arguments and buffer sizes (vknn::Error naming the
// op, the buffer, the bytes needed and present), records one dispatch and
// ends with recording.barrier().
#pragma once

#include <cstdint>

#include "vknn/ops/geometry.hpp"
#include "vulkan/fwd.hpp"

namespace vknn::vk::ops {

// total[i] += gradient[i], i < count (op::AccumulateGradient): the sum of a
// parameter's gradient over the micro-batches of a split batch.
void accumulate_gradient(Recording& recording, std::uint64_t count, const Buffer& gradient,
                         const Buffer& total);

// Keras SGD: velocity = momentum * velocity - lr * g; w += velocity.
// With momentum 0: w -= lr * g, and velocity may be null (it is not
// touched). config.momentum is baked in (a hyper-parameter, fixed for a
// fit); lr is the step state's.
void sgd_update(Recording& recording, const SgdConfig& config, std::uint64_t count,
                const Buffer& state, const Buffer& weights, const Buffer& gradients,
                const Buffer* velocity);

// Keras Adam with t = state.iterations + 1:
// alpha = lr * sqrt(1 - b2^t) / (1 - b1^t); m += (g - m)(1 - b1);
// v += (g*g - v)(1 - b2); w -= alpha * m / (sqrt(v) + eps).
// m and v are zero before the first step. beta_1, beta_2 and epsilon are
// baked in; lr and t are the step state's.
void adam_update(Recording& recording, const AdamConfig& config, std::uint64_t count,
                 const Buffer& state, const Buffer& weights, const Buffer& gradients,
                 const Buffer& m, const Buffer& v);

// Keras RMSprop (TensorFlow 2.11+, not centered): v = rho * v + (1 - rho) *
// g^2; step = g / (sqrt(v) + eps); with momentum m = momentum * m + lr *
// step, w -= m; without, w -= lr * step and momentum_buffer may be null.
// rho, momentum and epsilon are baked in; lr is the step state's.
// (src/ops/vulkan/rmsprop.cpp)
void rmsprop_update(Recording& recording, const RmspropConfig& config, std::uint64_t count,
                    const Buffer& state, const Buffer& weights, const Buffer& gradients,
                    const Buffer& velocity, const Buffer* momentum_buffer);

}  // namespace vknn::vk::ops
