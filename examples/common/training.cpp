#include "common/training.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <system_error>

#include "common/device_flag.hpp"
#include "common/files.hpp"
#include "common/history_csv.hpp"
#include "vknn/distributed.hpp"
#include "vknn/error.hpp"
#include "vknn/model/sequential.hpp"
#include "vknn/model/stop_on_signals.hpp"

namespace vknn::examples {

namespace fs = std::filesystem;

namespace {

// A file the program will write at the end: fail now, not after training,
// if its folder is missing.
void require_writable_location(const FlagParser& flags, const std::string& flag) {
  const std::string& value = flags.get_string(flag);
  if (value.empty()) return;
  const fs::path path(value);
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw UsageError(flag, "'" + value + "' is a folder; give a file name");
  const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
  if (!fs::is_directory(folder, ec)) {
    throw UsageError(flag, "the folder '" + folder.string() + "' does not exist");
  }
}

// The samples to use of a split with `available`: all, or the first N of
// --limit / --test-limit (a usage error past the split's end).
std::int64_t limited_count(const FlagParser& flags, const std::string& flag,
                           const std::string& split, std::int64_t available) {
  const long long limit = flags.get_int(flag);
  if (limit <= 0) return available;
  if (limit > available) {
    throw UsageError(flag, "the " + split + " has " + std::to_string(available) +
                               " samples, got " + std::to_string(limit));
  }
  return limit;
}

Samples prefix(const data::LabeledImages& set, std::int64_t count) {
  const std::size_t bytes = std::size_t(count) * set.images.image_size();
  return {std::span(set.images.pixels.data(), bytes), count, {set.images.rows, set.images.cols, 1}};
}

// Says, when fit starts, whether it continues from a backup and from where.
class ResumeNotice : public Callback {
 public:
  explicit ResumeNotice(std::shared_ptr<BackupAndRestore> backup) : backup_(std::move(backup)) {}
  void on_train_begin(Sequential& model) override {
    if (!backup_->restored()) return;
    const TrainingPosition at = model.training_position();
    std::printf("Resuming from the backup %s: epoch %d, step %lld of %lld\n",
                backup_->checkpoint_path().string().c_str(), at.epoch + 1, (long long)at.step,
                (long long)at.steps_per_epoch);
    std::fflush(stdout);
  }

