// What train_fashion_mnist and train_mnist share: their common flags and
// the course notebook's flow (summary, fit with progress bars, evaluate on
// the test set), with weights, history and a stop-at-accuracy callback.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/cli.hpp"
#include "vknn/data/idx.hpp"
#include "vknn/model/callbacks.hpp"
#include "vknn/model/compile.hpp"
#include "vknn/model/layers.hpp"

namespace vknn::examples {

struct TrainingDefaults {
  int epochs = 5;
  double target_accuracy = 0;  // 0: no threshold
};

// Declares --epochs, --batch-size, --learning-rate, --device, --data-dir,
// --seed, --target-accuracy, --save, --load, --history, --backup-dir,
// --backup-every, --limit, --test-limit, --validation and --verbose.
void add_training_flags(FlagParser& flags, const std::string& data_folder,
                        const TrainingDefaults& defaults);

struct TrainingProgram {
  std::string dataset_name;  // "Fashion-MNIST", for messages
  std::string data_folder;   // "fashion-mnist": <repo>/data/<data_folder>
  std::function<data::DatasetSplits(const std::filesystem::path&)> load;
  std::vector<Layer> layers;
  // The course's week-3 choice by default; the binary task compiles with
  // binary_crossentropy and RMSprop.
  std::string loss = "sparse_categorical_crossentropy";
  std::function<Optimizer(float learning_rate)> optimizer = [](float lr) { return Adam(lr); };
};

// Runs the flow; returns the exit status: 0, or 128 + the signal (130,
// 143) when SIGINT or SIGTERM stopped training (see vknn::StopOnSignals).
// Throws UsageError for flag values found wrong only once the data is known
// (--limit beyond the training set), other exceptions for failures.
int run_training(const FlagParser& flags, const TrainingProgram& program);

// The course's callback: once `monitor` passes `threshold` at an epoch end,
// prints "Reached 99.8% accuracy so cancelling training!" and stops
// training (through vknn::StopAtThreshold).
class ReachedAccuracyCallback : public Callback {
 public:
  explicit ReachedAccuracyCallback(double threshold, std::string monitor = "accuracy",
                                   std::FILE* out = stdout);
  void on_epoch_end(Sequential& model, int epoch, const Logs& logs) override;
  bool triggered() const { return stop_.triggered(); }
  static std::string message(double threshold, const std::string& monitor = "accuracy");

 private:
  StopAtThreshold stop_;
  double threshold_;
  std::string monitor_;
  std::FILE* out_;
};

}  // namespace vknn::examples
