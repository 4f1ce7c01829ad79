// Sequential end to end: the Vulkan backend against the CPU reference,
// learning, the GPU-first guarantees (record once, few waits, O(1) uploads
// per step), partial batches, and callbacks.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "model/training_support.hpp"
#include "vknn/error.hpp"

namespace {

using namespace vknn;
using vknn_test::max_abs_difference;
using vknn_test::on;
using vknn_test::synthetic_images;

class SequentialTraining : public vknn_test::VulkanTest {};

TEST_F(SequentialTraining, VulkanAndCpuEndWithTheSameParameters) {
  // Same model, seed, data and batch order on both backends: after a few
  // steps (with a partial last batch) the parameters agree. SGD with
  // momentum, because its update is linear in the gradient: the backends'
  // float sums differ in order (~1e-6 relative), and so do the weights,
  // by far less than the 1e-5 allowed. (Adam divides by sqrt(v): a
  // gradient that is 1e-12 on one backend and 0 on the other moves a
  // weight by lr on one and not at all on the other, so Adam is checked
  // op by op in the cross-check table instead.) A wrong gradient moves
  // weights by ~lr * |g| ~ 1e-3 per step and fails this.
  const auto fitted = vknn_test::fit_on_both_backends(
      vknn_test::small_cnn(8, 4), SGD(0.05f, 0.9f), synthetic_images(70, 8, 4, 1),
      {.epochs = 2, .batch_size = 32, .verbose = 0, .seed = 3});
  EXPECT_LT(max_abs_difference(fitted.weights[0], fitted.weights[1]), 1e-5);
  vknn_test::expect_same_history(fitted, 2, 1e-4);
}

TEST_F(SequentialTraining, LearnsASmallSyntheticTask) {
  // Four classes of 8x8 images marked by a bright quadrant: a small CNN
  // separates them within a few epochs (measured: ~0.99 after 6 epochs).
  const auto train = synthetic_images(512, 8, 4, 2);
  const auto test = synthetic_images(256, 8, 4, 3);
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(Adam(0.01f), on(BackendKind::vulkan));
  model.fit(train.samples(), train.labels, {.epochs = 6, .batch_size = 32, .verbose = 0});
  const Evaluation result = model.evaluate(test.samples(), test.labels, {.verbose = 0});
  EXPECT_GT(result.accuracy, 0.9);
  EXPECT_LT(result.loss, 0.5);
}

TEST_F(SequentialTraining, AnEpochIsRecordedOnceAndReplayed) {
  const auto data = synthetic_images(1000, 8, 4, 4);  // 32 steps, last one partial
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(Adam(), on(BackendKind::vulkan));
  model.fit(data.samples(), data.labels, {.epochs = 1, .verbose = 0});
  const auto before = model.counters();
  model.fit(data.samples(), data.labels, {.epochs = 3, .verbose = 0});
  const auto after = model.counters();
  const std::uint64_t steps = 3 * 32;
  // Two programs (full and partial batch), whatever the number of epochs.
  EXPECT_LE(after.recordings - before.recordings, 2u);
  EXPECT_EQ(after.launches - before.launches, steps);
  // Waits: a fence every 8 steps plus a few per epoch, far fewer than steps.
  EXPECT_LT(after.host_waits - before.host_waits, steps / 4);
  // Uploads: the dataset once, then per epoch a permutation and a few
  // bytes of state: O(1) per step.
  const std::uint64_t dataset = 1000 * 64 + 1000;
  const std::uint64_t per_epoch = 1000 * 4 + 64 + 64;
  EXPECT_LE(after.bytes_uploaded - before.bytes_uploaded, dataset + 3 * per_epoch + 256);
}

TEST_F(SequentialTraining, PartialLastBatchIsTrainedOnNotDroppedOrPadded) {
  // With a zero learning rate the weights never change, so the loss fit
  // reports for the epoch (the mean over every sample it trained on) must
  // equal evaluate's loss over the same 70 samples. A dropped last batch
  // (64 samples) or one padded with zeros would give a different mean.
  const auto data = synthetic_images(70, 8, 4, 5);
  for (BackendKind kind : {BackendKind::cpu, BackendKind::vulkan}) {
    Sequential model(vknn_test::small_cnn(8, 4));
    model.compile(SGD(0.0f), on(kind));
    const History h = model.fit(data.samples(), data.labels, {.epochs = 1, .verbose = 0});
    const Evaluation e = model.evaluate(data.samples(), data.labels, {.batch_size = 32, .verbose = 0});
    EXPECT_NEAR(h.history.at("loss")[0], e.loss, 1e-5) << to_string(kind);
    EXPECT_NEAR(h.history.at("accuracy")[0], e.accuracy, 1e-9) << to_string(kind);
  }
}

TEST_F(SequentialTraining, PredictMatchesTheCpuAndGivesProbabilities) {
  const auto data = synthetic_images(45, 8, 4, 6);  // batches of 32 and 13
  std::vector<float> predictions[2];
  int i = 0;
  for (BackendKind kind : {BackendKind::cpu, BackendKind::vulkan}) {
    Sequential model(vknn_test::small_cnn(8, 4));
    model.compile(Adam(), on(kind, 11));
    predictions[i++] = model.predict(data.samples());
  }
  ASSERT_EQ(predictions[0].size(), 45u * 4);
  for (std::size_t n = 0; n < 45; ++n) {
    double sum = 0;
    for (int c = 0; c < 4; ++c) {
      sum += predictions[1][n * 4 + c];
      EXPECT_NEAR(predictions[0][n * 4 + c], predictions[1][n * 4 + c], 1e-5);
    }
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
}

TEST_F(SequentialTraining, ValidationDataIsEvaluatedEveryEpoch) {
  const auto train = synthetic_images(96, 8, 4, 7);
  const auto val = synthetic_images(40, 8, 4, 8);
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(Adam(), on(BackendKind::vulkan));
  const History h = model.fit(train.samples(), train.labels,
                              {.epochs = 2,
                               .validation_data = ValidationData{val.samples(), val.labels},
                               .verbose = 0});
  ASSERT_EQ(h.history.at("val_loss").size(), 2u);
  const Evaluation e = model.evaluate(val.samples(), val.labels, {.verbose = 0});
  EXPECT_NEAR(h.history.at("val_loss")[1], e.loss, 1e-5);
  EXPECT_NEAR(h.history.at("val_accuracy")[1], e.accuracy, 1e-9);
}

TEST_F(SequentialTraining, LearningRateChangesWithoutReRecording) {
  const auto data = synthetic_images(64, 8, 4, 9);
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(Adam(), on(BackendKind::vulkan));
  auto stop_learning = std::make_shared<LambdaCallback>();
  stop_learning->epoch_end = [](Sequential& m, int epoch, const Logs&) {
    if (epoch == 0) m.set_learning_rate(0.0f);
  };
  std::vector<std::vector<float>> after_first_epoch;
  auto snapshot = std::make_shared<LambdaCallback>();
  snapshot->epoch_end = [&](Sequential& m, int epoch, const Logs&) {
    if (epoch == 0) after_first_epoch = m.get_weights();
  };
  const auto before = model.counters();
  model.fit(data.samples(), data.labels,
            {.epochs = 3, .callbacks = {snapshot, stop_learning}, .verbose = 0});
  EXPECT_EQ(model.learning_rate(), 0.0f);
  EXPECT_EQ(model.counters().recordings - before.recordings, 1u);  // one program, all epochs
  EXPECT_EQ(max_abs_difference(after_first_epoch, model.get_weights()), 0.0);
}

// One rule (vknn::validate_learning_rate) for every way a rate gets in:
// set_learning_rate let +infinity through before it, so the next step
// turned every weight into NaN.
TEST_F(SequentialTraining, EveryWayInRefusesANonFiniteOrNegativeLearningRate) {
  const float bad[] = {std::numeric_limits<float>::infinity(), -1.0f,
                       std::numeric_limits<float>::quiet_NaN()};
  for (const float rate : bad) {
    SCOPED_TRACE(rate);
    Sequential model(vknn_test::small_cnn(8, 4));
    EXPECT_THROW(model.compile(Adam(rate), on(BackendKind::vulkan)), Error);
    model.compile(Adam(0.01f), on(BackendKind::vulkan));
    try {
      model.set_learning_rate(rate);
      ADD_FAILURE() << "set_learning_rate accepted " << rate;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("set_learning_rate: learning_rate must be a finite "
                                           "number >= 0"),
                std::string::npos)
          << e.what();
    }
    EXPECT_EQ(model.learning_rate(), 0.01f);
  }
}

TEST_F(SequentialTraining, ThresholdStopEndsTrainingAtTheEpochItPasses) {
  const auto data = synthetic_images(256, 8, 4, 10);
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(Adam(0.01f), on(BackendKind::vulkan));
  auto stop = std::make_shared<StopAtThreshold>("accuracy", 0.6);
  const History h = model.fit(data.samples(), data.labels,
                              {.epochs = 30, .callbacks = {stop}, .verbose = 0});
  EXPECT_TRUE(stop->triggered());
  EXPECT_TRUE(h.stopped_early);
  ASSERT_LT(h.epoch.size(), 30u);
  EXPECT_GT(h.history.at("accuracy").back(), 0.6);
  for (std::size_t e = 0; e + 1 < h.epoch.size(); ++e) EXPECT_LE(h.history.at("accuracy")[e], 0.6);
}

TEST_F(SequentialTraining, TerminateOnNaNStopsADivergingRun) {
  const auto data = synthetic_images(128, 8, 4, 11);
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(SGD(1e30f), on(BackendKind::vulkan));
  const History h = model.fit(data.samples(), data.labels,
                              {.epochs = 20, .callbacks = {std::make_shared<TerminateOnNaN>()},
                               .verbose = 0});
  EXPECT_TRUE(h.stopped_early);
  EXPECT_LT(h.epoch.size(), 20u);
}

TEST(EarlyStoppingLogic, StopsAfterPatienceAndRestoresTheBestWeights) {
  // Drives the callback directly with made-up val_loss values.
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(Adam(), on(BackendKind::cpu));
  EarlyStopping stopping({.monitor = "val_loss", .min_delta = 0.01, .patience = 2,
                          .restore_best_weights = true});
  stopping.on_train_begin(model);
  const double losses[] = {1.0, 0.8, 0.795, 0.9, 0.85};
  std::vector<std::vector<float>> best;
  for (int epoch = 0; epoch < 5 && !model.stop_training; ++epoch) {
    auto w = model.get_weights();
    w[0][0] = float(epoch);  // mark each epoch's weights
    model.set_weights(w);
    if (epoch == 1) best = model.get_weights();
    stopping.on_epoch_end(model, epoch, {{"val_loss", losses[epoch]}});
  }
  EXPECT_TRUE(model.stop_training);
  EXPECT_EQ(stopping.best_epoch(), 1);     // 0.795 is not better by min_delta
  EXPECT_EQ(stopping.stopped_epoch(), 3);  // two epochs without improvement
  EXPECT_EQ(model.get_weights()[0][0], 1.0f);
}

TEST(EarlyStoppingLogic, AccuracyIsMaximisedInAutoMode) {
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(Adam(), on(BackendKind::cpu));
  EarlyStopping stopping({.monitor = "val_accuracy", .patience = 1});
  stopping.on_train_begin(model);
  stopping.on_epoch_end(model, 0, {{"val_accuracy", 0.5}});
  stopping.on_epoch_end(model, 1, {{"val_accuracy", 0.6}});
  EXPECT_FALSE(model.stop_training);
  stopping.on_epoch_end(model, 2, {{"val_accuracy", 0.55}});
  EXPECT_TRUE(model.stop_training);
}

}  // namespace
