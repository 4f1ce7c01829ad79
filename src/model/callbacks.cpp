#include "vknn/model/callbacks.hpp"

#include <cmath>
#include <cstdio>

#include "vknn/error.hpp"
#include "vknn/model/sequential.hpp"

namespace vknn {

namespace {

// Keras: mode 'auto' maximises metrics whose name contains "acc" (and
// "auc"/"fmeasure"), minimises everything else.
bool maximize_for(const std::string& monitor, MonitorMode mode) {
  if (mode == MonitorMode::max) return true;
  if (mode == MonitorMode::min) return false;
  return monitor.find("acc") != std::string::npos || monitor.find("auc") != std::string::npos;
}

const double* find(const Logs& logs, const std::string& name) {
  auto it = logs.find(name);
  return it == logs.end() ? nullptr : &it->second;
}

}  // namespace

EarlyStopping::EarlyStopping(EarlyStoppingOptions options) : options_(std::move(options)) {
  if (options_.patience < 0) throw Error("EarlyStopping: patience must be >= 0");
  maximize_ = maximize_for(options_.monitor, options_.mode);
  // Keras keeps min_delta's sign pointing the way of improvement.
  options_.min_delta = std::fabs(options_.min_delta);
}

bool EarlyStopping::improved(double value, double reference) const {
  return maximize_ ? value - options_.min_delta > reference
                   : value + options_.min_delta < reference;
}

void EarlyStopping::on_train_begin(Sequential&) {
  wait_ = 0;
  stopped_epoch_ = -1;
  best_epoch_ = -1;
  best_weights_.clear();
  best_ = maximize_ ? -INFINITY : INFINITY;
  if (!std::isnan(options_.baseline)) best_ = options_.baseline;
}

void EarlyStopping::on_epoch_end(Sequential& model, int epoch, const Logs& logs) {
  const double* value = find(logs, options_.monitor);
  if (!value) {
    std::fprintf(stderr,
                 "vknn: EarlyStopping conditioned on metric '%s' which is not available; "
                 "available metrics are:",
                 options_.monitor.c_str());
    for (const auto& [name, v] : logs) std::fprintf(stderr, " %s", name.c_str());
    std::fprintf(stderr, "\n");
    return;
  }
  if (epoch < options_.start_from_epoch) return;
  if (options_.restore_best_weights && best_weights_.empty()) best_weights_ = model.get_weights();
  ++wait_;
  if (improved(*value, best_)) {
    best_ = *value;
    best_epoch_ = epoch;
    if (options_.restore_best_weights) best_weights_ = model.get_weights();
    // Only restart the wait if we beat both the baseline and our previous best.
    if (std::isnan(options_.baseline) || improved(*value, options_.baseline)) wait_ = 0;
    return;
  }
  if (wait_ >= options_.patience && epoch > 0) {
    stopped_epoch_ = epoch;
    model.stop_training = true;
    if (options_.restore_best_weights && !best_weights_.empty()) model.set_weights(best_weights_);
  }
}

void EarlyStopping::on_train_end(Sequential& model) {
  if (stopped_epoch_ < 0 && options_.restore_best_weights && !best_weights_.empty() &&
      best_epoch_ >= 0) {
    model.set_weights(best_weights_);
  }
}

StopAtThreshold::StopAtThreshold(std::string monitor, double threshold, MonitorMode mode)
    : monitor_(std::move(monitor)), threshold_(threshold), maximize_(maximize_for(monitor_, mode)) {}

void StopAtThreshold::on_epoch_end(Sequential& model, int, const Logs& logs) {
  const double* value = find(logs, monitor_);
  if (!value) throw Error("StopAtThreshold: metric '" + monitor_ + "' is not in the logs");
  if (maximize_ ? *value > threshold_ : *value < threshold_) {
    triggered_ = true;
    model.stop_training = true;
  }
}

void TerminateOnNaN::on_batch_end(Sequential& model, int batch, const Logs& logs) {
  const double* loss = find(logs, "loss");
  if (loss && !std::isfinite(*loss)) {
    std::fprintf(stderr, "Batch %d: Invalid loss, terminating training\n", batch);
    model.stop_training = true;
  }
}

void TerminateOnNaN::on_epoch_end(Sequential& model, int epoch, const Logs& logs) {
  const double* loss = find(logs, "loss");
  if (loss && !std::isfinite(*loss)) {
    std::fprintf(stderr, "Epoch %d: Invalid loss, terminating training\n", epoch + 1);
    model.stop_training = true;
  }
}

}  // namespace vknn
