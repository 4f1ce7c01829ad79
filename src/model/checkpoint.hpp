// Checkpoints: everything a fit needs to continue bit for bit, in one
// safetensors file (docs/checkpoints.md describes the format).
//
// The tensors are the weights under their Keras names ("conv2d/kernel")
// and the optimizer state under "optimizer/adam/m/conv2d/kernel",
// "optimizer/adam/v/...", "optimizer/sgd/velocity/..."; every scalar (the
// step count, the learning rate, where in which epoch training stands, the
// metric totals so far, the History) is a string in __metadata__, next to
// "vknn.checkpoint": "1", the format version. This file turns that state
// into a file and back, strictly; Sequential gathers it from the device and
// puts it back (save_checkpoint / load_checkpoint) and fit resumes from it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "io/safetensors.hpp"
#include "ops/metric_totals.hpp"
#include "vknn/model/sequential.hpp"

namespace vknn::model {

// A checkpoint is a safetensors file (src/io/safetensors.hpp) with the
// training state in its metadata.
using io::check_tensors;
using io::encode_safetensors;
using io::load_safetensors;
using io::Metadata;
using io::Tensor;
using io::WeightsFile;

// The format version this build writes and the only one it reads.
inline constexpr const char* kCheckpointVersion = "1";
inline constexpr const char* kCheckpointVersionKey = "vknn.checkpoint";

// What makes a fit the same fit again: the epoch's shuffle order is a
// function of (seed, epoch) and the steps follow from the batch size and the
// sample count, so these four decide which samples every step takes.
struct FitIdentity {
  std::uint64_t seed = 0;
  bool shuffle = true;
  int batch_size = 0;         // as fit used it (clamped to the sample count)
  std::int64_t samples = 0;   // 0: no fit has run yet
  // Augmentation::describe() of fit's augmentation (its settings and seed,
  // which decide every step's pictures); empty: none. Older checkpoints
  // have no such key: none.
  std::string augmentation;

  bool operator==(const FitIdentity&) const = default;
  std::int64_t steps_per_epoch() const {
    return batch_size > 0 ? (samples + batch_size - 1) / batch_size : 0;
  }
};

// "batch size 32 over 600 samples, shuffled with seed 0"
std::string describe(const FitIdentity& fit);

// Where training stands between two steps.
struct TrainingProgress {
  FitIdentity fit;
  int epoch = 0;           // the epoch under way (= epochs completed when step is 0)
  std::int64_t step = 0;   // its steps already taken
  MetricTotals totals;     // of those steps
  History history;         // of the completed epochs
};

struct CheckpointContents {
  std::string model_name;
  std::string architecture;      // describe_layers(): refuses another model's checkpoint
  std::string optimizer;         // optimizer_text(): kind and hyperparameters
  std::uint32_t iterations = 0;  // optimizer updates so far (Adam's t)
  float learning_rate = 0.0f;
  TrainingProgress progress;
  std::vector<Tensor> tensors;   // weights and optimizer state, under checkpoint names
};

// "adam(beta_1=0.9, beta_2=0.999, epsilon=1e-07)", "sgd(momentum=0)": the
// parts of the optimizer a checkpoint must agree with (the learning rate is
// state, restored from the file).
std::string optimizer_text(const Optimizer& optimizer);

// The checkpoint names of one parameter's optimizer state, in file order:
// Adam's m and v, SGD's velocity (none for SGD without momentum).
std::vector<std::string> optimizer_state_names(const Optimizer& optimizer,
                                               const std::string& parameter);

// Writes the checkpoint atomically (see io::AtomicFileWriter); throws
// vknn::Error naming the path.
void write_checkpoint(const std::filesystem::path& path, const CheckpointContents& contents);

// Reads and checks a checkpoint against the model that will take it:
// `architecture` and `optimizer` as this model would write them, `tensors`
// the exact names and shapes it expects. Throws vknn::Error naming the file
// and what is wrong: unreadable, truncated or corrupt (load_safetensors'
// checks), a weights file or another file that is no checkpoint, a newer
// format version, another architecture or optimizer, a NaN or infinity in
// any tensor (weights or optimizer state; io::check_finite names the tensor
// and the index), missing or malformed metadata, a position that does not
// fit the recorded fit.
CheckpointContents read_checkpoint(const std::filesystem::path& path,
                                   const std::string& architecture, const std::string& optimizer,
                                   const std::vector<io::TensorSpec>& tensors);

// The training position a checkpoint file holds, read and checked as
// read_checkpoint reads it but without a model to match: for what a message
// says about a backup (fit after a device failure). Throws vknn::Error
// naming the file and what is wrong.
TrainingProgress read_checkpoint_progress(const std::filesystem::path& path);

}  // namespace vknn::model
