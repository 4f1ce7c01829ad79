// Sequential::request_stop: a running fit returns at the next step boundary,
// from another thread or from a callback, and a stale request does not stop
// the next fit. (The Python binding's Ctrl-C handling rests on this.)
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "model/training_support.hpp"

namespace {

using namespace vknn;
using vknn_test::on;
using vknn_test::synthetic_images;

class RequestStop : public vknn_test::VulkanTest {};

// Counts the hooks fit calls, and can ask for a stop at an epoch's end.
struct Recorder : Callback {
  std::atomic<bool> started{false};
  int epochs_ended = 0;
  int train_ended = 0;
  int stop_after_epoch = -1;
  void on_train_begin(Sequential&) override { started = true; }
  void on_epoch_end(Sequential& model, int epoch, const Logs&) override {
    ++epochs_ended;
    if (epoch == stop_after_epoch) model.request_stop();
  }
  void on_train_end(Sequential&) override { ++train_ended; }
};

TEST_F(RequestStop, FromAnotherThreadEndsARunningFit) {
  const auto data = synthetic_images(64, 8, 4, 21);
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(Adam(), on(BackendKind::vulkan));
  auto recorder = std::make_shared<Recorder>();
  std::thread stopper([&] {
    while (!recorder->started) std::this_thread::yield();
    model.request_stop();
  });
  // 100,000 epochs would run for hours; the request ends it at once.
  const History h = model.fit(data.samples(), data.labels,
                              {.epochs = 100000, .callbacks = {recorder}, .verbose = 0});
  stopper.join();
  EXPECT_TRUE(h.interrupted);
  EXPECT_TRUE(h.stopped_early);
  EXPECT_LT(h.epoch.size(), 100000u);
  EXPECT_EQ(h.epoch.size(), std::size_t(recorder->epochs_ended));
  EXPECT_EQ(recorder->train_ended, 1);
}

TEST_F(RequestStop, FromACallbackDropsThePartialEpoch) {
  const auto data = synthetic_images(64, 8, 4, 22);
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(Adam(), on(BackendKind::vulkan));
  auto recorder = std::make_shared<Recorder>();
  recorder->stop_after_epoch = 1;
  const History h = model.fit(data.samples(), data.labels,
                              {.epochs = 5, .batch_size = 16, .callbacks = {recorder},
                               .verbose = 0});
  // Epochs 0 and 1 finished; epoch 2 stopped before its first step and is
  // not in the history.
  EXPECT_TRUE(h.interrupted);
  EXPECT_TRUE(h.stopped_early);
  ASSERT_EQ(h.epoch.size(), 2u);
  EXPECT_EQ(h.history.at("loss").size(), 2u);
  EXPECT_EQ(recorder->epochs_ended, 2);
  EXPECT_EQ(recorder->train_ended, 1);
}

TEST_F(RequestStop, IsClearedWhenTheNextFitStarts) {
  const auto data = synthetic_images(64, 8, 4, 23);
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(Adam(), on(BackendKind::vulkan));
  model.request_stop();  // no fit running: must not affect the next one
  const History h = model.fit(data.samples(), data.labels, {.epochs = 2, .verbose = 0});
  EXPECT_FALSE(h.interrupted);
  EXPECT_FALSE(h.stopped_early);
  EXPECT_EQ(h.epoch.size(), 2u);
}

TEST_F(RequestStop, SurvivesAMoveOfTheModel) {
  // The flag lives on the heap: a moved model keeps working, and a
  // moved-from one ignores the request instead of crashing.
  const auto data = synthetic_images(64, 8, 4, 24);
  Sequential first(vknn_test::small_cnn(8, 4));
  first.compile(Adam(), on(BackendKind::vulkan));
  Sequential model = std::move(first);
  first.request_stop();  // NOLINT(bugprone-use-after-move): deliberately
  auto recorder = std::make_shared<Recorder>();
  recorder->stop_after_epoch = 0;
  const History h = model.fit(data.samples(), data.labels,
                              {.epochs = 3, .callbacks = {recorder}, .verbose = 0});
  EXPECT_TRUE(h.interrupted);
  EXPECT_EQ(h.epoch.size(), 1u);
}

}  // namespace
