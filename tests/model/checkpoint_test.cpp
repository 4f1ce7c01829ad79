// Checkpoints: a fit stopped anywhere (between epochs, mid-epoch, after an
// epoch's last step), saved, loaded into a fresh model and continued ends
// with exactly the bytes of an uninterrupted fit, on both backends and
// optimizers; bad checkpoints are refused with a message naming the
// problem and leave the model as it was; BackupAndRestore resumes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <fstream>

#include "io/safetensors.hpp"
#include "model/training_support.hpp"
#include "support/error_text.hpp"
#include "support/temp_dir.hpp"
#include "vknn/error.hpp"

namespace {

using namespace vknn;
using vknn_test::expect_error_mentions;
using vknn_test::on;
using vknn_test::synthetic_images;
using vknn_test::TempDir;
namespace fs = std::filesystem;

class Checkpoints : public vknn_test::VulkanTest {};

// 200 samples in batches of 32: 7 steps an epoch, the last one partial.
constexpr int kSamples = 200, kBatch = 32, kStepsPerEpoch = 7, kEpochs = 3;

const vknn_test::SyntheticImages& data() {
  static const auto d = synthetic_images(kSamples, 8, 4, 11);
  return d;
}

FitOptions fit_options(int epochs = kEpochs) {
  return {.epochs = epochs, .batch_size = kBatch, .verbose = 0, .seed = 5};
}

Sequential compiled(BackendKind kind, const Optimizer& optimizer, std::uint64_t seed = 7) {
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(optimizer, on(kind, seed));
  return model;
}

using vknn_test::weight_bytes;

// A callback that asks fit to stop before step `step` of epoch `epoch`.
std::shared_ptr<LambdaCallback> stop_before(int epoch, int step) {
  auto callback = std::make_shared<LambdaCallback>();
  auto current_epoch = std::make_shared<int>(0);
  callback->epoch_end = [=](Sequential& model, int e, const Logs&) {
    *current_epoch = e + 1;
    if (*current_epoch == epoch && step == 0) model.request_stop();
  };
  callback->train_batch_end = [=](Sequential& model, int batch) {
    if (*current_epoch == epoch && batch + 1 == step) model.request_stop();
  };
  return callback;
}

struct TrainingRun {
  std::vector<std::uint8_t> weights;
  History history;
};

TrainingRun straight(BackendKind kind, const Optimizer& optimizer) {
  Sequential model = compiled(kind, optimizer);
  TrainingRun run;
  run.history = model.fit(data().samples(), data().labels, fit_options());
  run.weights = weight_bytes(model);
  return run;
}

// Stops the fit at (epoch, step), saves, continues in a fresh model (whose
// own initial weights differ: compile seed 99) loaded from the checkpoint.
TrainingRun interrupted_and_resumed(BackendKind kind, const Optimizer& optimizer, int epoch, int step,
                            const fs::path& file) {
  {
    Sequential first = compiled(kind, optimizer);
    FitOptions f = fit_options();
    f.callbacks.push_back(stop_before(epoch, step));
    const History h = first.fit(data().samples(), data().labels, f);
    EXPECT_TRUE(h.interrupted);
    EXPECT_EQ(first.training_position().epoch, epoch);
    EXPECT_EQ(first.training_position().step, step);
    EXPECT_EQ(first.training_position().steps_per_epoch, kStepsPerEpoch);
    first.save_checkpoint(file);
  }
  Sequential second = compiled(kind, optimizer, 99);
  second.load_checkpoint(file);
  TrainingRun run;
  run.history = second.fit(data().samples(), data().labels, fit_options());
  run.weights = weight_bytes(second);
  return run;
}

void expect_same_run(const TrainingRun& a, const TrainingRun& b) {
  EXPECT_TRUE(a.weights == b.weights) << "the weights differ";
  EXPECT_EQ(a.history.epoch, b.history.epoch);
  EXPECT_EQ(a.history.history, b.history.history);  // exact: the totals continue bit for bit
}

TEST_F(Checkpoints, ContinuingIsBitForBitOnEveryBackendAndOptimizer) {
  struct Case {
    BackendKind kind;
    Optimizer optimizer;
    const char* name;
  };
  const Case cases[] = {{BackendKind::vulkan, Adam(0.01f), "vulkan adam"},
                        {BackendKind::vulkan, SGD(0.05f, 0.9f), "vulkan sgd+momentum"},
                        {BackendKind::vulkan, RMSprop(0.003f, 0.9f, 0.5f), "vulkan rmsprop+momentum"},
                        {BackendKind::cpu, Adam(0.01f), "cpu adam"}};
  // (epoch, step) where the first fit stops: between epochs, mid-epoch,
  // after an epoch's last (partial) step but before its epoch end.
  const std::pair<int, int> stops[] = {{1, 0}, {1, 3}, {0, kStepsPerEpoch}};
  for (const auto& c : cases) {
    const TrainingRun reference = straight(c.kind, c.optimizer);
    for (const auto& [epoch, step] : stops) {
      SCOPED_TRACE(std::string(c.name) + " stopped at epoch " + std::to_string(epoch) + " step " +
                   std::to_string(step));
      TempDir dir;
      expect_same_run(reference, interrupted_and_resumed(c.kind, c.optimizer, epoch, step,
                                                         dir / "run.safetensors"));
    }
  }
}

TEST_F(Checkpoints, AfterACompletedFitTheNextFitContinuesWithMoreEpochs) {
  // Keras's way: fit(epochs=1), checkpoint, then fit(epochs=3) on the
  // loaded model runs epochs 2 and 3 only.
  const TrainingRun reference = straight(BackendKind::vulkan, Adam(0.01f));
  TempDir dir;
  {
    Sequential first = compiled(BackendKind::vulkan, Adam(0.01f));
    first.fit(data().samples(), data().labels, fit_options(1));
    first.save_checkpoint(dir / "one_epoch.safetensors");
  }
  Sequential second = compiled(BackendKind::vulkan, Adam(0.01f), 99);
  second.load_checkpoint(dir / "one_epoch.safetensors");
  TrainingRun resumed;
  resumed.history = second.fit(data().samples(), data().labels, fit_options());
  resumed.weights = weight_bytes(second);
  expect_same_run(reference, resumed);
}

TEST_F(Checkpoints, HoldsTheTrainingStateUnderClearNames) {
  TempDir dir;
  Sequential model = compiled(BackendKind::cpu, Adam(0.01f));
  FitOptions f = fit_options();
  f.callbacks.push_back(stop_before(1, 2));
  model.fit(data().samples(), data().labels, f);
  model.set_learning_rate(0.0025f);
  model.save_checkpoint(dir / "c.safetensors");
  const io::WeightsFile file = io::load_safetensors(dir / "c.safetensors");
  for (const char* name : {"conv2d/kernel", "dense_1/bias", "optimizer/adam/m/conv2d/kernel",
                           "optimizer/adam/v/dense_1/bias"}) {
    EXPECT_NE(file.find(name), nullptr) << name;
  }
  std::map<std::string, std::string> meta(file.metadata.begin(), file.metadata.end());
  EXPECT_EQ(meta["vknn.checkpoint"], "1");
  EXPECT_EQ(meta["optimizer.iterations"], std::to_string(kStepsPerEpoch + 2));
  EXPECT_EQ(meta["optimizer.learning_rate"], "0.00249999994");
  EXPECT_EQ(meta["progress.epoch"], "1");
  EXPECT_EQ(meta["progress.step"], "2");
  EXPECT_EQ(meta["fit.seed"], "5");
  EXPECT_EQ(meta["fit.batch_size"], "32");
  EXPECT_EQ(meta["fit.samples"], "200");
  EXPECT_EQ(meta["history.epochs"], "0");
  EXPECT_EQ(meta.count("history.loss"), 1u);

  Sequential loaded = compiled(BackendKind::cpu, Adam(0.01f), 99);
  loaded.load_checkpoint(dir / "c.safetensors");
  EXPECT_EQ(loaded.learning_rate(), 0.0025f);
  EXPECT_TRUE(weight_bytes(loaded) == weight_bytes(model));
  EXPECT_EQ(loaded.training_position().epoch, 1);
  EXPECT_EQ(loaded.training_position().step, 2);
}

// Rewrites a checkpoint with its metadata changed by `edit`.
void rewrite(const fs::path& path, const std::function<void(io::Metadata&)>& edit) {
  io::WeightsFile file = io::load_safetensors(path);
  io::Metadata metadata;
  for (auto& pair : file.metadata) {
    if (pair.first != "format") metadata.push_back(pair);  // the writer sets it
  }
  edit(metadata);
  io::save_safetensors(path, file.tensors, metadata);
}

void set(io::Metadata& metadata, const std::string& key, const std::string& value) {
  for (auto& pair : metadata) {
    if (pair.first == key) {
      pair.second = value;
      return;
    }
  }
  metadata.emplace_back(key, value);
}

std::vector<std::uint8_t> file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

// Rewrites a checkpoint with one value of one tensor replaced.
void set_value(const fs::path& path, const std::string& tensor, std::size_t index, float value) {
  io::WeightsFile file = io::load_safetensors(path);
  io::Metadata metadata;
  for (auto& pair : file.metadata) {
    if (pair.first != "format") metadata.push_back(pair);
  }
  bool found = false;
  for (auto& t : file.tensors) {
    if (t.name == tensor) {
      t.values.at(index) = value;
      found = true;
    }
  }
  ASSERT_TRUE(found) << path << " has no tensor " << tensor;
  io::save_safetensors(path, file.tensors, metadata);
}

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

TEST_F(Checkpoints, BadCheckpointsAreRefusedByNameAndChangeNothing) {
  TempDir dir;
  const fs::path good = dir / "good.safetensors";
  {
    Sequential model = compiled(BackendKind::cpu, Adam(0.01f));
    FitOptions f = fit_options();
    f.callbacks.push_back(stop_before(1, 3));
    model.fit(data().samples(), data().labels, f);
    model.save_checkpoint(good);
    model.save_weights(dir / "weights.safetensors");
  }
  const auto good_bytes = file_bytes(good);
  struct Case {
    std::string name;
    std::function<void(const fs::path&)> make;
    std::vector<std::string> fragments;
  };
  auto poisoned = [&](const std::string& tensor, std::size_t index, float value) {
    return [=](const fs::path& path) {
      write_bytes(path, good_bytes);
      set_value(path, tensor, index, value);
    };
  };
  auto edited = [&](std::function<void(io::Metadata&)> edit) {
    return [=](const fs::path& path) {
      write_bytes(path, good_bytes);
      rewrite(path, edit);
    };
  };
  const Case cases[] = {
      {"truncated", [&](const fs::path& p) {
         write_bytes(p, {good_bytes.begin(), good_bytes.end() - 100});
       }, {"truncated"}},
      {"corrupt header", [&](const fs::path& p) {
         auto bytes = good_bytes;
         bytes[8] = '[';  // the header is a JSON object
         write_bytes(p, bytes);
       }, {"JSON"}},
      {"weights file", [&](const fs::path& p) { fs::copy_file(dir / "weights.safetensors", p); },
       {"is not a vknn checkpoint", "load_weights"}},
      {"newer version", edited([](auto& m) { set(m, "vknn.checkpoint", "2"); }),
       {"format version '2'", "newer vknn"}},
      {"unknown key", edited([](auto& m) { set(m, "progress.rng", "1"); }),
       {"\"progress.rng\"", "does not have"}},
      {"missing key", edited([](auto& m) {
         std::erase_if(m, [](const auto& pair) { return pair.first == "optimizer.iterations"; });
       }), {"\"optimizer.iterations\" is missing"}},
      {"bad number", edited([](auto& m) { set(m, "progress.step", "3x"); }),
       {"\"progress.step\"", "'3x'"}},
      {"step beyond the epoch", edited([](auto& m) { set(m, "progress.step", "8"); }),
       {"\"progress.step\"", "beyond the 7 steps"}},
      {"totals of other steps", edited([](auto& m) { set(m, "progress.step", "2"); }),
       {"\"progress.totals\"", "expected 64 samples"}},
      {"NaN in the weighted totals", edited([](auto& m) {
         for (auto& [key, value] : m) {
           if (key == "progress.totals") value.replace(36, 8, "7fc00000");  // word 5: weighted correct
         }
       }), {"\"progress.totals\"", "sample-weight sums that are not finite"}},
      {"totals of three words", edited([](auto& m) { set(m, "progress.totals", "00000000 00000000 00000000"); }),
       {"\"progress.totals\"", "must be 8 (or, from older backups, 4) hexadecimal words"}},
      {"history too short", edited([](auto& m) { set(m, "history.loss", ""); }),
       {"\"history.loss\"", "0 values for 1 epochs"}},
      {"infinite learning rate", edited([](auto& m) { set(m, "optimizer.learning_rate", "inf"); }),
       {"\"optimizer.learning_rate\"", "finite"}},
      // Tensors are checked as load_weights checks weights: dense/kernel is
      // (36, 16), so flat index 21 is (1, 5).
      {"NaN in a weight", poisoned("dense/kernel", 21, kNaN),
       {"tensor 'dense/kernel': value 21 at index (1, 5) of shape (36, 16) is NaN "
        "(1 of 576 values are not finite)", "weights and optimizer state must be finite",
        "resume from an earlier checkpoint or train from the start"}},
      {"Inf in an Adam moment", poisoned("optimizer/adam/v/dense/kernel", 7, kInf),
       {"tensor 'optimizer/adam/v/dense/kernel': value 7 at index (0, 7) of shape (36, 16) is +Inf"}},
      {"-Inf in an Adam moment", poisoned("optimizer/adam/m/conv2d/bias", 2, -kInf),
       {"tensor 'optimizer/adam/m/conv2d/bias': value 2 at index (2) of shape (4) is -Inf"}},
  };
  Sequential model = compiled(BackendKind::cpu, Adam(0.01f), 3);
  const auto before = weight_bytes(model);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const fs::path path = dir / (c.name + ".safetensors");
    c.make(path);
    auto fragments = c.fragments;
    fragments.push_back(path.string());
    expect_error_mentions([&] { model.load_checkpoint(path); }, fragments);
    EXPECT_TRUE(weight_bytes(model) == before);
  }
  // A refused load leaves no resume point: this fit starts at epoch 0.
  const History h = model.fit(data().samples(), data().labels, fit_options(1));
  EXPECT_EQ(h.epoch, std::vector<int>{0});
}

