// A device lost or out of memory during fit ends fit with a
// vknn::DeviceFailure that says what failed, where (epoch and step), and
// whether a backup can be resumed; a new fit with the same
// BackupAndRestore then resumes from that backup and ends with exactly the
// weights of an uninterrupted run. evaluate and predict say what failed.
//
// No device is really lost: the runtime's test-only fault injection
// (src/vulkan/fault_injection.hpp) fails one queue submission or device
// wait with the chosen VkResult, armed from a callback at a chosen step.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "support/scoped_env.hpp"
#include "model/training_support.hpp"
#include "support/error_text.hpp"
#include "support/temp_dir.hpp"
#include "vknn/error.hpp"
#include "vulkan/fault_injection.hpp"

namespace {

using namespace vknn;
using vknn::vk::FaultPoint;
using vknn_test::on;
using vknn_test::synthetic_images;
using vknn_test::TempDir;
namespace fs = std::filesystem;

// The faults are armed by count (the n-th submission or wait), so the
// autotuner's own measurement submissions, made whenever a shape is not in
// the cache yet, would move them: these tests use the device profile.
class DeviceFailures : public vknn_test::VulkanTest {
 protected:
  void TearDown() override {
    vk::testing::disarm();  // never leak an armed fault into the next test
    VulkanTest::TearDown();
  }

