// Callback::wants_batch_logs: Keras's on_train_batch_end(batch, logs) after
// every step, asked for by a callback (the Python bridge does when a Python
// callback overrides a batch hook). Without it, fit keeps its steps in
// flight and waits rarely (sequential_training_test.cpp).
#include <gtest/gtest.h>

#include <vector>

#include "model/training_support.hpp"

namespace {

using namespace vknn;
using vknn_test::on;
using vknn_test::synthetic_images;

class BatchLogs : public vknn_test::VulkanTest {};

class RecordBatches : public Callback {
 public:
  explicit RecordBatches(bool every_step, int stop_at = -1)
      : every_step_(every_step), stop_at_(stop_at) {}
  bool wants_batch_logs() const override { return every_step_; }
  void on_batch_end(Sequential& model, int batch, const Logs& logs) override {
    batches.push_back(batch);
    this->logs.push_back(logs);
    if (batch == stop_at_) model.stop_training = true;
  }
  std::vector<int> batches;
  std::vector<Logs> logs;

 private:
  bool every_step_;
  int stop_at_;
};

TEST_F(BatchLogs, EveryStepGetsTheRunningLogsWhenACallbackAsks) {
  const auto data = synthetic_images(70, 8, 4, 21);  // batch 16: 5 steps, the last partial
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(Adam(), on(BackendKind::vulkan));
  auto recorder = std::make_shared<RecordBatches>(true);
  const auto before = model.counters();
  History history = model.fit(data.samples(), data.labels,
                              {.epochs = 2, .batch_size = 16, .callbacks = {recorder},
                               .verbose = 0});
  const auto after = model.counters();
  EXPECT_EQ(recorder->batches, (std::vector<int>{0, 1, 2, 3, 4, 0, 1, 2, 3, 4}));
  for (const Logs& logs : recorder->logs) {
    ASSERT_EQ(logs.size(), 2u);
    EXPECT_GT(logs.at("loss"), 0.0);
    EXPECT_GE(logs.at("accuracy"), 0.0);
    EXPECT_LE(logs.at("accuracy"), 1.0);
  }
  // The last batch's logs are the epoch's metrics.
  for (int epoch = 0; epoch < 2; ++epoch) {
    EXPECT_EQ(recorder->logs[std::size_t(5 * epoch + 4)].at("loss"), history.history["loss"][epoch]);
    EXPECT_EQ(recorder->logs[std::size_t(5 * epoch + 4)].at("accuracy"),
              history.history["accuracy"][epoch]);
  }
  // The price: a host wait per step.
  EXPECT_GE(after.host_waits - before.host_waits, 10u);
}

TEST_F(BatchLogs, WithoutTheRequestBatchHooksStayRare) {
  const auto data = synthetic_images(70, 8, 4, 22);
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(Adam(), on(BackendKind::vulkan));
  auto recorder = std::make_shared<RecordBatches>(false);
  model.fit(data.samples(), data.labels,
            {.epochs = 2, .batch_size = 16, .callbacks = {recorder}, .verbose = 0});
  // Refreshes are at least 0.2 s apart; these epochs take far less.
  EXPECT_LT(recorder->batches.size(), 10u);
}

TEST_F(BatchLogs, StopTrainingInTheBatchHookStopsAtThatStep) {
  const auto data = synthetic_images(70, 8, 4, 23);
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(Adam(), on(BackendKind::vulkan));
  auto recorder = std::make_shared<RecordBatches>(true, 2);
  const auto before = model.counters();
  History history = model.fit(data.samples(), data.labels,
                              {.epochs = 3, .batch_size = 16, .callbacks = {recorder},
                               .verbose = 0});
  EXPECT_EQ(recorder->batches, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(model.counters().launches - before.launches, 3u);
  EXPECT_TRUE(history.stopped_early);
}

}  // namespace