 private:
  std::shared_ptr<BackupAndRestore> backup_;
};

// After a stop by signal: what was kept and how to go on.
void report_stop(const Sequential& model, int signal, int epochs,
                 const std::shared_ptr<BackupAndRestore>& backup) {
  const TrainingPosition at = model.training_position();
  std::printf("\nTraining stopped by %s at epoch %d/%d, step %lld/%lld.\n", signal_name(signal),
              std::min(at.epoch + 1, epochs), epochs, (long long)at.step, (long long)at.steps_per_epoch);
  if (backup) {
    std::printf("The training state (weights, optimizer, position, history) is kept in %s.\n"
                "Run the same command again to resume from there.\n",
                backup->checkpoint_path().string().c_str());
  } else {
    std::printf("Nothing was kept. Run with --backup-dir DIR to be able to resume after an "
                "interruption.\n");
  }
  std::fflush(stdout);
}

}  // namespace

void add_training_flags(FlagParser& flags, const std::string& data_folder,
                        const TrainingDefaults& defaults) {
  flags.add_int("epochs", defaults.epochs, "passes over the training set", {.min = 0, .max = 100000});
  flags.add_int("batch-size", 32, "samples per training step", {.min = 1, .max = 1 << 20});
  flags.add_real("learning-rate", 0.001, "the optimizer's learning rate", {.min = 0, .max = 10, .min_exclusive = true});
  add_device_flag(flags);
  flags.add_string("data-dir", "",
                   "folder with the IDX files; without it, data/" + data_folder +
                       " found upwards from the\nexecutable or the current folder "
                       "(scripts/get_data.sh fetches it)" +
                       (data_folder == "fashion-mnist"
                            ? ", else Debian's\ndataset-fashion-mnist files in " +
                                  std::string(data::kDebianFashionMnistDir)
                            : std::string()),
                   {.allow_empty = false}, "DIR");
  flags.add_int("seed", 0, "seed of the weight initialisation and of the shuffles",
                {.min = 0});
  flags.add_real("target-accuracy", defaults.target_accuracy,
                 "stop once training accuracy passes this at an epoch end (0: never)",
                 {.min = 0, .max = 1});
  flags.add_string("save", "", "write the trained weights to this safetensors file", {.allow_empty = false}, "PATH");
  flags.add_string("load", "", "start from the weights in this safetensors file (as written by --save)",
                   {.allow_empty = false}, "PATH");
  flags.add_string("history", "",
                   "write per-epoch loss, accuracy, val_loss, val_accuracy to this CSV file", {.allow_empty = false},
                   "PATH");
  flags.add_string("checkpoint", "",
                   "save after each epoch to this path, a Keras template such as\n"
                   "ckpt-{epoch:02d}-{val_loss:.2f}.safetensors: the weights (safetensors), or the\n"
                   "whole model where it ends in .keras",
                   {.allow_empty = false}, "PATTERN");
  flags.add_bool("checkpoint-best", false,
                 "with --checkpoint: save only when val_loss (loss without --validation) improves");
  flags.add_string("backup-dir", "",
                   "keep a backup of the training state in this folder (at each epoch end, or\n"
                   "every --backup-every steps, and on Ctrl-C or SIGTERM); running the same command\n"
                   "again resumes from it, ending with the weights of an uninterrupted run;\n"
                   "deleted when training completes",
                   {.allow_empty = false}, "DIR");
  flags.add_int("backup-every", 0, "with --backup-dir: back up every N training steps (0: at each epoch end)",
                {.min = 0, .max = 1 << 30});
  flags.add_int("limit", 0, "train on the first N training samples (0: all)", {.min = 0});
  flags.add_int("test-limit", 0, "evaluate on the first N test samples (0: all)", {.min = 0});
  flags.add_bool("validation", false, "use the test set as validation data during fit");
  flags.add_int("verbose", 1, "0 silent, 1 progress bars, 2 one line per epoch", {.choices = {0, 1, 2}});
}

ReachedAccuracyCallback::ReachedAccuracyCallback(double threshold, std::string monitor, std::FILE* out)
    : stop_(monitor, threshold), threshold_(threshold), monitor_(std::move(monitor)), out_(out) {}

std::string ReachedAccuracyCallback::message(double threshold, const std::string& monitor) {
  char percent[32];
  std::snprintf(percent, sizeof percent, "%g", threshold * 100.0);
  return std::string("Reached ") + percent + "% " + monitor + " so cancelling training!";
}

void ReachedAccuracyCallback::on_epoch_end(Sequential& model, int epoch, const Logs& logs) {
  const bool before = stop_.triggered();
  stop_.on_epoch_end(model, epoch, logs);
  if (stop_.triggered() && !before && out_) {
    std::fprintf(out_, "\n%s\n", message(threshold_, monitor_).c_str());
    std::fflush(out_);
  }
}

namespace {

// --checkpoint and --checkpoint-best as a ModelCheckpoint (null without
// them); what it refuses is a usage error, found before any data is read.
std::shared_ptr<ModelCheckpoint> checkpoint_callback(const FlagParser& flags) {
  const std::string& pattern = flags.get_string("checkpoint");
  if (pattern.empty()) {
    if (flags.get_bool("checkpoint-best")) throw UsageError("checkpoint-best", "needs --checkpoint PATTERN");
    return nullptr;
  }
  if (flags.get_int("epochs") == 0) throw UsageError("checkpoint", "there is no training to checkpoint with --epochs 0");
  const bool validation = flags.get_bool("validation");
  if (!validation && pattern.find("{val_") != std::string::npos) {
    throw UsageError("checkpoint", "'" + pattern + "' names a validation metric, which needs --validation");
  }
  const fs::path folder = fs::path(pattern).parent_path();
  std::error_code ec;
  if (!folder.empty() && folder.string().find('{') == std::string::npos && !fs::is_directory(folder, ec)) {
    throw UsageError("checkpoint", "the folder '" + folder.string() + "' does not exist");
  }
  const bool whole_model = pattern.size() >= 6 && pattern.compare(pattern.size() - 6, 6, ".keras") == 0;
  try {
    return std::make_shared<ModelCheckpoint>(
        pattern, ModelCheckpointOptions{.monitor = validation ? "val_loss" : "loss",
                                        .verbose = flags.get_int("verbose") > 0 ? 1 : 0,
                                        .save_best_only = flags.get_bool("checkpoint-best"),
                                        .save_weights_only = !whole_model});
  } catch (const Error& e) {
    throw UsageError("checkpoint", e.what());
  }
}

// The course's flow, on one process or as one rank of a data-parallel job.
int train_and_evaluate(const FlagParser& flags, const TrainingProgram& program) {
  require_writable_location(flags, "save");
  require_writable_location(flags, "history");
  if (flags.get_int("epochs") == 0 && !flags.get_string("history").empty()) {
    throw UsageError("history", "there is no training history to write with --epochs 0");
  }
  if (flags.given("backup-every") && flags.get_string("backup-dir").empty()) {
    throw UsageError("backup-every", "needs --backup-dir DIR (the folder for the backup)");
  }
  const std::shared_ptr<ModelCheckpoint> checkpoint = checkpoint_callback(flags);
  if (const std::string& dir = flags.get_string("backup-dir"); !dir.empty()) {
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
      throw UsageError("backup-dir", "'" + dir + "' is a file; give a folder");
    }
  }
  if (const std::string& load = flags.get_string("load"); !load.empty()) {
    std::error_code ec;
    if (!fs::is_regular_file(load, ec)) {
      throw UsageError("load", "no file '" + load + "' (write one with --save PATH)");
    }
  }