 private:
  // Set before the fixture's Context is made, restored after the test.
  vknn_test::ScopedEnv no_autotune_{"VKNN_AUTOTUNE", "0"};
};

// 200 samples in batches of 32: 7 steps an epoch, the last one partial.
constexpr int kSamples = 200, kBatch = 32, kEpochs = 3;

const vknn_test::SyntheticImages& data() {
  static const auto d = synthetic_images(kSamples, 8, 4, 11);
  return d;
}

FitOptions fit_options() {
  return {.epochs = kEpochs, .batch_size = kBatch, .verbose = 0, .seed = 5};
}

Sequential compiled(std::uint64_t seed = 7) {
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(Adam(0.01f), on(BackendKind::vulkan, seed));
  return model;
}

using vknn_test::weight_bytes;

// Arms the fault after step `step` (1-based) of epoch `epoch` (1-based):
// the next call at `point` fails with `result`.
std::shared_ptr<LambdaCallback> fail_after(int epoch, int step, FaultPoint point, VkResult result) {
  auto callback = std::make_shared<LambdaCallback>();
  auto current_epoch = std::make_shared<int>(1);
  callback->epoch_end = [=](Sequential&, int e, const Logs&) { *current_epoch = e + 2; };
  callback->train_batch_end = [=](Sequential&, int batch) {
    if (*current_epoch == epoch && batch + 1 == step) vk::testing::fail_nth(point, 1, result);
  };
  return callback;
}

// The DeviceFailure fit throws (a test failure if it throws anything else).
DeviceFailure failure_of(Sequential& model, const FitOptions& f) {
  try {
    model.fit(data().samples(), data().labels, f);
  } catch (const DeviceFailure& e) {
    return e;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected vknn::DeviceFailure, got: " << e.what();
    return DeviceFailure("", "");
  }
  ADD_FAILURE() << "expected vknn::DeviceFailure, fit returned";
  return DeviceFailure("", "");
}

void expect_mentions(const std::string& message, const std::vector<std::string>& fragments) {
  for (const auto& fragment : fragments) {
    EXPECT_NE(message.find(fragment), std::string::npos)
        << "message '" << message << "' lacks '" << fragment << "'";
  }
}

const std::vector<std::uint8_t>& reference_weights() {
  static const std::vector<std::uint8_t> weights = [] {
    Sequential model = compiled();
    model.fit(data().samples(), data().labels, fit_options());
    return weight_bytes(model);
  }();
  return weights;
}

// A fresh model (other initial weights) with the same BackupAndRestore
// resumes and ends as the uninterrupted run did; the backup is then gone.
void expect_resumes_to_reference(const fs::path& backup_dir, SaveFreq freq) {
  Sequential second = compiled(99);
  auto backup = std::make_shared<BackupAndRestore>(backup_dir, freq);
  FitOptions f = fit_options();
  f.callbacks = {backup};
  second.fit(data().samples(), data().labels, f);
  EXPECT_TRUE(backup->restored());
  EXPECT_TRUE(weight_bytes(second) == reference_weights())
      << "the resumed run's weights differ from the uninterrupted run's";
  EXPECT_FALSE(fs::exists(backup->checkpoint_path()));
}

TEST_F(DeviceFailures, DeviceLostMidEpochWithoutABackupSaysNothingCanBeResumed) {
  Sequential model = compiled();
  FitOptions f = fit_options();
  f.callbacks = {fail_after(2, 3, FaultPoint::queue_submit, VK_ERROR_DEVICE_LOST)};
  const DeviceFailure e = failure_of(model, f);
  EXPECT_TRUE(vk::testing::disarm()) << "the injected fault never fired";
  EXPECT_EQ(e.vulkan_result(), "VK_ERROR_DEVICE_LOST");
  EXPECT_TRUE(e.resumable_backup().empty());
  expect_mentions(e.what(), {"fit: the device was lost (VK_ERROR_DEVICE_LOST) in epoch 2/3, after 3 "
                             "of 7 steps had been queued",
                             "vkQueueSubmit failed with VK_ERROR_DEVICE_LOST",
                             "Nothing was kept to resume from", "no BackupAndRestore callback",
                             "--backup-dir"});
}

TEST_F(DeviceFailures, DeviceLostBeforeTheFirstBackupSaysNoneWasWrittenYet) {
  TempDir dir;
  Sequential model = compiled();
  FitOptions f = fit_options();
  f.callbacks = {std::make_shared<BackupAndRestore>(dir / "backup"),
                 fail_after(1, 5, FaultPoint::queue_submit, VK_ERROR_DEVICE_LOST)};
  const DeviceFailure e = failure_of(model, f);
  EXPECT_TRUE(e.resumable_backup().empty());
  expect_mentions(e.what(), {"in epoch 1/3, after 5 of 7 steps",
                             "BackupAndRestore had not written a backup in " +
                                 (dir / "backup").string() + " yet",
                             "starts from the beginning"});
}

TEST_F(DeviceFailures, DeviceLostAfterABackupNamesItAndTheSameFitResumesBitForBit) {
  TempDir dir;
  const fs::path backup_dir = dir / "backup";
  const SaveFreq every_4 = SaveFreq::every_steps(4);
  {
    Sequential first = compiled();
    auto backup = std::make_shared<BackupAndRestore>(backup_dir, every_4);
    FitOptions f = fit_options();
    // Backups after steps 4 (epoch 1), 1 and 5 (epoch 2); the fault arms
    // after the last one, so the next step's submission fails.
    f.callbacks = {backup, fail_after(2, 5, FaultPoint::queue_submit, VK_ERROR_DEVICE_LOST)};
    const DeviceFailure e = failure_of(first, f);
    EXPECT_TRUE(vk::testing::disarm());
    EXPECT_EQ(backup->backups_written(), 3);
    EXPECT_EQ(e.resumable_backup(), backup->checkpoint_path());
    expect_mentions(e.what(),
                    {"fit: the device was lost (VK_ERROR_DEVICE_LOST) in epoch 2/3, after 5 of 7 "
                     "steps had been queued",
                     "A backup can be resumed: " + backup->checkpoint_path().string(),
                     "holds the training state after step 5 of 7 of epoch 2",
                     "Running the same fit again with BackupAndRestore on " + backup_dir.string(),
                     "the trainers: run the same command again"});
    // No backup was written after the loss.
    EXPECT_TRUE(fs::exists(backup->checkpoint_path()));
  }
  expect_resumes_to_reference(backup_dir, every_4);
}

TEST_F(DeviceFailures, OutOfDeviceMemoryInAWaitNamesTheEpochEndBackupAndResumes) {
  TempDir dir;
  const fs::path backup_dir = dir / "backup";
  {
    Sequential first = compiled();
    auto backup = std::make_shared<BackupAndRestore>(backup_dir);  // each epoch end
    FitOptions f = fit_options();
    f.callbacks = {backup, fail_after(2, 2, FaultPoint::device_wait, VK_ERROR_OUT_OF_DEVICE_MEMORY)};
    const DeviceFailure e = failure_of(first, f);
    EXPECT_TRUE(vk::testing::disarm());
    EXPECT_EQ(backup->backups_written(), 1);
    EXPECT_EQ(e.vulkan_result(), "VK_ERROR_OUT_OF_DEVICE_MEMORY");
    EXPECT_EQ(e.resumable_backup(), backup->checkpoint_path());
    expect_mentions(e.what(), {"fit: the device ran out of memory (VK_ERROR_OUT_OF_DEVICE_MEMORY) in "
                               "epoch 2/3",
                               "failed with VK_ERROR_OUT_OF_DEVICE_MEMORY",
                               "holds the training state at the end of epoch 1"});
  }
  expect_resumes_to_reference(backup_dir, SaveFreq::epoch());
}

TEST_F(DeviceFailures, EvaluateAndPredictSayWhatFailed) {
  Sequential model = compiled();
  EvaluateOptions evaluate;
  evaluate.verbose = 0;
  vk::testing::fail_nth(FaultPoint::queue_submit, 2, VK_ERROR_DEVICE_LOST);
  try {
    model.evaluate(data().samples(), data().labels, evaluate);
    ADD_FAILURE() << "evaluate returned";
  } catch (const DeviceFailure& e) {
    expect_mentions(e.what(), {"evaluate: the device was lost (VK_ERROR_DEVICE_LOST) after 1 of 7 "
                               "steps had been queued",
                               "run it again on a new Context"});
  }
  EXPECT_TRUE(vk::testing::disarm());
  PredictOptions predict;
  predict.verbose = 0;
  vk::testing::fail_nth(FaultPoint::device_wait, 1, VK_ERROR_OUT_OF_HOST_MEMORY);
  try {
    model.predict(data().samples(), predict);
    ADD_FAILURE() << "predict returned";
  } catch (const DeviceFailure& e) {
    expect_mentions(e.what(), {"predict: the host ran out of memory (VK_ERROR_OUT_OF_HOST_MEMORY)"});
  }
  EXPECT_TRUE(vk::testing::disarm());
  // The device was never really lost: the model still works.
  EXPECT_EQ(model.predict(data().samples(), predict).size(), std::size_t(kSamples * 4));
}

}  // namespace
