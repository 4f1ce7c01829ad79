#include "model/streamed_dataset.hpp"

#include <algorithm>
#include <cstring>

#include "model/byte_size_text.hpp"
#include "model/plan.hpp"
#include "vknn/error.hpp"

namespace vknn::model {

StreamingChoice choose_streaming(Trainer& trainer, const Samples& x, bool weighted, int batch_size,
                                 int validation_batch, const std::string& what, double share) {
  const bool float_values = !x.values.empty();
  const std::uint64_t sample_size = std::uint64_t(element_count(trainer.architecture().input_shape()));
  const std::uint64_t sample_bytes = sample_size * (float_values ? 4 : 1);
  StreamingChoice choice;
  choice.data_bytes = trainer.dataset_bytes(x.count, x.count, float_values, weighted);

  // The workspaces fit will take (those not there already) come first:
  // the data gets what is left beside them.
  std::uint64_t workspace = 0;
  bool micro_gradients = false;
  std::vector<int> planned;
  for (const int batch : {batch_size, validation_batch}) {
    const int micro = trainer.micro_batch_size(batch);
    if (trainer.has_workspace(micro) || std::find(planned.begin(), planned.end(), micro) != planned.end()) {
      continue;
    }
    planned.push_back(micro);
    workspace += make_plan(trainer.architecture(), micro).bytes();
    micro_gradients |= micro < batch;
  }
  if (micro_gradients && !trainer.parameters().front().micro_gradient) {
    workspace += std::uint64_t(trainer.architecture().total_params()) * 4;
  }
  const std::uint64_t capacity = trainer.memory_capacity();
  const std::uint64_t held = trainer.device_bytes() + workspace;
  const std::uint64_t free =
      capacity == 0 ? UINT64_MAX
                    : std::uint64_t(double(capacity > held ? capacity - held : 0) * std::clamp(share, 0.0, 1.0));
  choice.free_bytes = capacity == 0 ? 0 : free;

  // The samples one dataset may hold as tensors: uint8 pixels in one
  // buffer; float values in up to 8 chunks of whole samples
  // (Backend::float_dataset).
  const std::uint64_t max_tensor = trainer.max_tensor_bytes();
  const std::uint64_t tensor_samples =
      float_values ? (max_tensor / sample_bytes) * 8 : max_tensor / sample_bytes;
  if (choice.data_bytes <= free && std::uint64_t(x.count) <= tensor_samples) return choice;

  // A window of whole batches beside the order (one entry per sample, the
  // whole epoch's) and the workspace. 16 bytes of slack cover the packing
  // of uint8 tensors to whole words.
  const std::uint64_t order_bytes = std::uint64_t(x.count) * 4;
  // A window's sample: its values, label, weight and augmentation key.
  const std::uint64_t per_sample = sample_bytes + 1 + (weighted ? 4 : 0) + 4;
  const std::uint64_t room = free > order_bytes + 16 ? free - order_bytes - 16 : 0;
  const std::uint64_t window_samples = std::min(room / per_sample, tensor_samples);
  const std::int64_t batches = (x.count + batch_size - 1) / batch_size;
  choice.window_batches = std::min<std::int64_t>(std::int64_t(window_samples / std::uint64_t(batch_size)), batches);
  if (choice.window_batches < 1) {
    throw Error(what + " (" + std::to_string(x.count) + " samples, " +
                byte_size_text(choice.data_bytes) + ") does not fit the device, and not even one batch of " +
                std::to_string(batch_size) + " samples (" + byte_size_text(per_sample * std::uint64_t(batch_size)) +
                ") fits beside the model and its workspace to stream it (" + byte_size_text(free) + " left" +
                (max_tensor == UINT64_MAX ? std::string() : ", one tensor at most " + byte_size_text(max_tensor)) +
                "); use a smaller batch size, a smaller model or a device with more memory");
  }
  return choice;
}

StreamedDataset::StreamedDataset(Trainer& trainer, const Samples& x, std::span<const std::uint8_t> y,
                                 std::span<const float> weights, int batch_size,
                                 std::int64_t window_batches, const std::string& name)
    : trainer_(trainer),
      x_(x),
      y_(y),
      weights_(weights),
      batch_size_(batch_size),
      window_batches_(window_batches),
      window_samples_(std::min<std::int64_t>(window_batches * batch_size, x.count)) {
  if (window_batches < 1) throw Error("StreamedDataset: window_batches must be positive");
  windows_ = (x.count + window_samples_ - 1) / window_samples_;
  window_ = trainer.allocate_dataset(name + " (streamed window)", window_samples_, x.count,
                                     !x.values.empty(), !weights.empty(), /*keyed=*/true);
  // Epoch position j reads window slot j mod window_samples: the window
  // holds its steps' samples in that order, so the recorded gathers are
  // the resident path's.
  std::vector<std::uint32_t> slots(std::size_t(x.count));
  for (std::size_t j = 0; j < slots.size(); ++j) slots[j] = std::uint32_t(std::int64_t(j) % window_samples_);
  trainer.backend().write(*window_.order, slots.data(), slots.size() * sizeof(std::uint32_t));
}

StreamedDataset::~StreamedDataset() {
  if (pending_.valid()) {
    try {
      pending_.get();
    } catch (...) {
      // The fit is ending (or failed elsewhere); a staging error no longer matters.
    }
  }
}

void StreamedDataset::assemble(std::int64_t window, Staging& s) const {
  const std::int64_t first = window * window_samples_;
  const std::int64_t n = std::min(window_samples_, x_.count - first);
  const std::size_t size = std::size_t(window_.sample_size);
  s.samples = n;
  s.labels.resize(std::size_t(n));
  s.keys.resize(std::size_t(n));
  if (!x_.values.empty()) {
    s.values.resize(std::size_t(n) * size);
  } else {
    s.pixels.resize(std::size_t(n) * size);
  }
  if (!weights_.empty()) s.weights.resize(std::size_t(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const std::size_t sample = order_.at(std::size_t(first + i));
    if (!x_.values.empty()) {
      std::memcpy(&s.values[std::size_t(i) * size], &x_.values[sample * size], size * sizeof(float));
    } else {
      std::memcpy(&s.pixels[std::size_t(i) * size], &x_.pixels[sample * size], size);
    }
    s.labels[std::size_t(i)] = y_.empty() ? 0 : y_[sample];
    s.keys[std::size_t(i)] = std::uint32_t(sample);
    if (!weights_.empty()) s.weights[std::size_t(i)] = weights_[sample];
  }
  s.window = window;
}

// Window w is staged in slot w % 2. Both slots are free by then: the
// window the device trains on was copied to it at its upload.
void StreamedDataset::stage_in_background(std::int64_t window) {
  Staging& slot = staging_[window % 2];
  slot.window = -1;
  pending_ = std::async(std::launch::async, [this, window, &slot] { assemble(window, slot); });
}

StreamedDataset::Staging& StreamedDataset::wait_for(std::int64_t window) {
  if (pending_.valid()) pending_.get();  // rethrows what assembling threw
  for (Staging& s : staging_) {
    if (s.window == window) return s;
  }
  // Not staged (a window the steps skipped to): now.
  Staging& s = staging_[window % 2];
  assemble(window, s);
  return s;
}

void StreamedDataset::start_epoch(std::vector<std::uint32_t> order, std::int64_t first_step) {
  if (std::int64_t(order.size()) != x_.count) {
    throw Error("StreamedDataset: the epoch order has " + std::to_string(order.size()) +
                " entries for " + std::to_string(x_.count) + " samples");
  }
  if (pending_.valid()) pending_.get();
  order_ = std::move(order);
  for (Staging& s : staging_) s.window = -1;
  on_device_ = -1;
  stage_in_background(first_step / window_batches_);
}

void StreamedDataset::before_step(std::int64_t step) {
  const std::int64_t window = step / window_batches_;
  if (window == on_device_) return;
  Staging& s = wait_for(window);
  auto& backend = trainer_.backend();
  backend.synchronize();  // the previous window's steps have read it
  const std::size_t size = std::size_t(window_.sample_size);
  if (!x_.values.empty()) {
    backend.write(*window_.images, s.values.data(), std::size_t(s.samples) * size * sizeof(float));
  } else {
    backend.write(*window_.images, s.pixels.data(), std::size_t(s.samples) * size);
  }
  backend.write(*window_.labels, s.labels.data(), s.labels.size());
  backend.write(*window_.sample_keys, s.keys.data(), s.keys.size() * sizeof(std::uint32_t));
  if (window_.sample_weights) {
    backend.write(*window_.sample_weights, s.weights.data(), s.weights.size() * sizeof(float));
  }
  on_device_ = window;
  ++uploads_;
  if (window + 1 < windows_) stage_in_background(window + 1);
}

}  // namespace vknn::model
