// The C++ side of the training-step shaders' interface (loss, metrics,
// optimizers, batch gather and store): push-constant blocks and
// specialization constant ids, checked against the compiled SPIR-V by
// tests/vulkan/shader_layout_test.cpp. step_advance.comp has neither.
#pragma once

#include <cstdint>

namespace vknn::vk::ops {

// loss_from_probabilities.comp and metrics_count_correct.comp.
struct RowPush {
  std::uint32_t batch;
  std::uint32_t classes;
};

// loss_softmax_cross_entropy.comp.
struct SoftmaxCrossEntropyPush {
  std::uint32_t batch;
  std::uint32_t classes;
  float gradient_divisor;
};

// metrics_accumulate.comp.
struct AccumulatePush {
  std::uint32_t count;
  std::uint32_t weighted;
};

// weight_samples.comp.
struct WeightSamplesPush {
  std::uint32_t batch_size;
  std::uint32_t count;
  std::uint32_t classes;
  std::uint32_t sample_capacity;
  std::uint32_t order_length;
  std::uint32_t first;  // op::WeightSamples::first
};

// optimizer_sgd.comp.
struct SgdPush {
  std::uint32_t count;
  float momentum;
};

// HAS_VELOCITY, optimizer_sgd.comp `layout(constant_id = 3)`.
struct SgdSpec { enum Id : std::uint32_t { has_velocity = 3 }; };

// optimizer_adam.comp.
struct AdamPush {
  std::uint32_t count;
  float beta_1;
  float beta_2;
  float epsilon;
};

// gather_batch.comp.
struct GatherPush {
  std::uint32_t sample_size;
  std::uint32_t batch_size;
  std::uint32_t count;
  std::uint32_t sample_capacity;
  std::uint32_t order_length;
  std::uint32_t first;  // op::GatherBatch::first
};

// gather_float_batch.comp.
struct GatherFloatPush {
  std::uint32_t sample_size;
  std::uint32_t batch_size;
  std::uint32_t count;
  std::uint32_t sample_capacity;
  std::uint32_t order_length;
  std::uint32_t samples_per_chunk;
  std::uint32_t first;  // op::GatherFloatBatch::first
};

// store_batch.comp.
struct StoreBatchPush {
  std::uint32_t count;
  std::uint32_t stride;
  std::uint32_t destination_count;
  std::uint32_t first;  // op::StoreBatch::first
};

// sigmoid_forward.comp and metrics_count_correct_binary.comp.
struct ElementCountPush {
  std::uint32_t count;
};

// loss_sigmoid_cross_entropy.comp.
struct SigmoidCrossEntropyPush {
  std::uint32_t batch;
  float gradient_divisor;
};

// optimizer_rmsprop.comp.
struct RmspropPush {
  std::uint32_t count;
  float rho;
  float one_minus_rho;
  float momentum;
  float epsilon;
};

// HAS_MOMENTUM, optimizer_rmsprop.comp `layout(constant_id = 3)`.
struct RmspropSpec { enum Id : std::uint32_t { has_momentum = 3 }; };

// dropout.comp.
struct DropoutPush {
  std::uint32_t count;
  std::uint32_t threshold;
  float scale;
  std::uint32_t seed_lo;
  std::uint32_t seed_hi;
  std::uint32_t first_element;
};

}  // namespace vknn::vk::ops