// A weighted fit's checkpoint holds the weighted accuracy's running sums
// too, so it resumes bit for bit as well; and a backup written before
// those sums existed (four totals words) still loads and resumes.
TEST_F(Checkpoints, WeightedFitsResumeAndOlderTotalsStillLoad) {
  TempDir dir;
  FitOptions weighted = fit_options();
  weighted.class_weight = {{0, 0.5}, {3, 2.0}};
  Sequential whole = compiled(BackendKind::vulkan, Adam(0.01f));
  const History whole_history = whole.fit(data().samples(), data().labels, weighted);
  {
    Sequential first = compiled(BackendKind::vulkan, Adam(0.01f));
    FitOptions f = weighted;
    f.callbacks.push_back(stop_before(1, 3));
    first.fit(data().samples(), data().labels, f);
    first.save_checkpoint(dir / "weighted.safetensors");
  }
  Sequential second = compiled(BackendKind::vulkan, Adam(0.01f), 99);
  second.load_checkpoint(dir / "weighted.safetensors");
  const History resumed = second.fit(data().samples(), data().labels, weighted);
  EXPECT_TRUE(weight_bytes(second) == weight_bytes(whole));
  EXPECT_EQ(resumed.history, whole_history.history);

  // Unweighted, the last four words are zero; an older backup lacks them.
  {
    Sequential first = compiled(BackendKind::vulkan, Adam(0.01f));
    FitOptions f = fit_options();
    f.callbacks.push_back(stop_before(1, 3));
    first.fit(data().samples(), data().labels, f);
    first.save_checkpoint(dir / "new.safetensors");
  }
  fs::copy_file(dir / "new.safetensors", dir / "old.safetensors");
  rewrite(dir / "old.safetensors", [](io::Metadata& m) {
    for (auto& [key, value] : m) {
      if (key != "progress.totals") continue;
      ASSERT_EQ(value.size(), 8u * 9 - 1) << value;
      ASSERT_EQ(value.substr(36), "00000000 00000000 00000000 00000000");
      value.resize(35);
    }
  });
  TrainingRun runs[2];
  int i = 0;
  for (const char* name : {"new.safetensors", "old.safetensors"}) {
    Sequential model = compiled(BackendKind::vulkan, Adam(0.01f), 99);
    model.load_checkpoint(dir / name);
    runs[i].history = model.fit(data().samples(), data().labels, fit_options());
    runs[i++].weights = weight_bytes(model);
  }
  expect_same_run(runs[0], runs[1]);
}

