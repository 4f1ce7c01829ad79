// ModelCheckpoint in C++, with the rules of vknn's Python ModelCheckpoint
// (tests/python/test_keras_callbacks.py tests that one): which epochs and
// batches save, the names the templates give, the saved files' weights bit
// for bit, and every refusal. The templates' number formatting against
// Python's own outputs: path_template_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "model/training_support.hpp"
#include "support/error_text.hpp"
#include "support/temp_dir.hpp"
#include "vknn/error.hpp"
#include "vknn/model/callbacks.hpp"

namespace {

using namespace vknn;
using vknn_test::expect_error_mentions;
using vknn_test::on;
using vknn_test::synthetic_images;
using vknn_test::TempDir;
using vknn_test::weight_bytes;
namespace fs = std::filesystem;

class ModelCheckpointFit : public vknn_test::VulkanTest {};

constexpr int kSide = 8, kClasses = 4;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> files_in(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

Sequential compiled(BackendKind kind) {
  Sequential model(vknn_test::small_cnn(kSide, kClasses));
  model.compile(Adam(0.01f), on(kind));
  return model;
}

// The weights a model loads from a weights file, as bytes.
std::vector<std::uint8_t> weights_in(const fs::path& file) {
  Sequential loaded = compiled(BackendKind::cpu);
  loaded.load_weights(file);
  return weight_bytes(loaded);
}

// The model's weights moved to a new point: "epoch e" of a made-up run.
void move_weights(Sequential& model, int e) {
  auto weights = model.get_weights();
  for (auto& tensor : weights) {
    for (auto& w : tensor) w += 0.01f * float(e + 1);
  }
  model.set_weights(weights);
}

// Records the weights at every epoch end and step (after the callbacks
// before it in the list), and the logs of every batch-logs call.
class Recorder : public Callback {
 public:
  std::vector<std::vector<std::uint8_t>> epoch_weights;
  std::vector<std::vector<std::uint8_t>> step_weights;  // every step, across epochs
  std::vector<Logs> batch_logs;
  void on_epoch_end(Sequential& model, int, const Logs&) override { epoch_weights.push_back(weight_bytes(model)); }
  void on_train_batch_end(Sequential& model, int) override { step_weights.push_back(weight_bytes(model)); }
  void on_batch_end(Sequential&, int, const Logs& logs) override { batch_logs.push_back(logs); }
};

// A fit on the Vulkan backend of `samples` synthetic images with a
// ModelCheckpoint and, after it, a Recorder.
struct CheckpointedFit {
  Sequential model = compiled(BackendKind::vulkan);
  std::shared_ptr<ModelCheckpoint> checkpoint;
  std::shared_ptr<Recorder> recorder = std::make_shared<Recorder>();
  History history;
};

CheckpointedFit fit_checkpointed(const fs::path& filepath, const ModelCheckpointOptions& options,
                                 std::int64_t samples, FitOptions fit, bool validate = false) {
  const auto data = synthetic_images(samples, kSide, kClasses, 1);
  CheckpointedFit run;
  run.checkpoint = std::make_shared<ModelCheckpoint>(filepath, options);
  fit.callbacks = {run.checkpoint, run.recorder};
  fit.verbose = 0;
  if (validate) fit.validation_data = ValidationData{data.samples(), data.labels};
  run.history = run.model.fit(data.samples(), data.labels, fit);
  return run;
}

std::string printf_text(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

TEST(ModelCheckpoint, SaveBestOnlyWritesOnlyOnImprovementAndTheFileHoldsTheBestEpoch) {
  // Driven directly with a made-up "score" (min: auto for a name without
  // "acc"), as the Python test feeds one through a callback.
  TempDir dir;
  Sequential model = compiled(BackendKind::cpu);
  ModelCheckpoint best(dir / "best.safetensors",
                       {.monitor = "score", .save_best_only = true, .save_weights_only = true});
  ModelCheckpoint named(dir / "w-{epoch:02d}-{score:.2f}.safetensors",
                        {.monitor = "score", .save_best_only = true, .save_weights_only = true});
  const std::vector<double> course{0.5, 0.3, 0.4, 0.2, 0.25};
  std::vector<std::vector<std::uint8_t>> weights;
  std::vector<std::string> best_file;  // best.safetensors after each epoch
  for (int e = 0; e < 5; ++e) {
    move_weights(model, e);
    weights.push_back(weight_bytes(model));
    best.on_epoch_begin(model, e);
    named.on_epoch_begin(model, e);
    best.on_epoch_end(model, e, {{"loss", 1.0}, {"score", course[std::size_t(e)]}});
    named.on_epoch_end(model, e, {{"loss", 1.0}, {"score", course[std::size_t(e)]}});
    best_file.push_back(read_file(dir / "best.safetensors"));
  }
  // Only the improvements were written: epochs 1, 2 and 4 (1-based names).
  EXPECT_EQ(files_in(dir.path()), (std::vector<std::string>{"best.safetensors", "w-01-0.50.safetensors",
                                                            "w-02-0.30.safetensors", "w-04-0.20.safetensors"}));
  // The fixed file changed at epochs 1, 2 and 4 only.
  EXPECT_NE(best_file[1], best_file[0]);
  EXPECT_EQ(best_file[2], best_file[1]);
  EXPECT_NE(best_file[3], best_file[2]);
  EXPECT_EQ(best_file[4], best_file[3]);
  EXPECT_EQ(weights_in(dir / "best.safetensors"), weights[3]);  // the best epoch's weights
  EXPECT_NE(weights_in(dir / "best.safetensors"), weights[4]);
  EXPECT_EQ(weights_in(dir / "w-01-0.50.safetensors"), weights[0]);
  EXPECT_EQ(weights_in(dir / "w-02-0.30.safetensors"), weights[1]);
  EXPECT_EQ(best.best(), 0.2);
  EXPECT_EQ(best.saved().size(), 3u);
}

struct ModeCase {
  std::string monitor;
  MonitorMode mode;
  double threshold;
  std::vector<int> saved_epochs;  // 1-based
};

TEST(ModelCheckpoint, ModeMinMaxAndAutomaticAndTheInitialThreshold) {
  const double none = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> course{0.5, 0.3, 0.4, 0.6, 0.6, 0.1};
  const std::vector<ModeCase> cases{
      {"val_loss", MonitorMode::min, none, {1, 2, 6}},
      {"val_loss", MonitorMode::max, none, {1, 4}},  // equal is no improvement
      {"val_loss", MonitorMode::automatic, none, {1, 2, 6}},
      {"val_accuracy", MonitorMode::automatic, none, {1, 4}},
      {"my_acc_score", MonitorMode::automatic, none, {1, 4}},  // "acc" anywhere
      {"fmeasure_f1", MonitorMode::automatic, none, {1, 4}},
      {"f1_fmeasure", MonitorMode::automatic, none, {1, 2, 6}},  // only as a prefix
      {"val_loss", MonitorMode::min, 0.35, {2, 6}},
      {"val_accuracy", MonitorMode::automatic, 0.55, {4}},
      {"val_loss", MonitorMode::min, 0.05, {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.monitor + " threshold " + std::to_string(c.threshold));
    TempDir dir;
    Sequential model = compiled(BackendKind::cpu);
    ModelCheckpoint checkpoint(dir / "{epoch}.w", {.monitor = c.monitor, .save_best_only = true,
                                                   .save_weights_only = true, .mode = c.mode,
                                                   .initial_value_threshold = c.threshold});
    for (int e = 0; e < int(course.size()); ++e) {
      checkpoint.on_epoch_end(model, e, {{c.monitor, course[std::size_t(e)]}});
    }
    std::vector<std::string> expected;
    for (const int e : c.saved_epochs) expected.push_back(std::to_string(e) + ".w");
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(files_in(dir.path()), expected);
  }
}

TEST_F(ModelCheckpointFit, TemplatesNameEachEpochsFileWhichHoldsThatEpochsWeightsBitForBit) {
  TempDir dir;
  const CheckpointedFit run =
      fit_checkpointed(dir / "e{epoch:02d}-{loss:.4f}-{val_accuracy:.3f}.weights.safetensors",
                       {.save_weights_only = true}, 64, {.epochs = 2, .batch_size = 16}, true);
  const History& h = run.history;
  std::vector<std::string> expected;
  for (int e = 0; e < 2; ++e) {
    expected.push_back("e0" + std::to_string(e + 1) + "-" + printf_text("%.4f", h.history.at("loss")[e]) + "-" +
                       printf_text("%.3f", h.history.at("val_accuracy")[e]) + ".weights.safetensors");
  }
  ASSERT_EQ(files_in(dir.path()), expected);
  // Per-epoch saves ask for no per-step logs (no host wait per step).
  EXPECT_FALSE(run.checkpoint->wants_batch_logs());
  EXPECT_TRUE(run.recorder->batch_logs.size() < 8u);
  const auto& epoch_weights = run.recorder->epoch_weights;
  for (int e = 0; e < 2; ++e) EXPECT_EQ(weights_in(dir / expected[std::size_t(e)]), epoch_weights[e]);
  EXPECT_NE(epoch_weights[0], epoch_weights[1]);
}

TEST_F(ModelCheckpointFit, WholeModelsAreKerasFilesThatLoadWithTheEpochsWeights) {
  TempDir dir;
  CheckpointedFit run = fit_checkpointed(dir / "m-{epoch:02d}.keras", {.monitor = "loss"}, 48,
                                         {.epochs = 2, .batch_size = 16});
  ASSERT_EQ(files_in(dir.path()), (std::vector<std::string>{"m-01.keras", "m-02.keras"}));
  for (int e = 0; e < 2; ++e) {
    Sequential loaded = load_model(dir / ("m-0" + std::to_string(e + 1) + ".keras"), {.backend = BackendKind::cpu});
    EXPECT_EQ(weight_bytes(loaded), run.recorder->epoch_weights[e]) << "epoch " << e + 1;
  }
  // The last one is the model as fit left it, optimizer included.
  Sequential last = load_model(dir / "m-02.keras", {.backend = BackendKind::cpu});
  EXPECT_EQ(last.learning_rate(), run.model.learning_rate());
}

TEST_F(ModelCheckpointFit, AnIntegerSaveFreqSavesEveryNBatchesAcrossEpochs) {
  // 64 samples in batches of 8: 8 steps per epoch. Every 3 batches over 2
  // epochs, counted across them as Keras does, named by 1-based epoch and
  // batch: what the Python test expects of its ModelCheckpoint.
  TempDir dir;
  const CheckpointedFit run =
      fit_checkpointed(dir / "b{epoch}-{batch}.w", {.save_weights_only = true, .save_freq = SaveFreq::every_steps(3)},
                       64, {.epochs = 2, .batch_size = 8});
  EXPECT_EQ(files_in(dir.path()), (std::vector<std::string>{"b1-3.w", "b1-6.w", "b2-1.w", "b2-4.w", "b2-7.w"}));
  // A template without metrics needs no per-step logs.
  EXPECT_FALSE(run.checkpoint->wants_batch_logs());
  const auto& step_weights = run.recorder->step_weights;
  ASSERT_EQ(step_weights.size(), 16u);
  // Each file holds the weights after its step (steps 3, 6, 9, 12, 15).
  EXPECT_EQ(weights_in(dir / "b1-3.w"), step_weights[2]);
  EXPECT_EQ(weights_in(dir / "b1-6.w"), step_weights[5]);
  EXPECT_EQ(weights_in(dir / "b2-1.w"), step_weights[8]);
  EXPECT_EQ(weights_in(dir / "b2-7.w"), step_weights[14]);
  EXPECT_NE(weights_in(dir / "b2-7.w"), step_weights[15]);
}

TEST_F(ModelCheckpointFit, BatchSavesNamingAMetricUseTheEpochsRunningLogsOfThatStep) {
  // 40 samples in batches of 8: 5 steps, the last one whole.
  TempDir dir;
  const CheckpointedFit run = fit_checkpointed(
      dir / "b{batch}-{loss:.5f}.w", {.save_weights_only = true, .save_freq = SaveFreq::every_steps(2)}, 40,
      {.epochs = 1, .batch_size = 8});
  EXPECT_TRUE(run.checkpoint->wants_batch_logs());
  const auto& batch_logs = run.recorder->batch_logs;
  ASSERT_EQ(batch_logs.size(), 5u);  // every step, since the checkpoint asked
  std::vector<std::string> expected;
  for (const int step : {2, 4}) {
    expected.push_back("b" + std::to_string(step) + "-" +
                       printf_text("%.5f", batch_logs[std::size_t(step - 1)].at("loss")) + ".w");
  }
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(files_in(dir.path()), expected);
  EXPECT_EQ(weights_in(dir / expected[0]), run.recorder->step_weights[1]);
}

TEST(ModelCheckpoint, VerboseSpeaksKerasThreesLines) {
  TempDir dir;
  Sequential model = compiled(BackendKind::cpu);
  const fs::path file = dir / "best.w";
  ModelCheckpoint best(file, {.monitor = "val_loss", .verbose = 1, .save_best_only = true, .save_weights_only = true});
  testing::internal::CaptureStdout();
  best.on_epoch_end(model, 0, {{"val_loss", 0.41}});
  best.on_epoch_end(model, 1, {{"val_loss", 0.39}});
  best.on_epoch_end(model, 2, {{"val_loss", 0.5}});
  ModelCheckpoint every(dir / "e{epoch}.w", {.verbose = 1, .save_weights_only = true});
  every.on_epoch_end(model, 3, {{"val_loss", 0.5}});
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_EQ(out, "\nEpoch 1: val_loss improved from inf to 0.41000, saving model to " + file.string() +
                     "\n\nEpoch 2: val_loss improved from 0.41000 to 0.39000, saving model to " + file.string() +
                     "\n\nEpoch 3: val_loss did not improve from 0.39000\n"
                     "\nEpoch 4: saving model to " + (dir / "e4.w").string() + "\n");
}

TEST(ModelCheckpoint, AMissingMonitorWarnsAndSkipsAsKerasDoes) {
  TempDir dir;
  Sequential model = compiled(BackendKind::cpu);
  ModelCheckpoint best(dir / "best.w", {.save_best_only = true, .save_weights_only = true});
  testing::internal::CaptureStderr();
  best.on_epoch_end(model, 0, {{"accuracy", 0.5}, {"loss", 1.0}});
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("Can save best model only with val_loss available, skipping (available: accuracy, loss)"),
            std::string::npos) << err;
  EXPECT_TRUE(files_in(dir.path()).empty());
}

TEST(ModelCheckpoint, ATemplateFieldTheLogsLackStopsFitNamingItAndTheKeysThere) {
  TempDir dir;
  const auto data = synthetic_images(32, kSide, kClasses, 1);
  Sequential model = compiled(BackendKind::cpu);
  auto checkpoint = std::make_shared<ModelCheckpoint>(dir / "w-{val_loss:.2f}.w",
                                                      ModelCheckpointOptions{.save_weights_only = true});
  expect_error_mentions(
      [&] { model.fit(data.samples(), data.labels, {.epochs = 3, .callbacks = {checkpoint}, .verbose = 0}); },
      {"Failed to format this callback filepath", "the logs have no 'val_loss'",
       "available keys: epoch, accuracy, loss", "(ModelCheckpoint, epoch 1)"});
  EXPECT_TRUE(files_in(dir.path()).empty());
}

TEST(ModelCheckpoint, RefusesBadTemplatesSpecsModesAndSaveFreqsWhenConstructed) {
  const auto refused = [](const std::string& path, ModelCheckpointOptions o,
                          std::vector<std::string> fragments) {
    SCOPED_TRACE(path);
    expect_error_mentions([&] { ModelCheckpoint c(path, o); }, fragments);
  };
  const ModelCheckpointOptions weights{.save_weights_only = true};
  refused("w-{epoch", weights, {"not a valid template (expected '}' before end of string)", "{{ and }}"});
  refused("w-}.w", weights, {"Single '}' encountered in format string"});
  refused("w-{.w{", weights, {"expected '}' before end of string"});
  refused("w-{}.w", weights, {"has a positional field {}", "name a key, e.g. {epoch:02d}"});
  refused("w-{0}.w", weights, {"has a positional field {0}"});
  refused("w-{loss!r}.w", weights, {"the conversion in {loss!r} is not supported"});
  refused("w-{loss.real}.w", weights, {"attribute or index access in {loss.real}"});
  refused("w-{loss:.{p}f}.w", weights, {"a nested field in the format spec of {loss:.{p}f}"});
  refused("w-{epoch:.2d}.w", weights, {"{epoch:.2d} is not valid for an integer",
                                       "Precision not allowed in integer format specifier"});
  refused("w-{val_loss:d}.w", weights, {"{val_loss:d} is not valid for a float (a logged metric)",
                                        "Unknown format code 'd' for object of type 'float'"});
  refused("w-{loss:.2fx}.w", weights, {"Invalid format specifier '.2fx' for object of type 'float'"});
  refused("w-{loss:.}.w", weights, {"Format specifier missing precision"});
  refused("w-{batch}.w", weights, {"names {batch}", "SaveFreq::every_steps(N)"});
  refused("w.w", {.save_weights_only = true, .save_freq = SaveFreq::every_steps(0)},
          {"Unrecognized save_freq: 0", "N >= 1"});
  refused("w.w", {.save_weights_only = true, .save_freq = SaveFreq::every_steps(-2)}, {"Unrecognized save_freq: -2"});
  refused("w.w", {.save_weights_only = true, .save_freq = {.steps = -1}}, {"Unrecognized save_freq: -1"});
  refused("w.w", {.save_weights_only = true, .mode = MonitorMode(7)}, {"mode must be MonitorMode::automatic"});
  refused("w.w", {.monitor = "", .save_weights_only = true}, {"monitor must name a metric"});
  refused("", weights, {"filepath must not be empty"});
  // The whole model is a '.keras' file, as Keras 3 requires.
  refused("m.h5", {}, {"must end in `.keras`", "Received: filepath=m.h5", "save_weights_only"});
  refused("m-{epoch}.keras.tmp", {}, {"must end in `.keras`"});
  // {batch} is fine with batch saves, as is a spec Python takes.
  ModelCheckpoint fine("m-{epoch:03d}-{batch:>4}-{loss:+.3e}-{accuracy:.1%}.keras",
                       {.save_freq = SaveFreq::every_steps(5)});
  EXPECT_TRUE(fine.wants_batch_logs());
}

TEST(ModelCheckpoint, APathTheSaveCannotHonourIsAnErrorNamingIt) {
  TempDir dir;
  Sequential model = compiled(BackendKind::cpu);
  fs::create_directories(dir / "e1.w");
  ModelCheckpoint into_folder(dir / "e{epoch}.w", {.save_weights_only = true});
  expect_error_mentions([&] { into_folder.on_epoch_end(model, 0, {{"loss", 1.0}}); },
                        {"Please specify a non-directory filepath for ModelCheckpoint",
                         "existing directory: " + (dir / "e1.w").string()});
  ModelCheckpoint nowhere(dir / "no-such-folder" / "w.w", {.save_weights_only = true});
  expect_error_mentions([&] { nowhere.on_epoch_end(model, 2, {{"loss", 1.0}}); },
                        {"ModelCheckpoint: cannot save epoch 3 to " + (dir / "no-such-folder" / "w.w").string()});
  ModelCheckpoint whole(dir / "m-{loss}.keras");
  whole.on_epoch_end(model, 0, {{"loss", 0.25}});
  EXPECT_TRUE(fs::exists(dir / "m-0.25.keras"));  // a float without a spec is Python's repr
  EXPECT_EQ(files_in(dir.path()), (std::vector<std::string>{"e1.w", "m-0.25.keras"}));  // no temporary files left
}

}  // namespace
