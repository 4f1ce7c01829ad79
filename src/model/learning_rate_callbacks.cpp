// LearningRateScheduler and ReduceLROnPlateau: the learning rate changed
// between epochs through Sequential::set_learning_rate (the recorded step
// reads it from the device's step state, so nothing is recorded again).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "vknn/distributed.hpp"
#include "vknn/error.hpp"
#include "vknn/model/callbacks.hpp"
#include "vknn/model/sequential.hpp"
#include "vknn/ops/geometry.hpp"

namespace vknn {

LearningRateScheduler::LearningRateScheduler(Schedule schedule, int verbose)
    : schedule_(std::move(schedule)), verbose_(verbose) {
  if (!schedule_) throw Error("LearningRateScheduler: schedule must be a function of (epoch, lr)");
}

void LearningRateScheduler::on_epoch_begin(Sequential& model, int epoch) {
  const double rate = schedule_(epoch, double(model.learning_rate()));
  if (!std::isfinite(rate) || rate < 0.0 || !learning_rate_is_valid(float(rate))) {
    char text[64];
    std::snprintf(text, sizeof text, "%g", rate);
    throw Error("LearningRateScheduler: the schedule returned " + std::string(text) + " for epoch " +
                std::to_string(epoch + 1) + "; a learning rate must be " + kLearningRateRule);
  }
  model.set_learning_rate(float(rate));
  if (verbose_ > 0 && distributed::is_primary()) {
    std::printf("\nEpoch %d: LearningRateScheduler setting learning rate to %g.\n", epoch + 1, rate);
  }
}

ReduceLROnPlateau::ReduceLROnPlateau(ReduceLROnPlateauOptions options) : options_(std::move(options)) {
  const auto& o = options_;
  if (o.monitor.empty()) throw Error("ReduceLROnPlateau: monitor must name a metric");
  if (!std::isfinite(o.factor) || o.factor >= 1.0 || o.factor < 0.0) {
    throw Error("ReduceLROnPlateau: factor must be in [0, 1) (Keras refuses a factor >= 1.0), got " +
                std::to_string(o.factor));
  }
  if (!std::isfinite(o.min_lr) || o.min_lr < 0.0) {
    throw Error("ReduceLROnPlateau: min_lr must be a finite number >= 0, got " + std::to_string(o.min_lr));
  }
  if (!std::isfinite(o.min_delta)) throw Error("ReduceLROnPlateau: min_delta must be a finite number");
  if (o.patience < 0 || o.cooldown < 0) {
    throw Error("ReduceLROnPlateau: patience and cooldown must be >= 0, got " +
                std::to_string(o.patience) + " and " + std::to_string(o.cooldown));
  }
  // Keras's rule here (not EarlyStopping's): auto maximises a monitor whose
  // name contains "acc", minimises anything else.
  maximize_ = o.mode == MonitorMode::max ||
              (o.mode == MonitorMode::automatic && o.monitor.find("acc") != std::string::npos);
}

void ReduceLROnPlateau::on_train_begin(Sequential& /*model*/) {
  best_ = maximize_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  wait_ = 0;
  cooldown_counter_ = 0;
}

void ReduceLROnPlateau::on_epoch_end(Sequential& model, int epoch, const Logs& logs) {
  const auto it = logs.find(options_.monitor);
  if (it == logs.end()) {
    if (!distributed::is_primary()) return;
    std::string available;
    for (const auto& [key, value] : logs) available += (available.empty() ? "" : ",") + key;
    std::fprintf(stderr,
                 "vknn: warning: learning rate reduction is conditioned on metric `%s` which is not "
                 "available. Available metrics are: %s\n",
                 options_.monitor.c_str(), available.c_str());
    return;
  }
  const double current = it->second;
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    wait_ = 0;
  }
  const bool improved = maximize_ ? current > best_ + options_.min_delta
                                  : current < best_ - options_.min_delta;
  if (improved) {
    best_ = current;
    wait_ = 0;
  } else if (cooldown_counter_ == 0 && ++wait_ >= options_.patience) {
    const double old_rate = model.learning_rate();
    // float32, as the optimizer holds it: the comparison Keras makes.
    if (float(old_rate) > float(options_.min_lr)) {
      const double new_rate = std::max(old_rate * options_.factor, options_.min_lr);
      model.set_learning_rate(float(new_rate));
      if (options_.verbose > 0 && distributed::is_primary()) {
        std::printf("\nEpoch %d: ReduceLROnPlateau reducing learning rate to %g.\n", epoch + 1,
                    new_rate);
      }
      cooldown_counter_ = options_.cooldown;
      wait_ = 0;
    }
  }
}

}  // namespace vknn