TEST_F(Checkpoints, AnotherModelOptimizerOrFitIsRefused) {
  TempDir dir;
  const fs::path file = dir / "c.safetensors";
  Sequential model = compiled(BackendKind::cpu, Adam(0.01f));
  model.fit(data().samples(), data().labels, fit_options(1));
  model.save_checkpoint(file);

  Sequential wider({Conv2D(8, {3, 3}, Activation::relu, Shape{8, 8, 1}), MaxPooling2D(2, 2),
                    Flatten(), Dense(16, Activation::relu), Dense(4, Activation::softmax)});
  wider.compile(Adam(0.01f), on(BackendKind::cpu));
  expect_error_mentions([&] { wider.load_checkpoint(file); },
                        {file.string(), "another architecture", "conv2d Conv2D (6, 6, 4)",
                         "conv2d Conv2D (6, 6, 8)"});

  Sequential sgd = compiled(BackendKind::cpu, SGD(0.01f, 0.9f));
  expect_error_mentions([&] { sgd.load_checkpoint(file); },
                        {"optimizer adam(beta_1=0.899999976", "compiled with sgd(momentum=0.899999976)"});

  Sequential resumed = compiled(BackendKind::cpu, Adam(0.01f));
  resumed.load_checkpoint(file);
  FitOptions other = fit_options();
  other.batch_size = 16;
  expect_error_mentions([&] { resumed.fit(data().samples(), data().labels, other); },
                        {file.string(), "batch size 32 over 200 samples, shuffled with seed 5",
                         "this fit has batch size 16"});
  // The resume point stays for a fit with the right options.
  EXPECT_EQ(resumed.fit(data().samples(), data().labels, fit_options(2)).epoch, (std::vector<int>{0, 1}));
}

