// What Sequential::compile and fit take, apart from the model itself: the
// optimizer, the compile options and the samples. A header of its own so the
// library's execution layer can use these types without the Sequential
// class (src/model/trainer.hpp includes this, not sequential.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "vknn/data/idx.hpp"
#include "vknn/device.hpp"
#include "vknn/model/layers.hpp"
#include "vknn/ops/geometry.hpp"

namespace vknn {

enum class BackendKind { vulkan, cpu };
const char* to_string(BackendKind kind);

struct Optimizer {
  enum class Kind { adam, sgd, rmsprop } kind = Kind::adam;
  AdamConfig adam;
  SgdConfig sgd;
  RmspropConfig rmsprop;
  float learning_rate() const {
    switch (kind) {
      case Kind::adam: return adam.learning_rate;
      case Kind::sgd: return sgd.learning_rate;
      case Kind::rmsprop: return rmsprop.learning_rate;
    }
    return 0.0f;
  }
};
// Keras defaults: Adam(0.001, 0.9, 0.999, 1e-7), SGD(0.01, momentum 0),
// RMSprop(0.001, rho 0.9, momentum 0, 1e-7).
Optimizer Adam(float learning_rate = 0.001f, float beta_1 = 0.9f, float beta_2 = 0.999f,
               float epsilon = 1e-7f);
Optimizer SGD(float learning_rate = 0.01f, float momentum = 0.0f);
Optimizer RMSprop(float learning_rate = 0.001f, float rho = 0.9f, float momentum = 0.0f,
                  float epsilon = 1e-7f);

struct CompileOptions {
  // "sparse_categorical_crossentropy" (integer labels 0..classes-1; the last
  // layer Dense(classes, softmax or linear)) or "binary_crossentropy"
  // (labels 0 or 1; the last layer Dense(1, sigmoid or linear)). Both are
  // computed from the logits, fused with the output activation.
  std::string loss = "sparse_categorical_crossentropy";
  std::vector<std::string> metrics = {"accuracy"};
  BackendKind backend = BackendKind::vulkan;
  // The Vulkan context to run on; when null the model makes its own
  // (device chosen as vknn::Context does: VKNN_DEVICE, else the best).
  std::shared_ptr<Context> context;
  // Seed of the weight initialisation (glorot_uniform kernels, zero biases).
  std::uint64_t seed = 0;
};

// Images and their labels, as fit/evaluate take them.
struct Samples {
  std::span<const std::uint8_t> pixels;  // count * sample size bytes
  std::int64_t count = 0;
  Shape shape;                           // per sample, e.g. {28, 28, 1}
  static Samples of(const data::ImageSet& images);
};

}  // namespace vknn
