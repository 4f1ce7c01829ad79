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
// Keras's defaults, stated once in the configs (ops/geometry.hpp): Adam(0.001,
// 0.9, 0.999, 1e-7), SGD(0.01, momentum 0), RMSprop(0.001, rho 0.9, momentum
// 0, 1e-7). The Python package's optimizers are checked against them.
Optimizer Adam(float learning_rate = AdamConfig{}.learning_rate, float beta_1 = AdamConfig{}.beta_1,
               float beta_2 = AdamConfig{}.beta_2, float epsilon = AdamConfig{}.epsilon);
Optimizer SGD(float learning_rate = SgdConfig{}.learning_rate, float momentum = SgdConfig{}.momentum);
Optimizer RMSprop(float learning_rate = RmspropConfig{}.learning_rate,
                  float rho = RmspropConfig{}.rho, float momentum = RmspropConfig{}.momentum,
                  float epsilon = RmspropConfig{}.epsilon);

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

// The inputs fit/evaluate/predict take, in one of two forms (exactly one
// of `pixels` and `values` is set):
// - `pixels`: uint8, count * sample size bytes; the model sees pixel / 255,
//   as the course's `images / 255.0`. The dataset stays uint8 on the device.
// - `values`: float32, count * sample size floats, seen as they are (for
//   standardised images, say). They stay float on the device, never
//   re-quantised; they must be finite. Values that are all k / 255 give the
//   same results as the pixels k, within float rounding (exactly when the
//   values are the correctly rounded floats of k / 255), at 4x the memory.
// Both are NHWC rows, sample after sample.
struct Samples {
  std::span<const std::uint8_t> pixels;  // count * sample size bytes
  std::int64_t count = 0;
  Shape shape;                           // per sample, e.g. {28, 28, 1}
  std::span<const float> values;         // count * sample size floats
  static Samples of(const data::ImageSet& images);
  // uint8 pixels of count samples of `shape` (e.g. data::ImageFolderData's
  // pixels, count and shape()).
  static Samples of_pixels(std::span<const std::uint8_t> pixels, std::int64_t count, Shape shape);
  static Samples of_values(std::span<const float> values, std::int64_t count, Shape shape);
};

}  // namespace vknn