// The augmentation decides every step's pictures: a checkpoint names it and
// a fit with other settings (or none) does not continue it.
TEST_F(Checkpoints, AFitWithOtherAugmentationIsRefusedAndTheSameResumes) {
  TempDir dir;
  const fs::path file = dir / "augmented.safetensors";
  const Augmentation flips{.horizontal_flip = true, .seed = 4};
  FitOptions augmented = fit_options(1);
  augmented.augmentation = flips;
  Sequential model = compiled(BackendKind::cpu, Adam(0.01f));
  model.fit(data().samples(), data().labels, augmented);
  model.save_checkpoint(file);

  Sequential plain = compiled(BackendKind::cpu, Adam(0.01f));
  plain.load_checkpoint(file);
  expect_error_mentions([&] { plain.fit(data().samples(), data().labels, fit_options(2)); },
                        {file.string(), "augmented with rotation_range 0", "horizontal_flip on",
                         "seed 4", "shuffle, seed and augmentation"});
  FitOptions reseeded = fit_options(2);
  reseeded.augmentation = Augmentation{.horizontal_flip = true, .seed = 5};
  expect_error_mentions([&] { plain.fit(data().samples(), data().labels, reseeded); },
                        {"this fit has batch size 32 over 200 samples, shuffled with seed 5, augmented",
                         "seed 5"});
  FitOptions same = fit_options(2);
  same.augmentation = flips;
  EXPECT_EQ(plain.fit(data().samples(), data().labels, same).epoch, (std::vector<int>{0, 1}));
}