  const fs::path data_dir = flags.given("data-dir") ? fs::path(flags.get_string("data-dir"))
                                                    : find_dataset_dir(program.data_folder);
  const data::DatasetSplits data = program.load(data_dir);

  const std::int64_t train_count =
      limited_count(flags, "limit", program.dataset_name + " training set", data.train.size());
  const std::int64_t test_count =
      limited_count(flags, "test-limit", program.dataset_name + " test set", data.test.size());
  const Samples train = prefix(data.train, train_count);
  const std::span<const std::uint8_t> train_labels(data.train.labels.data(), std::size_t(train_count));
  const Samples test = prefix(data.test, test_count);
  const std::span<const std::uint8_t> test_labels(data.test.labels.data(), std::size_t(test_count));

  const Target target = open_target(flags);
  Sequential model(program.layers);
  CompileOptions compile_options;
  compile_options.backend = target.backend;
  compile_options.context = target.context;
  compile_options.seed = std::uint64_t(flags.get_int("seed"));
  compile_options.loss = program.loss;
  model.compile(program.optimizer(float(flags.get_real("learning-rate"))), compile_options);

  const int verbose = int(flags.get_int("verbose"));
  std::printf("Device: %s\n", model.backend_description().c_str());
  std::printf("%s: %lld training and %lld test images of %dx%d, from %s\n\n",
              program.dataset_name.c_str(), (long long)train_count, (long long)test_count,
              data.train.images.rows, data.train.images.cols, data_dir.string().c_str());
  model.summary();
  if (const std::string& load = flags.get_string("load"); !load.empty()) {
    try {
      model.load_weights(load);
    } catch (const Error& e) {
      throw std::runtime_error(std::string(e.what()) +
                               "\n(were they saved from a model with other flags? --load needs the same "
                               "model flags as the --save run)");
    }
    std::printf("\nLoaded weights from %s\n", load.c_str());
  }

