// Callbacks for Sequential::fit, with Keras semantics.
//
// A callback sees the end of every batch and every epoch. Asking to stop
// (Callback::stop_training) is honoured at the next step boundary: the
// batch in flight finishes, and fit returns after the epoch's bookkeeping.
#pragma once

#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace vknn {

class Sequential;

// Metric values by Keras name: "loss", "accuracy", "val_loss", "val_accuracy".
using Logs = std::map<std::string, double>;

class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_train_begin(Sequential& /*model*/) {}
  virtual void on_epoch_end(Sequential& /*model*/, int /*epoch*/, const Logs& /*logs*/) {}
  // Called at progress refreshes (a few times a second), not every step,
  // and after the last batch of an epoch: reading running metrics means a
  // host wait on the device, which fit keeps rare.
  virtual void on_batch_end(Sequential& /*model*/, int /*batch*/, const Logs& /*logs*/) {}
  virtual void on_train_end(Sequential& /*model*/) {}
};

enum class MonitorMode { automatic, min, max };

// keras.callbacks.EarlyStopping: stop when `monitor` has not improved by
// more than min_delta for `patience` epochs. mode automatic: max for
// metrics whose name contains "acc", else min. restore_best_weights puts
// back the weights of the best epoch when it stops (or at the end if
// training ran out of epochs, as Keras 2.11+ does).
struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  double min_delta = 0.0;
  int patience = 0;
  MonitorMode mode = MonitorMode::automatic;
  double baseline = std::numeric_limits<double>::quiet_NaN();  // NaN: none
  bool restore_best_weights = false;
  int start_from_epoch = 0;
};

class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(EarlyStoppingOptions options = {});
  void on_train_begin(Sequential& model) override;
  void on_epoch_end(Sequential& model, int epoch, const Logs& logs) override;
  void on_train_end(Sequential& model) override;
  int stopped_epoch() const { return stopped_epoch_; }  // -1 if it never stopped
  int best_epoch() const { return best_epoch_; }

 private:
  bool improved(double value, double reference) const;
  EarlyStoppingOptions options_;
  bool maximize_ = false;
  double best_ = 0;
  int best_epoch_ = -1;
  int wait_ = 0;
  int stopped_epoch_ = -1;
  std::vector<std::vector<float>> best_weights_;
};

// The course's exercise callback: stop once a metric passes a threshold
// (e.g. accuracy > 0.998), checked at every epoch end.
class StopAtThreshold : public Callback {
 public:
  StopAtThreshold(std::string monitor, double threshold, MonitorMode mode = MonitorMode::automatic);
  void on_epoch_end(Sequential& model, int epoch, const Logs& logs) override;
  bool triggered() const { return triggered_; }

 private:
  std::string monitor_;
  double threshold_;
  bool maximize_;
  bool triggered_ = false;
};

// keras.callbacks.TerminateOnNaN: stop as soon as the loss is NaN or inf.
class TerminateOnNaN : public Callback {
 public:
  void on_batch_end(Sequential& model, int batch, const Logs& logs) override;
  void on_epoch_end(Sequential& model, int epoch, const Logs& logs) override;
};

// A callback from plain functions (keras.callbacks.LambdaCallback).
class LambdaCallback : public Callback {
 public:
  std::function<void(Sequential&, int, const Logs&)> epoch_end;
  std::function<void(Sequential&, int, const Logs&)> batch_end;
  void on_epoch_end(Sequential& model, int epoch, const Logs& logs) override {
    if (epoch_end) epoch_end(model, epoch, logs);
  }
  void on_batch_end(Sequential& model, int batch, const Logs& logs) override {
    if (batch_end) batch_end(model, batch, logs);
  }
};

}  // namespace vknn