// initial_epoch: fit(1 epoch) then fit(3, initial_epoch=1) is fit(3 epochs),
// bit for bit (each epoch shuffles by its own number, Adam's step count
// continues), and a checkpoint of such a fit resumes.
TEST_F(Checkpoints, InitialEpochContinuesAsOneFitAndItsCheckpointsResume) {
  const TrainingRun reference = straight(BackendKind::cpu, Adam(0.01f));
  Sequential model = compiled(BackendKind::cpu, Adam(0.01f));
  model.fit(data().samples(), data().labels, fit_options(1));
  FitOptions later = fit_options(kEpochs);
  later.initial_epoch = 1;
  const History h = model.fit(data().samples(), data().labels, later);
  EXPECT_EQ(h.epoch, (std::vector<int>{1, 2}));
  EXPECT_TRUE(weight_bytes(model) == reference.weights) << "the weights differ";
  for (const auto& [metric, values] : reference.history.history) {
    EXPECT_EQ(h.history.at(metric), (std::vector<double>(values.begin() + 1, values.end()))) << metric;
  }
  // initial_epoch at or past epochs: nothing runs, as in Keras.
  later.initial_epoch = kEpochs;
  EXPECT_TRUE(model.fit(data().samples(), data().labels, later).epoch.empty());
  EXPECT_TRUE(weight_bytes(model) == reference.weights);
  later.initial_epoch = -1;
  expect_error_mentions([&] { model.fit(data().samples(), data().labels, later); },
                        {"initial_epoch must be >= 0, got -1"});

  // Stopped mid-epoch 2 of a fit that began at epoch 1, saved, resumed.
  TempDir dir;
  {
    Sequential first = compiled(BackendKind::cpu, Adam(0.01f));
    first.fit(data().samples(), data().labels, fit_options(1));
    FitOptions f = fit_options(kEpochs);
    f.initial_epoch = 1;
    f.callbacks.push_back(stop_before(2, 3));
    EXPECT_TRUE(first.fit(data().samples(), data().labels, f).interrupted);
    first.save_checkpoint(dir / "c.safetensors");
  }
  Sequential second = compiled(BackendKind::cpu, Adam(0.01f), 99);
  second.load_checkpoint(dir / "c.safetensors");
  const History resumed = second.fit(data().samples(), data().labels, fit_options(kEpochs));
  EXPECT_EQ(resumed.epoch, (std::vector<int>{1, 2}));
  EXPECT_TRUE(weight_bytes(second) == reference.weights) << "the resumed weights differ";
}

