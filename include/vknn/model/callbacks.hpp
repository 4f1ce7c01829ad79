// Callbacks for Sequential::fit, with Keras semantics.
//
// A callback sees the end of every batch and every epoch. Asking to stop
// (Callback::stop_training) is honoured at the next step boundary: the
// batch in flight finishes, and fit returns after the epoch's bookkeeping.
#pragma once

#include <cstdint>
#include <filesystem>
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
  // Before each epoch's first step (epoch counts from 0, or initial_epoch),
  // as Keras's on_epoch_begin; a learning rate set here is the epoch's.
  virtual void on_epoch_begin(Sequential& /*model*/, int /*epoch*/) {}
  virtual void on_epoch_end(Sequential& /*model*/, int /*epoch*/, const Logs& /*logs*/) {}
  // Called at progress refreshes (a few times a second), not every step:
  // reading running metrics means a host wait on the device, which fit
  // keeps rare. When any callback of the fit answers true to
  // wants_batch_logs(), it is called after every step instead (for every
  // callback), with the epoch's running "loss" and "accuracy", as Keras's
  // on_train_batch_end is.
  virtual void on_batch_end(Sequential& /*model*/, int /*batch*/, const Logs& /*logs*/) {}
  // True asks fit for on_batch_end after every step, with logs. That costs
  // a host wait on the device and a metrics read per step (the step
  // pipeline drains each time), so only a callback that needs Keras's
  // per-batch semantics should ask (the Python bridge does when a Python
  // callback overrides a batch hook).
  virtual bool wants_batch_logs() const { return false; }
  // Called after every training step is launched, at the exact step
  // boundary (batch counts from 0 within the epoch). Unlike Keras it carries
  // no logs: they would cost a host wait on the device every step. The step
  // may still be running; what reads the model (save_checkpoint,
  // get_weights) waits for it, so do that only every so many steps.
  virtual void on_train_batch_end(Sequential& /*model*/, int /*batch*/) {}
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

// keras.callbacks.BackupAndRestore: survive an interruption. At fit start
// a backup in backup_dir is restored (Sequential::load_checkpoint) and
// training continues where it stopped; the backup is rewritten at each
// epoch end, or after every N training steps; it is deleted when fit
// completes (also when a callback stops it early). When fit ends through
// Sequential::request_stop() (Ctrl-C in the trainers) the backup is
// written at that step boundary instead, mid-epoch if need be. If fit
// throws, the last backup stays. A corrupt backup, one holding a NaN or an
// infinity (weights or optimizer state), or one of another model or fit,
// makes fit throw vknn::Error naming the file and what is wrong (the tensor
// and index of a non-finite value) and how to start over; the folder is
// left as it was, the backup never deleted.
struct SaveFreq {
  int steps = 0;  // 0: at each epoch end
  // Made by every_steps(): BackupAndRestore reads every_steps(0) as each
  // epoch, ModelCheckpoint refuses a count below 1.
  bool by_steps = false;
  static SaveFreq epoch() { return {}; }
  static SaveFreq every_steps(int n) { return {n, true}; }
};

class BackupAndRestore : public Callback {
 public:
  explicit BackupAndRestore(std::filesystem::path backup_dir, SaveFreq save_freq = SaveFreq::epoch());
  void on_train_begin(Sequential& model) override;
  void on_train_batch_end(Sequential& model, int batch) override;
  void on_epoch_end(Sequential& model, int epoch, const Logs& logs) override;
  void on_train_end(Sequential& model) override;

  // The backup file: backup_dir / "checkpoint.safetensors".
  std::filesystem::path checkpoint_path() const;
  bool restored() const { return restored_; }  // the last fit started from a backup
  int backups_written() const { return backups_written_; }

 private:
  void backup(Sequential& model);
  std::filesystem::path backup_dir_;
  SaveFreq save_freq_;
  int steps_since_backup_ = 0;
  bool restored_ = false;
  int backups_written_ = 0;
};

namespace io {
class EventFileWriter;
}

