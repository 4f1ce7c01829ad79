// Sequential::request_stop: the stop request a signal handler or another
// thread makes, honoured by fit at the next step boundary.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "model/training_support.hpp"

namespace {

using namespace vknn;
using vknn_test::on;
using vknn_test::synthetic_images;

class StopRequest : public vknn_test::VulkanTest {};

TEST_F(StopRequest, FromAnotherThreadStopsFitAtAStepBoundary) {
  const auto data = synthetic_images(640, 8, 4, 3);
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(Adam(), on(BackendKind::vulkan));
  // A callback that sees batches and, from a second thread, the request.
  std::atomic<int> batches_seen{0};
  auto callback = std::make_shared<LambdaCallback>();
  callback->batch_end = [&](Sequential&, int, const Logs&) { ++batches_seen; };
  std::thread stopper([&] {
    while (batches_seen.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    model.request_stop();
  });
  const History h = model.fit(data.samples(), data.labels,
                              {.epochs = 50, .batch_size = 1, .callbacks = {callback}, .verbose = 0});
  stopper.join();
  EXPECT_TRUE(h.interrupted);
  EXPECT_TRUE(h.stopped_early);
  // 50 epochs of 640 steps would take minutes; it stopped within the
  // first epoch, which therefore is not in the history.
  EXPECT_TRUE(h.epoch.empty());
  EXPECT_TRUE(h.history.empty());
  // The model is left usable: the next fit starts with the request cleared.
  const History next = model.fit(data.samples(), data.labels, {.epochs = 1, .verbose = 0});
  EXPECT_FALSE(next.interrupted);
  EXPECT_EQ(next.epoch.size(), 1u);
}

TEST_F(StopRequest, RequestBeforeFitIsClearedByFit) {
  const auto data = synthetic_images(64, 8, 4, 4);
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(Adam(), on(BackendKind::cpu));
  model.request_stop();
  EXPECT_TRUE(model.stop_requested());
  const History h = model.fit(data.samples(), data.labels, {.epochs = 2, .verbose = 0});
  EXPECT_FALSE(h.interrupted);
  EXPECT_EQ(h.epoch.size(), 2u);
  EXPECT_FALSE(model.stop_requested());
}

TEST(StopRequestFlag, IsLockFreeSoASignalHandlerMayCallIt) {
  EXPECT_TRUE(std::atomic<bool>::is_always_lock_free);
  Sequential model(vknn_test::small_cnn(8, 4));
  Sequential moved = std::move(model);
  moved.request_stop();
  EXPECT_TRUE(moved.stop_requested());
  model.request_stop();  // NOLINT(bugprone-use-after-move): a moved-from model ignores it
  EXPECT_FALSE(model.stop_requested());
}

}  // namespace