// BackupAndRestore -----------------------------------------------------------

TEST_F(Checkpoints, BackupAndRestoreResumesAnInterruptedFitAndDeletesTheBackupAtTheEnd) {
  const TrainingRun reference = straight(BackendKind::vulkan, Adam(0.01f));
  for (const SaveFreq freq : {SaveFreq::epoch(), SaveFreq::every_steps(4)}) {
    SCOPED_TRACE("save every " + std::to_string(freq.steps) + " steps (0: epoch)");
    TempDir dir;
    const fs::path backup_dir = dir / "backup";
    {
      Sequential first = compiled(BackendKind::vulkan, Adam(0.01f));
      auto backup = std::make_shared<BackupAndRestore>(backup_dir, freq);
      FitOptions f = fit_options();
      f.callbacks = {backup, stop_before(1, 5)};
      EXPECT_TRUE(first.fit(data().samples(), data().labels, f).interrupted);
      EXPECT_FALSE(backup->restored());
      // Every epoch end or 4th step, plus the interruption's own backup.
      EXPECT_EQ(backup->backups_written(), freq.steps == 0 ? 2 : 3 + 1);
      ASSERT_TRUE(fs::exists(backup->checkpoint_path()));
    }
    Sequential second = compiled(BackendKind::vulkan, Adam(0.01f), 99);
    auto backup = std::make_shared<BackupAndRestore>(backup_dir, freq);
    FitOptions f = fit_options();
    f.callbacks = {backup};
    TrainingRun resumed;
    resumed.history = second.fit(data().samples(), data().labels, f);
    resumed.weights = weight_bytes(second);
    EXPECT_TRUE(backup->restored());
    expect_same_run(reference, resumed);
    EXPECT_FALSE(fs::exists(backup->checkpoint_path()));
  }
}