// keras.callbacks.TensorBoard(log_dir) for scalars, as Keras 2.x writes
// them at each epoch end: under log_dir/train the training logs as
// "epoch_<name>" ("epoch_loss", "epoch_accuracy"), under log_dir/validation
// the "val_" ones with the prefix dropped ("val_loss" -> "epoch_loss"), each
// a float at step = the epoch (0-based), in an events.out.tfevents.* file
// (docs/python.md has the format). Each fit writes new files (Keras closes
// its writers at train end). The train file is created at train begin, so
// a log_dir that cannot be written stops fit before its first step with a
// vknn::Error naming it; the validation file at the first validated epoch.
// Records are appended with one write(2) per epoch, so a killed process
// leaves whole records; nothing is fsynced.
class TensorBoard : public Callback {
 public:
  explicit TensorBoard(std::filesystem::path log_dir);
  ~TensorBoard() override;
  void on_train_begin(Sequential& model) override;
  void on_epoch_end(Sequential& model, int epoch, const Logs& logs) override;
  void on_train_end(Sequential& model) override;

  // The hooks' work without a model, for a caller with logs of its own
  // (the Python callback, whose logs hold what Python callbacks added).
  void begin();
  void write_epoch(int epoch, const Logs& logs);
  void end();

  const std::filesystem::path& log_dir() const { return log_dir_; }
  // The files of the current (or last) fit; empty until written.
  std::filesystem::path train_file() const { return train_file_; }
  std::filesystem::path validation_file() const { return validation_file_; }

 private:
  std::filesystem::path log_dir_;
  std::unique_ptr<io::EventFileWriter> train_;
  std::unique_ptr<io::EventFileWriter> validation_;
  std::filesystem::path train_file_;
  std::filesystem::path validation_file_;
};

// keras.callbacks.CSVLogger(filename, separator, append): one row per
// epoch: the column "epoch" (0-based) then the log keys sorted, fixed at the
// first epoch end; numbers as the shortest text that reads back to the same
// double; "NA" for a key missing from the epoch at which a callback stopped
// training (another missing key is a vknn::Error naming it); lines end in
// \r\n as Python's csv module writes them. append keeps what the file holds
// and writes the header only when it is empty. Unlike Keras, which keeps
// the file open, the whole file is rewritten atomically at each epoch end
// (io/atomic_file.hpp): a crash leaves the last epoch's whole file.
class CSVLogger : public Callback {
 public:
  explicit CSVLogger(std::filesystem::path filename, char separator = ',', bool append = false);
  void on_train_begin(Sequential& model) override;
  void on_epoch_end(Sequential& model, int epoch, const Logs& logs) override;

 private:
  std::filesystem::path filename_;
  char separator_;
  bool append_;
  std::vector<std::string> keys_;  // fixed at the first epoch end
  std::string content_;            // the file as it will be written
  bool header_needed_ = true;
};

// keras.callbacks.LearningRateScheduler: before each epoch the learning rate
// becomes schedule(epoch, current rate); a NaN, infinite or negative result
// is a vknn::Error naming the epoch and the value (Keras would train on).
// verbose 1 prints the new rate, as Keras does.
class LearningRateScheduler : public Callback {
 public:
  using Schedule = std::function<double(int epoch, double learning_rate)>;
  explicit LearningRateScheduler(Schedule schedule, int verbose = 0);
  void on_epoch_begin(Sequential& model, int epoch) override;

 private:
  Schedule schedule_;
  int verbose_;
};

// keras.callbacks.ReduceLROnPlateau with Keras's rules: an epoch improves
// when `monitor` is below best - min_delta (mode min, and automatic unless
// the name contains "acc") or above best + min_delta (max); after
// `patience` epochs without improvement, outside a cooldown, the rate
// becomes max(rate * factor, min_lr) if it is above min_lr, then `cooldown`
// epochs pass before waiting counts again. A monitor missing from the logs
// is a warning on stderr naming the keys there are, as in Keras.
struct ReduceLROnPlateauOptions {
  std::string monitor = "val_loss";
  double factor = 0.1;  // below 1
  int patience = 10;
  MonitorMode mode = MonitorMode::automatic;
  double min_delta = 1e-4;
  int cooldown = 0;
  double min_lr = 0.0;
  int verbose = 0;
};

class ReduceLROnPlateau : public Callback {
 public:
  explicit ReduceLROnPlateau(ReduceLROnPlateauOptions options = {});
  void on_train_begin(Sequential& model) override;
  void on_epoch_end(Sequential& model, int epoch, const Logs& logs) override;

 private:
  ReduceLROnPlateauOptions options_;
  bool maximize_ = false;
  double best_ = 0;
  int wait_ = 0;
  int cooldown_counter_ = 0;
};

