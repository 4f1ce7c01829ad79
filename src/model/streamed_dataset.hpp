// Data past the device's memory. When fit's training data (or evaluate's
// or predict's data) does not fit the
// device next to the model (or, uint8, in one storage buffer), the device
// holds a window of `window_batches` batches instead: the samples of those
// steps in the epoch's shuffled order. A host thread copies the next
// window's samples, labels and weights into a staging area while the
// device trains on the current one; at a window's first step the trainer
// waits for the device, uploads the staged window and goes on. The device
// order is fixed, entry j = j mod window_samples, so the recorded steps are
// the resident path's (the same gathers, at the same batch positions) and
// a streamed fit trains the same model as a resident one, bit for bit.
#pragma once

#include <cstdint>
#include <future>
#include <span>
#include <string>
#include <vector>

#include "model/trainer.hpp"

namespace vknn::model {

// How fit holds its training data: resident (window_batches 0), or
// streamed through a window of window_batches batches.
struct StreamingChoice {
  std::int64_t window_batches = 0;
  std::uint64_t data_bytes = 0;  // the whole dataset on the device
  std::uint64_t free_bytes = 0;  // what the device had left for it (0: no bound)
};

// Resident where the data, its order and the workspaces fit the trainer's
// memory (and, uint8, one tensor); else the largest window of whole
// batches that fits beside the workspaces. The workspaces: training's at
// `batch_size` and validation's at `validation_batch` (the same is one).
// Throws vknn::Error when not even one batch fits.
// `what` names the data in the error ("fit: the training data", "evaluate:
// the data", ...). `share`: the fraction of the memory left beside the
// model and the workspaces that the data may take (fit's validation data
// takes at most half, leaving the training data room for a window).
StreamingChoice choose_streaming(Trainer& trainer, const Samples& x, bool weighted, int batch_size,
                                 int validation_batch, const std::string& what = "fit: the training data",
                                 double share = 1.0);

class StreamedDataset {
 public:
  // `x`, `y` (one per sample, or empty: predict's labels are zeros) and
  // `weights` (one per sample, or empty) must outlive this. `name` names
  // the window's tensors ("training", "evaluation", ...).
  StreamedDataset(Trainer& trainer, const Samples& x, std::span<const std::uint8_t> y,
                  std::span<const float> weights, int batch_size, std::int64_t window_batches,
                  const std::string& name = "training");
  ~StreamedDataset();
  StreamedDataset(const StreamedDataset&) = delete;
  StreamedDataset& operator=(const StreamedDataset&) = delete;

  // The window, as the step programs read it.
  const DeviceDataset& device() const { return window_; }
  DeviceDataset& device() { return window_; }
  std::int64_t window_samples() const { return window_samples_; }

  // A new epoch order (a permutation of the samples); the first window
  // staged is the one holding step `first_step`.
  void start_epoch(std::vector<std::uint32_t> order, std::int64_t first_step);
  // Before step `step` is launched: at the first step of a window not on
  // the device, waits for the device and uploads the window.
  void before_step(std::int64_t step);

  // Windows uploaded so far (tests, progress).
  std::int64_t uploads() const { return uploads_; }

 private:
  struct Staging {
    std::int64_t window = -1;  // which window of the epoch it holds
    std::int64_t samples = 0;
    std::vector<std::uint8_t> pixels, labels;
    std::vector<std::uint32_t> keys;  // the samples' indexes: their augmentation draws' keys
    std::vector<float> values, weights;
  };
  // Copies window `window`'s samples, in the epoch order, into `staging`.
  void assemble(std::int64_t window, Staging& staging) const;
  void stage_in_background(std::int64_t window);
  Staging& wait_for(std::int64_t window);

  Trainer& trainer_;
  Samples x_;  // a view: the caller's arrays
  std::span<const std::uint8_t> y_;
  std::span<const float> weights_;
  int batch_size_;
  std::int64_t window_batches_, window_samples_, windows_ = 0;
  DeviceDataset window_;
  std::vector<std::uint32_t> order_;
  Staging staging_[2];
  std::future<void> pending_;  // assembling the next window
  std::int64_t on_device_ = -1;  // the window the device holds
  std::int64_t uploads_ = 0;
};

}  // namespace vknn::model