TEST_F(Checkpoints, AfterACrashTheLastBackupResumes) {
  // An exception ends fit without on_train_end: the backup of the last
  // epoch end stays, and a new fit continues from it.
  const TrainingRun reference = straight(BackendKind::cpu, Adam(0.01f));
  TempDir dir;
  {
    Sequential first = compiled(BackendKind::cpu, Adam(0.01f));
    auto crash = std::make_shared<LambdaCallback>();
    crash->epoch_end = [](Sequential&, int epoch, const Logs&) {
      if (epoch == 1) throw std::runtime_error("crash");
    };
    FitOptions f = fit_options();
    f.callbacks = {std::make_shared<BackupAndRestore>(dir / "b"), crash};
    EXPECT_THROW(first.fit(data().samples(), data().labels, f), std::runtime_error);
  }
  Sequential second = compiled(BackendKind::cpu, Adam(0.01f), 99);
  FitOptions f = fit_options();
  f.callbacks = {std::make_shared<BackupAndRestore>(dir / "b")};
  TrainingRun resumed;
  resumed.history = second.fit(data().samples(), data().labels, f);
  resumed.weights = weight_bytes(second);
  expect_same_run(reference, resumed);
}

TEST_F(Checkpoints, ACorruptBackupIsRefusedAndLeftAsItWas) {
  TempDir dir;
  const fs::path backup_dir = dir / "backup";
  fs::create_directories(backup_dir);
  const std::vector<std::uint8_t> garbage = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  write_bytes(backup_dir / "checkpoint.safetensors", garbage);
  Sequential model = compiled(BackendKind::cpu, Adam(0.01f));
  FitOptions f = fit_options();
  f.callbacks = {std::make_shared<BackupAndRestore>(backup_dir)};
  expect_error_mentions([&] { model.fit(data().samples(), data().labels, f); },
                        {(backup_dir / "checkpoint.safetensors").string()});
  EXPECT_EQ(file_bytes(backup_dir / "checkpoint.safetensors"), garbage);
  EXPECT_EQ(std::distance(fs::directory_iterator(backup_dir), fs::directory_iterator()), 1);
}

TEST_F(Checkpoints, ABackupHoldingANaNIsRefusedNamingTheTensorKeptAndSaysHowToStartOver) {
  // Measured before the check: the NaN backup was restored, every later
  // epoch's loss was nan, and the completed fit deleted the backup.
  TempDir dir;
  const fs::path backup_dir = dir / "backup";
  {
    Sequential first = compiled(BackendKind::cpu, Adam(0.01f));
    FitOptions f = fit_options();
    f.callbacks = {std::make_shared<BackupAndRestore>(backup_dir), stop_before(1, 0)};
    EXPECT_TRUE(first.fit(data().samples(), data().labels, f).interrupted);
  }
  const fs::path backup = backup_dir / "checkpoint.safetensors";
  set_value(backup, "dense/kernel", 21, kNaN);
  const auto poisoned_bytes = file_bytes(backup);

  Sequential model = compiled(BackendKind::cpu, Adam(0.01f), 99);
  const auto before = weight_bytes(model);
  FitOptions f = fit_options();
  f.callbacks = {std::make_shared<BackupAndRestore>(backup_dir)};
  expect_error_mentions([&] { model.fit(data().samples(), data().labels, f); },
                        {"BackupAndRestore: cannot resume from the backup", backup.string(),
                         "tensor 'dense/kernel': value 21 at index (1, 5) of shape (36, 16) is NaN",
                         "The backup is left as it is; to start training over, delete it",
                         backup_dir.string()});
  EXPECT_EQ(file_bytes(backup), poisoned_bytes) << "the bad backup must stay as it was";
  EXPECT_TRUE(weight_bytes(model) == before) << "nothing was loaded";

  // As the message says: without the backup the same fit starts over, and
  // its losses are finite.
  fs::remove(backup);
  auto restart = std::make_shared<BackupAndRestore>(backup_dir);
  f.callbacks = {restart};
  const History h = model.fit(data().samples(), data().labels, f);
  EXPECT_FALSE(restart->restored());
  EXPECT_EQ(h.epoch, (std::vector<int>{0, 1, 2}));
  for (double loss : h.history.at("loss")) EXPECT_TRUE(std::isfinite(loss));
}

}  // namespace
