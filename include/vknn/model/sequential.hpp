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

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "vknn/data/augmentation.hpp"
#include "vknn/data/idx.hpp"
#include "vknn/device.hpp"
#include "vknn/execution_counters.hpp"
#include "vknn/model/callbacks.hpp"
#include "vknn/model/compile.hpp"
#include "vknn/model/layers.hpp"

namespace vknn {

namespace model {
class Architecture;
class Trainer;
struct TrainingProgress;
struct FitPlace;
}  // namespace model

struct ValidationData {
  Samples x;
  std::span<const std::uint8_t> y;
  // Keras's validation_data=(x, y, sample_weight): one weight per sample
  // for val_loss and val_accuracy; empty: all 1.
  std::span<const float> sample_weight = {};
};

struct FitOptions {
  int epochs = 1;
  // Keras's initial_epoch: the epoch to start at (0-based); fit runs epochs
  // initial_epoch .. epochs-1, numbers them so in History, callbacks and the
  // progress bar ("Epoch 3/5"), and shuffles each by its own number, so
  // fit(epochs=2) then fit(epochs=5, initial_epoch=2) takes the samples of
  // fit(epochs=5). A pending resume point (load_checkpoint,
  // BackupAndRestore) takes precedence, as Keras's BackupAndRestore does.
  int initial_epoch = 0;
  int batch_size = 32;
  bool shuffle = true;
  std::optional<ValidationData> validation_data;
  std::vector<std::shared_ptr<Callback>> callbacks;
  int verbose = 1;  // 0 silent, 1 progress bar, 2 one line per epoch
  std::uint64_t seed = 0;  // of the shuffles
  std::FILE* output = stdout;
  // Keras's class_weight: label -> weight. Each sample's loss, its gradient
  // and its accuracy count weigh its class's weight (1 for a class not
  // listed, as in Keras 3), e.g. {{0, 1.0}, {1, 3.0}} for a binary task
  // whose class 1 is rare. Keras's loss is then sum(w * loss) / samples and
  // its accuracy sum(w * correct) / sum(w); so are vknn's.
  std::map<int, double> class_weight = {};
  // Keras's sample_weight: one weight per training sample, multiplied by
  // class_weight's when both are given; empty: all 1.
  std::span<const float> sample_weight = {};
  // Keras's steps_per_epoch: each epoch trains on the first this many
  // batches of its shuffled order (0: all of them, the last partial batch
  // too); at most the batches there are. The course's week 4 trains 8
  // batches of 128 of its 1,027 pictures per epoch this way.
  std::int64_t steps_per_epoch = 0;
  // Keras's validation_steps: validation at each epoch's end evaluates the
  // first this many batches of validation_data (0: all of them).
  std::int64_t validation_steps = 0;
  // Keras's validation_batch_size: the batch of validation (0: batch_size).
  int validation_batch_size = 0;
  // Keras's ImageDataGenerator augmentation of the training pictures
  // (vknn/data/augmentation.hpp), drawn and applied on the device inside the
  // recorded step; none when empty or at its defaults. Validation is never
  // augmented. The model's input must be a picture (height, width, channels).
  std::optional<Augmentation> augmentation = std::nullopt;
};

struct EvaluateOptions {
  int batch_size = 32;
  int verbose = 1;
  std::FILE* output = stdout;
  // Keras's evaluate(sample_weight=...): one weight per sample; empty: all 1.
  std::span<const float> sample_weight = {};
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
  // fit stopped because request_stop() was called (Ctrl-C in the trainers
  // and in Python): the interrupted epoch is not in `history` and no
  // epoch-end callbacks ran for it.
  bool interrupted = false;
};

// One layer as model.summary() shows it.
struct LayerSummary {
  std::string name;     // Keras-style: "conv2d", "max_pooling2d_1", ...
  std::string type;     // "Conv2D", "MaxPooling2D", "Flatten", "Dense"
  Shape output_shape;   // per sample, e.g. {26, 26, 64}
  std::int64_t params = 0;
  bool trainable = true;
};

// Where training stands: the epoch under way (0-based; equal to the epochs
// completed when step is 0) and the steps of it already taken.
struct TrainingPosition {
  int epoch = 0;
  std::int64_t step = 0;
  std::int64_t steps_per_epoch = 0;  // 0 before the first fit
};

struct Evaluation {
  double loss = 0;
  double accuracy = 0;
};

// What load_model compiles the loaded model for (the rest of compile()'s
// settings come from the file).
struct LoadModelOptions {
  BackendKind backend = BackendKind::vulkan;
  std::shared_ptr<Context> context;  // null: the model makes its own
};

class Sequential;
// Keras's keras.models.load_model for a `.keras` file written by
// Sequential::save (or by Keras, for the layers and settings vknn has):
// builds the model from config.json, compiles it with the file's optimizer,
// loss and metrics, and restores its weights, optimizer state, iteration
// count and learning rate. Everything is read and checked before the model
// is built: a missing file, one that is not a zip, a zip without
// config.json or model.weights.h5, malformed JSON, a layer, optimizer or
// setting vknn lacks, weights of the wrong shape, a NaN or an infinity in
// any value: each a vknn::Error naming the file and the problem.
Sequential load_model(const std::filesystem::path& path, LoadModelOptions options = {});

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

