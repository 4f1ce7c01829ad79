// ModelCheckpoint: the model or its weights saved to a templated path at
// epoch ends or every N batches, optionally only on improvement. The rules
// and the words are those of vknn's Python ModelCheckpoint
// (python/vknn/keras/callbacks.py), which follows Keras 3.
#include <cmath>
#include <cstdio>
#include <limits>
#include <system_error>

#include "model/path_template.hpp"
#include "vknn/distributed.hpp"
#include "vknn/error.hpp"
#include "vknn/model/callbacks.hpp"
#include "vknn/model/sequential.hpp"

namespace vknn {

namespace fs = std::filesystem;

namespace {

constexpr const char* kEpoch = "epoch";
constexpr const char* kBatch = "batch";

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string keys_of(const Logs& logs) {
  std::string keys;
  for (const auto& [key, value] : logs) keys += (keys.empty() ? "" : ", ") + key;
  return keys;
}

}  // namespace

ModelCheckpoint::ModelCheckpoint(fs::path filepath, ModelCheckpointOptions options)
    : options_(std::move(options)) {
  const std::string text = filepath.string();
  if (text.empty()) throw Error("ModelCheckpoint: filepath must not be empty");
  filepath_ = std::make_unique<model::PathTemplate>(text, "ModelCheckpoint");
  const ModelCheckpointOptions& o = options_;
  if (o.monitor.empty()) throw Error("ModelCheckpoint: monitor must name a metric, e.g. \"val_loss\"");
  if (o.mode != MonitorMode::automatic && o.mode != MonitorMode::min && o.mode != MonitorMode::max) {
    throw Error("ModelCheckpoint: mode must be MonitorMode::automatic, min or max, got the value " +
                std::to_string(int(o.mode)));
  }
  if (!save_per_epoch() && o.save_freq.steps < 1) {
    throw Error("Unrecognized save_freq: " + std::to_string(o.save_freq.steps) +
                " (ModelCheckpoint takes SaveFreq::epoch() or SaveFreq::every_steps(N), a number "
                "of batches N >= 1)");
  }
  if (!o.save_weights_only && !ends_with(text, ".keras")) {
    throw Error("The filepath provided must end in `.keras` (Keras model format) when "
                "save_weights_only=false: ModelCheckpoint saves the whole model with "
                "Sequential::save(). Received: filepath=" + text +
                " (set save_weights_only to save the weights alone)");
  }
  std::vector<std::string> integers{kEpoch};
  if (save_per_epoch()) {
    // Python's fails at the first save, with a KeyError; refused here first.
    if (filepath_->names(kBatch)) {
      throw Error("ModelCheckpoint: filepath \"" + text + "\" names {batch}, which only saves every "
                  "N batches have (save_freq = SaveFreq::every_steps(N)); the logs at an epoch end "
                  "have no 'batch'");
    }
  } else {
    integers.push_back(kBatch);
  }
  filepath_->check_specs(integers);

  // Keras's rule: automatic maximises "acc..." and "fmeasure..." metrics.
  maximize_ = o.mode == MonitorMode::max ||
              (o.mode == MonitorMode::automatic &&
               (o.monitor.find("acc") != std::string::npos || o.monitor.rfind("fmeasure", 0) == 0));
  if (std::isnan(o.initial_value_threshold)) {
    best_ = maximize_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  } else {
    best_ = o.initial_value_threshold;
  }
  needs_logs_ = o.save_best_only;
  for (const auto& field : filepath_->fields()) {
    if (field.name != kEpoch && field.name != kBatch) needs_logs_ = true;
  }
}

ModelCheckpoint::~ModelCheckpoint() = default;

void ModelCheckpoint::on_epoch_begin(Sequential& /*model*/, int epoch) { current_epoch_ = epoch; }

bool ModelCheckpoint::wants_batch_logs() const { return !save_per_epoch() && needs_logs_; }

bool ModelCheckpoint::batch_is_due() {
  if (++batches_since_save_ < options_.save_freq.steps) return false;
  batches_since_save_ = 0;
  return true;
}

void ModelCheckpoint::on_train_batch_end(Sequential& model, int batch) {
  // Every step boundary; a save without logs needs no host wait for them.
  if (!save_per_epoch() && !needs_logs_ && batch_is_due()) save(model, current_epoch_, batch, {});
}

void ModelCheckpoint::on_batch_end(Sequential& model, int batch, const Logs& logs) {
  // After every step, since wants_batch_logs() asked for it.
  if (wants_batch_logs() && batch_is_due()) save(model, current_epoch_, batch, logs);
}

void ModelCheckpoint::on_epoch_end(Sequential& model, int epoch, const Logs& logs) {
  if (save_per_epoch()) save(model, epoch, -1, logs);
}

void ModelCheckpoint::save(Sequential& model, int epoch, int batch, const Logs& logs) {
  std::vector<std::pair<std::string, model::TemplateValue>> values{{kEpoch, std::int64_t(epoch) + 1}};
  if (batch >= 0) values.emplace_back(kBatch, std::int64_t(batch) + 1);
  for (const auto& [key, value] : logs) values.emplace_back(key, value);
  const fs::path path =
      filepath_->fill(values, "(ModelCheckpoint, epoch " + std::to_string(epoch + 1) + ")");
  // Only rank 0 writes (every rank holds the same model) and speaks; every
  // rank makes the same decisions from the same logs.
  const bool primary = distributed::is_primary();
  std::error_code ec;
  if (primary && fs::is_directory(path, ec)) {
    throw Error("Please specify a non-directory filepath for ModelCheckpoint. Filepath used is an "
                "existing directory: " + path.string());
  }
  const bool verbose = options_.verbose > 0 && primary;
  if (options_.save_best_only) {
    const auto it = logs.find(options_.monitor);
    if (it == logs.end()) {
      if (primary) {
        std::fprintf(stderr, "vknn: warning: Can save best model only with %s available, skipping "
                     "(available: %s).\n", options_.monitor.c_str(), keys_of(logs).c_str());
      }
      return;
    }
    const double current = it->second;
    if (!(maximize_ ? current > best_ : current < best_)) {
      if (verbose) {
        std::printf("\nEpoch %d: %s did not improve from %.5f\n", epoch + 1, options_.monitor.c_str(), best_);
      }
      return;
    }
    if (verbose) {
      std::printf("\nEpoch %d: %s improved from %.5f to %.5f, saving model to %s\n", epoch + 1,
                  options_.monitor.c_str(), best_, current, path.c_str());
    }
    best_ = current;
  } else if (verbose) {
    std::printf("\nEpoch %d: saving model to %s\n", epoch + 1, path.c_str());
  }
  if (primary) {
    try {
      if (options_.save_weights_only) {
        model.save_weights(path);
      } else {
        model.save(path);
      }
    } catch (const DeviceFailure&) {
      throw;  // fit says where it happened
    } catch (const Error& e) {
      throw Error("ModelCheckpoint: cannot save epoch " + std::to_string(epoch + 1) + " to " +
                  path.string() + ": " + e.what());
    }
  }
  saved_.push_back(path);
}

}  // namespace vknn
