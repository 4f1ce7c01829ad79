// vknn::Sequential: a Keras-like model whose training step runs as one
// recorded program, replayed for every batch.
//
//   vknn::Sequential model({...layers...});
//   model.summary();
//   model.compile(vknn::Adam());
//   auto history = model.fit(train.images, train.labels, {.epochs = 5});
//   auto [loss, accuracy] = model.evaluate(test.images, test.labels);
//   std::vector<float> probabilities = model.predict(test.images);
//
// Inputs are uint8 images (count x H x W x C bytes); the model sees each
// pixel as value / 255, as the course does with `images / 255.0`. The
// dataset is uploaded to the device once per fit/evaluate/predict call and
// batches are gathered and normalised there.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "vknn/data/idx.hpp"
#include "vknn/device.hpp"
#include "vknn/model/callbacks.hpp"
#include "vknn/model/layers.hpp"

namespace vknn {

namespace model {
class Architecture;
class Trainer;
}  // namespace model

enum class BackendKind { vulkan, cpu };
const char* to_string(BackendKind kind);

struct Optimizer {
  enum class Kind { adam, sgd } kind = Kind::adam;
  AdamConfig adam;
  SgdConfig sgd;
  float learning_rate() const { return kind == Kind::adam ? adam.learning_rate : sgd.learning_rate; }
};
// Keras defaults: Adam(0.001, 0.9, 0.999, 1e-7), SGD(0.01, momentum 0).
Optimizer Adam(float learning_rate = 0.001f, float beta_1 = 0.9f, float beta_2 = 0.999f,
               float epsilon = 1e-7f);
Optimizer SGD(float learning_rate = 0.01f, float momentum = 0.0f);

struct CompileOptions {
  // Only sparse categorical cross-entropy (integer labels) is supported.
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

struct ValidationData {
  Samples x;
  std::span<const std::uint8_t> y;
};

struct FitOptions {
  int epochs = 1;
  int batch_size = 32;
  bool shuffle = true;
  std::optional<ValidationData> validation_data;
  std::vector<std::shared_ptr<Callback>> callbacks;
  int verbose = 1;  // 0 silent, 1 progress bar, 2 one line per epoch
  std::uint64_t seed = 0;  // of the shuffles
  std::FILE* output = stdout;
};

struct EvaluateOptions {
  int batch_size = 32;
  int verbose = 1;
  std::FILE* output = stdout;
};

struct PredictOptions {
  int batch_size = 32;
  int verbose = 0;
  std::FILE* output = stdout;
};

struct LoadWeightsOptions {
  // A NaN or an infinity in a weights file is almost always a diverged run
  // saved by mistake, so load_weights refuses it (naming the tensor and the
  // first bad value's index) unless this says otherwise.
  bool allow_non_finite = false;
};

// Per-epoch metrics, by Keras name ("loss", "accuracy", "val_loss",
// "val_accuracy"), as keras.callbacks.History holds them.
struct History {
  std::map<std::string, std::vector<double>> history;
  std::vector<int> epoch;
  bool stopped_early = false;
};

// One layer as model.summary() shows it.
struct LayerSummary {
  std::string name;     // Keras-style: "conv2d", "max_pooling2d_1", ...
  std::string type;     // "Conv2D", "MaxPooling2D", "Flatten", "Dense"
  Shape output_shape;   // per sample, e.g. {26, 26, 64}
  std::int64_t params = 0;
};

struct Evaluation {
  double loss = 0;
  double accuracy = 0;
};

// What a training run cost the host, for the GPU-first guarantees (an
// epoch records a constant number of programs, uploads O(1) bytes per step
// and waits on the device far fewer times than it has steps).
struct ExecutionCounters {
  std::uint64_t launches = 0;
  std::uint64_t host_waits = 0;
  std::uint64_t recordings = 0;
  std::uint64_t bytes_uploaded = 0;
};

class Sequential {
 public:
  explicit Sequential(std::vector<Layer> layers, std::string name = "sequential");
  ~Sequential();
  Sequential(Sequential&&) noexcept;
  Sequential& operator=(Sequential&&) noexcept;

  // Keras's model.summary() table.
  std::string summary_text() const;
  void summary(std::FILE* out = stdout) const;

  void compile(const Optimizer& optimizer = Adam(), CompileOptions options = {});

  History fit(const Samples& x, std::span<const std::uint8_t> y, FitOptions options = {});
  History fit(const data::LabeledImages& data, FitOptions options = {});
  Evaluation evaluate(const Samples& x, std::span<const std::uint8_t> y,
                      EvaluateOptions options = {});
  Evaluation evaluate(const data::LabeledImages& data, EvaluateOptions options = {});
  // Class probabilities, count x classes, row-major.
  std::vector<float> predict(const Samples& x, PredictOptions options = {});

  // Every layer's output for the samples, in layer order (count x the
  // layer's output shape each), as the course's "visualizing the
  // convolutions and pooling" lab reads them. For a few samples at a time.
  std::vector<std::vector<float>> layer_outputs(const Samples& x);

  // Keras tensor names and layouts (conv2d/kernel (kh,kw,in,out), ...), in
  // safetensors format, written atomically. load_weights checks the file
  // strictly (names, shapes, finite values) before changing any weight.
  void save_weights(const std::filesystem::path& path);
  void load_weights(const std::filesystem::path& path, LoadWeightsOptions options = {});

  // Parameter tensors in layer order (kernel, bias, kernel, bias, ...).
  std::vector<std::vector<float>> get_weights();
  void set_weights(const std::vector<std::vector<float>>& weights);
  std::vector<std::string> weight_names() const;

  // Keras's model.stop_training: set by a callback, honoured at the next
  // step boundary.
  bool stop_training = false;

  // The learning rate of the compiled optimizer; changing it takes effect
  // at the next step without re-recording anything.
  float learning_rate();
  void set_learning_rate(float learning_rate);

  const std::string& name() const { return name_; }
  std::vector<LayerSummary> layers() const;
  int num_classes() const;
  Shape input_shape() const;
  std::int64_t count_params() const;
  bool compiled() const;
  std::string backend_description() const;  // e.g. "Vulkan: llvmpipe (...)"
  ExecutionCounters counters() const;

 private:
  std::string name_;
  std::unique_ptr<model::Architecture> architecture_;
  std::unique_ptr<model::Trainer> trainer_;
};

}  // namespace vknn