  // The whole model in one file, Keras v3's `.keras` format (a zip of
  // config.json, metadata.json and model.weights.h5; docs/saving.md): the
  // layers, the weights, the optimizer with its state, iteration count and
  // learning rate, the loss and metrics. vknn::load_model reads it back;
  // the reloaded model predicts bit for bit as this one, and a fit on it
  // continues as a fit on this one would (same data, seed and
  // initial_epoch). Written atomically. The path must end in ".keras": a
  // ".h5" path (Keras's legacy format) or a path without an extension (a
  // SavedModel directory) is refused with a vknn::Error saying what to use.
  // Mid-epoch state (a fit's position and History) is not part of it:
  // save_checkpoint holds that.
  void save(const std::filesystem::path& path);

  // A checkpoint: everything continuing bit for bit needs (weights,
  // optimizer state, learning rate, the position in the epoch, its metric
  // totals so far, the History), in one safetensors file written atomically;
  // docs/checkpoints.md describes it. Callable between fits and from a
  // callback during one (it waits for the device).
  void save_checkpoint(const std::filesystem::path& path);
  // Restores a checkpoint into this compiled model (same architecture and
  // optimizer); the next fit then continues where the checkpoint's fit
  // stood, with `epochs` counting from its start as in Keras, and must be
  // given the same data size, batch size, shuffle and seed (it refuses
  // otherwise). Throws vknn::Error naming what is wrong with the file,
  // leaving the model unchanged.
  void load_checkpoint(const std::filesystem::path& path);
  TrainingPosition training_position() const;

  // Parameter tensors in layer order (kernel, bias, kernel, bias, ...).
  std::vector<std::vector<float>> get_weights();
  void set_weights(const std::vector<std::vector<float>>& weights);
  std::vector<std::string> weight_names() const;

  // Keras's model.stop_training: set by a callback, honoured at the next
  // step boundary.
  bool stop_training = false;

  // Asks a running fit to stop at its next step boundary; fit then returns
  // with History::interrupted (and stopped_early) set; the partial epoch is
  // dropped and callbacks' on_train_end still runs. Safe to call at any
  // time from a signal handler (it is one lock-free atomic store) or from
  // another thread. The request is cleared when the next fit starts, so a
  // request made while no fit runs does not stop a later one. Ctrl-C: see
  // vknn::StopOnSignals (vknn/model/stop_on_signals.hpp).
  void request_stop() noexcept;
  bool stop_requested() const noexcept;

  // The learning rate of the compiled optimizer; changing it takes effect
  // at the next step without re-recording anything.
  float learning_rate();
  void set_learning_rate(float learning_rate);

  // Keras's layer.trainable: fit leaves a frozen layer's parameters (and
  // their optimizer state) as they are, while gradients still flow through
  // it to the layers before it; summary() counts its parameters as
  // non-trainable. Read when a fit starts, so a change takes effect at the
  // next fit without compile() (which would start from fresh weights).
  // Throws vknn::Error for an index past the last layer.
  void set_trainable(std::size_t layer, bool trainable);

  // The layers as given, each with its name (the automatic ones filled
  // in) and the first with the input shape: what Keras's get_config says.
  std::vector<Layer> layer_configs() const;
  // What compile() was given (the optimizer's learning rate as compiled;
  // learning_rate() is the one in effect). Throws vknn::Error when not
  // compiled.
  const Optimizer& optimizer() const;
  const CompileOptions& compile_options() const;

  const std::string& name() const { return name_; }
  std::vector<LayerSummary> layers() const;
  int num_classes() const;
  Shape input_shape() const;
  std::int64_t count_params() const;
  bool compiled() const;
  std::string backend_description() const;  // e.g. "Vulkan: llvmpipe (...)"
  ExecutionCounters counters() const;

 private:
  // fit's work; fit turns a vknn::DeviceFailure from it into one that says
  // where (`place`, kept current) and whether a backup can be resumed.
  History run_fit(const Samples& x, std::span<const std::uint8_t> y, const FitOptions& options,
                  model::FitPlace& place);

  friend Sequential load_model(const std::filesystem::path& path, LoadModelOptions options);

  std::string name_;
  std::vector<Layer> layer_specs_;  // as given to the constructor
  CompileOptions compile_options_;  // as given to compile()
  std::unique_ptr<model::Architecture> architecture_;
  std::unique_ptr<model::Trainer> trainer_;
  // Where the latest fit stands, kept current at every step; after
  // load_checkpoint, the point the next fit resumes from.
  std::unique_ptr<model::TrainingProgress> progress_;
  bool resume_pending_ = false;
  std::string resume_source_;  // the checkpoint's path, for messages
  // Heap-held so that Sequential stays movable and a signal handler holding
  // a pointer to the flag never sees it move.
  std::unique_ptr<std::atomic<bool>> stop_request_;
};

}  // namespace vknn