// keras.callbacks.ModelCheckpoint(filepath, monitor, verbose,
// save_best_only, save_weights_only, mode, save_freq,
// initial_value_threshold), as vknn's Python one behaves.
//
// filepath may be a template, filled as Python's
// filepath.format(epoch=epoch + 1, **logs) (the epoch 1-based; with an
// integer save_freq also batch=batch + 1):
// "ckpt-{epoch:02d}-{val_loss:.2f}.safetensors". A field takes Python's
// format spec (d, e, f, g, %, width, fill, ...); epoch and batch are
// integers, a metric is a float. A
// malformed template, a positional field ({}), a spec its value's type does
// not take, {batch} with saves per epoch: a vknn::Error when constructed. A
// field the logs lack is a vknn::Error at the save, naming it and the keys
// there are; nothing is written.
//
// save_weights_only writes Sequential::save_weights (safetensors, whatever
// the extension); otherwise Sequential::save writes the whole model, so the
// filepath must end in ".keras" (refused when constructed, as Keras 3
// does). Both write atomically. A filepath that is an existing folder is
// a vknn::Error at the save.
//
// save_best_only: save only when `monitor` improves on the best so far
// (strictly below it for mode min, and for automatic unless the name
// contains "acc" or starts with "fmeasure"; strictly above for max),
// starting from initial_value_threshold (NaN: +-infinity); with a fixed
// filepath the file then always holds the best model. A monitor missing
// from the logs is a warning on stderr naming the keys there are, and no
// save, as in Keras. The best and the batch count carry over to a later
// fit, as in Keras.
//
// save_freq: SaveFreq::epoch() (at each epoch end) or
// SaveFreq::every_steps(N): after every Nth training batch, counted across
// epochs, with the epoch's running logs ("loss", "accuracy"). When a save
// needs those logs (a metric in the template, or save_best_only) the
// callback asks fit for them after every step (wants_batch_logs: a host
// wait on the device per step); otherwise it saves at the step boundary
// without them.
//
// verbose > 0 prints Keras 3's lines ("Epoch 3: val_loss improved from
// 0.41000 to 0.39000, saving model to ckpt.keras"). Data-parallel, only
// rank 0 writes and prints; every rank decides alike (the logs are the
// job's).
struct ModelCheckpointOptions {
  std::string monitor = "val_loss";
  int verbose = 0;
  bool save_best_only = false;
  bool save_weights_only = false;
  MonitorMode mode = MonitorMode::automatic;
  SaveFreq save_freq = SaveFreq::epoch();
  double initial_value_threshold = std::numeric_limits<double>::quiet_NaN();  // NaN: none
};

namespace model {
class PathTemplate;
}

class ModelCheckpoint : public Callback {
 public:
  explicit ModelCheckpoint(std::filesystem::path filepath, ModelCheckpointOptions options = {});
  ~ModelCheckpoint() override;
  void on_epoch_begin(Sequential& model, int epoch) override;
  void on_train_batch_end(Sequential& model, int batch) override;
  void on_batch_end(Sequential& model, int batch, const Logs& logs) override;
  bool wants_batch_logs() const override;
  void on_epoch_end(Sequential& model, int epoch, const Logs& logs) override;

  // The best monitored value so far (save_best_only), or the threshold.
  double best() const { return best_; }
  // The files written (every rank counts the saves rank 0 makes).
  const std::vector<std::filesystem::path>& saved() const { return saved_; }

 private:
  bool save_per_epoch() const { return !options_.save_freq.by_steps && options_.save_freq.steps == 0; }
  bool batch_is_due();
  void save(Sequential& model, int epoch, int batch, const Logs& logs);

  std::unique_ptr<model::PathTemplate> filepath_;
  ModelCheckpointOptions options_;
  bool maximize_ = false;
  bool needs_logs_ = false;  // a batch save needs the running logs
  double best_ = 0;
  int current_epoch_ = 0;
  std::int64_t batches_since_save_ = 0;
  std::vector<std::filesystem::path> saved_;
};

// A callback from plain functions (keras.callbacks.LambdaCallback).
class LambdaCallback : public Callback {
 public:
  std::function<void(Sequential&, int, const Logs&)> epoch_end;
  std::function<void(Sequential&, int, const Logs&)> batch_end;
  std::function<void(Sequential&, int)> train_batch_end;
  void on_epoch_end(Sequential& model, int epoch, const Logs& logs) override {
    if (epoch_end) epoch_end(model, epoch, logs);
  }
  void on_batch_end(Sequential& model, int batch, const Logs& logs) override {
    if (batch_end) batch_end(model, batch, logs);
  }
  void on_train_batch_end(Sequential& model, int batch) override {
    if (train_batch_end) train_batch_end(model, batch);
  }
};

}  // namespace vknn
