// A batch too big for the device trains as micro-batches inside the one
// recorded step (Trainer::workspace): the same model, up to summation order,
// as the unsplit batch. The test hook VKNN_TEST_MAX_TENSOR_BYTES lowers the
// largest tensor a plan may hold so that small models split here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "model/plan.hpp"
#include "model/trainer.hpp"
#include "model/training_support.hpp"
#include "support/error_text.hpp"
#include "support/scoped_env.hpp"

namespace vknn::model {
namespace {

std::vector<Layer> model_with_dropout() {
  return {Conv2D(4, {3, 3}, Activation::relu, Shape{10, 10, 1}),
          MaxPooling2D(2, 2),
          Flatten(),
          Dropout(0.3f),
          Dense(16, Activation::relu),
          Dense(3, Activation::softmax)};
}

// The largest tensor of the plan at `batch` samples: as the limit, it makes
// `batch` the biggest micro-batch that fits.
std::string largest_tensor_at(const std::vector<Layer>& layers, int batch) {
  const Architecture architecture = Architecture::build(layers);
  const Plan plan = make_plan(architecture, batch);
  std::uint64_t largest = 0;
  for (const PlannedTensor& t : plan.tensors) {
    // A fused conv's own map is formed only by layer_outputs.
    if (!t.layer_outputs_only) largest = std::max(largest, t.bytes());
  }
  return std::to_string(largest);
}

std::size_t count_of(const OpList& ops, std::string_view name) {
  return std::size_t(std::count_if(ops.begin(), ops.end(), [&](const backend::Op& op) {
    return backend::name_of(op) == name;
  }));
}

TEST(MicroBatches, TheStepSplitsWhereTheLimitSaysAndSumsTheGradients) {
  const auto layers = model_with_dropout();
  vknn_test::ScopedEnv limit("VKNN_TEST_MAX_TENSOR_BYTES", largest_tensor_at(layers, 3).c_str());
  const Architecture architecture = Architecture::build(layers);
  Trainer trainer(architecture, SGD(0.05f, 0.9f), vknn_test::on(BackendKind::cpu));
  const auto images = vknn_test::synthetic_images(14, 10, 3, 1);
  const DeviceDataset data = trainer.upload(images.samples(), images.labels, "data");

  EXPECT_EQ(trainer.micro_batch_size(3), 3);
  EXPECT_EQ(trainer.micro_batch_size(7), 3);  // ceil(7 / 3): micro-batches of 3, 3 and 1
  EXPECT_EQ(trainer.micro_batch_size(12), 3);
  Workspace& ws = trainer.workspace(7);
  EXPECT_EQ(ws.plan.batch, 3);

  const OpList ops = trainer.train_step_ops(ws, data, 7, 7);
  const std::size_t parameters = trainer.parameters().size();  // 3 layers' kernels and biases
  ASSERT_EQ(parameters, 6u);
  EXPECT_EQ(count_of(ops, "gather_batch"), 3u);
  EXPECT_EQ(count_of(ops, "accumulate_metrics"), 3u);
  EXPECT_EQ(count_of(ops, "dropout"), 6u);  // forward and backward, per micro-batch
  // The second and third micro-batches add their gradients in; one update.
  EXPECT_EQ(count_of(ops, "accumulate_gradient"), 2 * parameters);
  EXPECT_EQ(count_of(ops, "sgd_update"), parameters);
  EXPECT_EQ(count_of(ops, "advance_step"), 1u);
  // Each gather starts where the last one ended, within the batch of 7.
  std::vector<std::uint32_t> firsts, counts;
  for (const backend::Op& op : ops) {
    if (const auto* g = std::get_if<backend::op::GatherBatch>(&op)) {
      firsts.push_back(g->first);
      counts.push_back(g->count);
      EXPECT_EQ(std::uint32_t(g->batch_size), 7u);
    }
  }
  EXPECT_EQ(firsts, (std::vector<std::uint32_t>{0, 3, 6}));
  EXPECT_EQ(counts, (std::vector<std::uint32_t>{3, 3, 1}));

  // A batch that fits its workspace is not split.
  const OpList small = trainer.train_step_ops(ws, data, 7, 2);
  EXPECT_EQ(count_of(small, "gather_batch"), 1u);
  EXPECT_EQ(count_of(small, "accumulate_gradient"), 0u);
}

TEST(MicroBatches, WithoutALimitNothingSplits) {
  const Architecture architecture = Architecture::build(model_with_dropout());
  Trainer trainer(architecture, Adam(), vknn_test::on(BackendKind::cpu));
  EXPECT_EQ(trainer.micro_batch_size(256), 256);
  EXPECT_EQ(trainer.workspace(256).plan.batch, 256);
  EXPECT_EQ(trainer.parameters().front().micro_gradient, nullptr);
}

// What one model trained split or unsplit on `kind` ends with.
struct Trained {
  std::vector<std::vector<float>> weights;
  History history;
  Evaluation evaluation;
  std::vector<float> predictions;
};

Trained train(BackendKind kind, const char* limit, bool augmented = false) {
  vknn_test::ScopedEnv env("VKNN_TEST_MAX_TENSOR_BYTES", limit);
  const auto images = vknn_test::synthetic_images(30, 10, 3, 5);
  const auto validation = vknn_test::synthetic_images(11, 10, 3, 6);
  std::vector<float> sample_weight(30);
  for (std::size_t i = 0; i < sample_weight.size(); ++i) sample_weight[i] = 0.5f + float(i % 4) * 0.25f;
  Sequential model(model_with_dropout());
  model.compile(SGD(0.05f, 0.9f), vknn_test::on(kind));
  Trained t;
  // 30 samples in batches of 7: four full batches (3 + 3 + 1 when split)
  // and a last one of 2; validation in batches of 7 too.
  t.history = model.fit(images.samples(), images.labels,
                        {.epochs = 2,
                         .batch_size = 7,
                         .validation_data = ValidationData{validation.samples(), validation.labels},
                         .verbose = 0,
                         .seed = 3,
                         .sample_weight = sample_weight,
                         .augmentation = augmented ? std::optional<Augmentation>(Augmentation{
                                                         .rotation_range = 20.0f,
                                                         .horizontal_flip = true,
                                                         .seed = 9})
                                                   : std::nullopt});
  t.weights = model.get_weights();
  t.evaluation = model.evaluate(validation.samples(), validation.labels, {.batch_size = 7, .verbose = 0});
  t.predictions = model.predict(validation.samples(), {.batch_size = 7, .verbose = 0});
  return t;
}

// A validation error during a test fails it (VulkanTest).
class MicroBatchesOn : public vknn_test::VulkanTest, public ::testing::WithParamInterface<BackendKind> {};
class MicroBatchesOnVulkan : public vknn_test::VulkanTest {};

TEST_P(MicroBatchesOn, TrainEvaluateAndPredictAsTheUnsplitBatch) {
  const std::string limit = largest_tensor_at(model_with_dropout(), 3);
  const Trained whole = train(GetParam(), nullptr);
  const Trained split = train(GetParam(), limit.c_str());
  // The same samples, masks, weights and losses; only the order in which
  // the parameter gradients' sums run differs (three partial sums added,
  // where one sum ran over the batch): float rounding, ~1e-7 per step.
  EXPECT_LT(vknn_test::max_abs_difference(whole.weights, split.weights), 2e-5);
  for (const char* key : {"loss", "accuracy", "val_loss", "val_accuracy"}) {
    const auto& a = whole.history.history.at(key);
    const auto& b = split.history.history.at(key);
    ASSERT_EQ(a.size(), 2u) << key;
    for (std::size_t e = 0; e < a.size(); ++e) EXPECT_NEAR(a[e], b[e], 1e-5) << key << " epoch " << e;
  }
  EXPECT_NEAR(whole.evaluation.loss, split.evaluation.loss, 1e-5);
  EXPECT_NEAR(whole.evaluation.accuracy, split.evaluation.accuracy, 1e-6);
  ASSERT_EQ(whole.predictions.size(), split.predictions.size());
  double worst = 0;
  for (std::size_t i = 0; i < whole.predictions.size(); ++i) {
    worst = std::max(worst, std::fabs(double(whole.predictions[i]) - double(split.predictions[i])));
  }
  EXPECT_LT(worst, 1e-5);
}

// The augmented gather draws each sample's transform from its index in the
// dataset and the step, not its place in the batch: a split batch draws
// what the whole batch draws.
TEST_P(MicroBatchesOn, AugmentedTrainingAsTheUnsplitBatch) {
  const std::string limit = largest_tensor_at(model_with_dropout(), 3);
  const Trained whole = train(GetParam(), nullptr, true);
  const Trained split = train(GetParam(), limit.c_str(), true);
  const Trained plain = train(GetParam(), nullptr, false);
  EXPECT_LT(vknn_test::max_abs_difference(whole.weights, split.weights), 2e-5);
  EXPECT_GT(vknn_test::max_abs_difference(whole.weights, plain.weights), 1e-3);  // it did augment
}

INSTANTIATE_TEST_SUITE_P(Backends, MicroBatchesOn,
                         ::testing::Values(BackendKind::cpu, BackendKind::vulkan),
                         [](const auto& info) {
                           return std::string(info.param == BackendKind::cpu ? "Cpu" : "Vulkan");
                         });

// One sample whose input alone is over a storage buffer's range cannot be
// split further: refused naming the limit, before any step runs.
TEST_F(MicroBatchesOnVulkan, ASampleOverOneBufferIsRefusedNamingTheLimit) {
  const int side = 6000;  // 36 M pixels: 144 MB as floats, over lavapipe's 128 MiB
  const std::uint64_t limit = vknn_test::context().device_info().max_storage_buffer_range;
  if (std::uint64_t(side) * side * 4 <= limit) GTEST_SKIP() << "this device holds the sample";
  Sequential model({Conv2D(1, {3, 3}, Activation::relu, Shape{side, side, 1}),
                    GlobalAveragePooling2D(), Dense(2, Activation::softmax)});
  model.compile(Adam(), vknn_test::on(BackendKind::vulkan));
  std::vector<std::uint8_t> pixels(std::size_t(side) * side, 9), labels(1, 1);
  const std::string message = vknn_test::error_of(
      [&] { model.fit(Samples{pixels, 1, {side, side, 1}}, labels, {.batch_size = 1, .verbose = 0}); });
  EXPECT_NE(message.find("maxStorageBufferRange"), std::string::npos) << message;
}

}  // namespace
}  // namespace vknn::model