  const int epochs = int(flags.get_int("epochs"));
  if (epochs > 0) {
    FitOptions fit;
    fit.epochs = epochs;
    fit.batch_size = int(flags.get_int("batch-size"));
    fit.verbose = verbose;
    fit.seed = std::uint64_t(flags.get_int("seed"));
    if (flags.get_bool("validation")) fit.validation_data = ValidationData{test, test_labels};
    if (const double target_accuracy = flags.get_real("target-accuracy"); target_accuracy > 0) {
      fit.callbacks.push_back(std::make_shared<ReachedAccuracyCallback>(target_accuracy));
    }
    if (checkpoint) fit.callbacks.push_back(checkpoint);
    std::shared_ptr<BackupAndRestore> backup;
    if (const std::string& dir = flags.get_string("backup-dir"); !dir.empty()) {
      backup = std::make_shared<BackupAndRestore>(
          dir, SaveFreq::every_steps(int(flags.get_int("backup-every"))));
      // First: it restores the backup before the others start.
      fit.callbacks.insert(fit.callbacks.begin(), {backup, std::make_shared<ResumeNotice>(backup)});
    }
    std::printf("\nMODEL TRAINING:\n");
    std::fflush(stdout);
    History history;
    int stop_signal = 0;
    {
      const StopOnSignals stop_on_signals(
          model, {.signals = {SIGINT, SIGTERM}, .second_signal_exits = true});
      history = model.fit(train, train_labels, fit);
      stop_signal = stop_on_signals.received();
    }
    // A signal that came after the last step stopped nothing: training is
    // complete and the program goes on (the default handlers are back).
    if (history.interrupted && stop_signal != 0) {
      // The shell's convention: 128 + the signal (130 for SIGINT, 143 for SIGTERM).
      report_stop(model, stop_signal, epochs, backup);
      return 128 + stop_signal;
    }
    if (const std::string& path = flags.get_string("history"); !path.empty() && distributed::is_primary()) {
      write_history_csv(path, history);
      std::printf("Wrote the training history to %s\n", path.c_str());
    }
  }

  std::printf("\nMODEL EVALUATION:\n");
  std::fflush(stdout);
  EvaluateOptions evaluate;
  evaluate.batch_size = int(flags.get_int("batch-size"));
  evaluate.verbose = verbose;
  const Evaluation result = model.evaluate(test, test_labels, evaluate);
  std::printf("Test loss: %.4f - test accuracy: %.4f\n", result.loss, result.accuracy);

  if (const std::string& path = flags.get_string("save"); !path.empty() && distributed::is_primary()) {
    model.save_weights(path);
    std::printf("Saved the weights to %s\n", path.c_str());
  }
  return 0;
}

}  // namespace

int run_training(const FlagParser& flags, const TrainingProgram& program) {
  // Started by mpirun with several processes: one rank of a data-parallel
  // job (docs/distributed.md); otherwise nothing changes.
  const distributed::World& world = distributed::initialize();
  if (world.size == 1) return train_and_evaluate(flags, program);
  // Rank 0 prints and writes the files (fit keeps the others' progress bars
  // off too); the others stay quiet unless they fail.
  if (distributed::is_primary()) {
    std::printf("Data-parallel training on %d ranks (--batch-size is the global batch)\n", world.size);
  } else if (!std::freopen("/dev/null", "w", stdout)) {
    throw std::runtime_error("rank " + std::to_string(world.rank) + ": cannot silence its output");
  }
  try {
    return train_and_evaluate(flags, program);
  } catch (const std::exception& e) {
    // "rank N: error: ...", and every rank ends: the others may be waiting
    // for this one in a collective.
    distributed::abort_job(e.what());
  }
}

}  // namespace vknn::examples
