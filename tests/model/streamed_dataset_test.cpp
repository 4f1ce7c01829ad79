// Training data past the device's memory is streamed through a window of
// batches (model/streamed_dataset.hpp) and trains the same model as the
// resident path, bit for bit. The test hook VKNN_TEST_DEVICE_MEMORY_BYTES
// sets the device budget the data does not fit.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "model/plan.hpp"
#include "model/streamed_dataset.hpp"
#include "model/trainer.hpp"
#include "model/training_support.hpp"
#include "support/error_text.hpp"
#include "support/scoped_env.hpp"

namespace vknn::model {
namespace {

std::vector<Layer> small_model() {
  return {Conv2D(4, {3, 3}, Activation::relu, Shape{10, 10, 1}), MaxPooling2D(2, 2), Flatten(),
          Dropout(0.25f), Dense(16, Activation::relu), Dense(3, Activation::softmax)};
}

constexpr int kBatch = 7;
constexpr std::int64_t kSamples = 40;     // 6 batches: 5 of 7 and one of 5
constexpr std::int64_t kValidation = 9;

// A budget that holds the model, its workspace, the validation data and
// the training order, plus `window_batches` batches of training samples
// (uint8 pixels, a label and a weight each) but not the whole set.
std::string budget_for(std::int64_t window_batches, bool float_values, bool validation = true) {
  const Architecture architecture = Architecture::build(small_model());
  Trainer trainer(architecture, SGD(0.05f, 0.9f), vknn_test::on(BackendKind::cpu));
  // A window's sample: values, a label, a weight and an augmentation key.
  const std::uint64_t sample = 100 * (float_values ? 4 : 1) + 1 + 4 + 4;
  const std::uint64_t bytes = trainer.device_bytes() + make_plan(architecture, kBatch).bytes() +
                              (validation ? trainer.dataset_bytes(kValidation, kValidation, float_values, false)
                                          : 0) +
                              std::uint64_t(kSamples) * 4 + 16 +
                              std::uint64_t(window_batches * kBatch) * sample + 8;
  return std::to_string(bytes);
}

struct Fitted {
  std::vector<std::uint8_t> weights;
  History history;
  std::string output;
};

Fitted fit(BackendKind kind, const char* budget, bool float_values,
           std::int64_t validation_count = kValidation,
           std::optional<Augmentation> augmentation = std::nullopt) {
  vknn_test::ScopedEnv env("VKNN_TEST_DEVICE_MEMORY_BYTES", budget);
  const auto images = vknn_test::synthetic_images(kSamples, 10, 3, 11);
  const auto validation = vknn_test::synthetic_images(validation_count, 10, 3, 12);
  std::vector<float> values(images.pixels.begin(), images.pixels.end());
  for (float& v : values) v /= 255.0f;
  const Samples x = float_values ? Samples::of_values(values, kSamples, {10, 10, 1}) : images.samples();
  std::vector<float> sample_weight(kSamples);
  for (std::size_t i = 0; i < sample_weight.size(); ++i) sample_weight[i] = 0.5f + float(i % 3) * 0.5f;
  std::vector<float> validation_values(validation.pixels.begin(), validation.pixels.end());
  for (float& v : validation_values) v /= 255.0f;
  const Samples vx = float_values ? Samples::of_values(validation_values, validation_count, {10, 10, 1})
                                  : validation.samples();
  Sequential model(small_model());
  model.compile(SGD(0.05f, 0.9f), vknn_test::on(kind));
  char buffer[4096] = {};
  std::FILE* out = fmemopen(buffer, sizeof buffer - 1, "w");
  Fitted f;
  f.history = model.fit(x, images.labels,
                        {.epochs = 3,
                         .batch_size = kBatch,
                         .validation_data = ValidationData{vx, validation.labels},
                         .verbose = 2,
                         .seed = 5,
                         .output = out,
                         .sample_weight = sample_weight,
                         .augmentation = augmentation});
  std::fclose(out);
  f.output = buffer;
  f.weights = vknn_test::weight_bytes(model);
  return f;
}

struct Case {
  BackendKind kind;
  bool float_values;
};

// Each suite runs on both backends, with uint8 pixels and float values.
const Case kCases[] = {{BackendKind::cpu, false}, {BackendKind::cpu, true},
                       {BackendKind::vulkan, false}, {BackendKind::vulkan, true}};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  return std::string(info.param.kind == BackendKind::cpu ? "Cpu" : "Vulkan") +
         (info.param.float_values ? "Float" : "Uint8");
}

// The same weights and History, bit for bit.
void expect_same_training(const Fitted& resident, const Fitted& streamed) {
  EXPECT_EQ(resident.weights, streamed.weights);
  for (const char* key : {"loss", "accuracy", "val_loss", "val_accuracy"}) {
    EXPECT_EQ(resident.history.history.at(key), streamed.history.history.at(key)) << key;
  }
}

// A validation error during a test fails it (VulkanTest).
class StreamedFit : public vknn_test::VulkanTest, public ::testing::WithParamInterface<Case> {};

TEST_P(StreamedFit, TrainsTheResidentPathsModelBitForBit) {
  const Case c = GetParam();
  const Fitted resident = fit(c.kind, nullptr, c.float_values);
  const std::string budget = budget_for(2, c.float_values);  // windows of 2 batches: 3 per epoch
  const Fitted streamed = fit(c.kind, budget.c_str(), c.float_values);
  EXPECT_EQ(resident.output.find("Streaming"), std::string::npos) << resident.output;
  EXPECT_NE(streamed.output.find("in windows of 2 batches"), std::string::npos) << streamed.output;
  expect_same_training(resident, streamed);
}

TEST_P(StreamedFit, WithTheValidationDataStreamedTooTrainsTheResidentPathsModel) {
  const Case c = GetParam();
  constexpr std::int64_t kBigValidation = 40;
  const Fitted resident = fit(c.kind, nullptr, c.float_values, kBigValidation);
  // Room for three training batches and the training order, none for the
  // validation data: it takes at most half of that, the training data the rest.
  const std::string budget = budget_for(3, c.float_values, /*validation=*/false);
  const Fitted streamed = fit(c.kind, budget.c_str(), c.float_values, kBigValidation);
  EXPECT_NE(streamed.output.find("Streaming the validation data (40 samples"), std::string::npos)
      << streamed.output;
  EXPECT_NE(streamed.output.find("Streaming the training data"), std::string::npos) << streamed.output;
  expect_same_training(resident, streamed);
}

TEST_P(StreamedFit, AugmentedTrainsTheResidentPathsAugmentedModelBitForBit) {
  // Each window slot draws the transform of the sample it holds (the
  // window's keys), so a streamed epoch augments as a resident one.
  const Case c = GetParam();
  const Augmentation augmentation{.rotation_range = 30.0f,
                                  .width_shift_range = {0.2f},
                                  .zoom_range = Augmentation::zoom(0.2f),
                                  .horizontal_flip = true,
                                  .seed = 3};
  const Fitted resident = fit(c.kind, nullptr, c.float_values, kValidation, augmentation);
  const Fitted plain = fit(c.kind, nullptr, c.float_values);
  const std::string budget = budget_for(2, c.float_values);
  const Fitted streamed = fit(c.kind, budget.c_str(), c.float_values, kValidation, augmentation);
  EXPECT_NE(streamed.output.find("in windows of 2 batches"), std::string::npos) << streamed.output;
  EXPECT_NE(resident.weights, plain.weights);  // it did augment
  expect_same_training(resident, streamed);
}

INSTANTIATE_TEST_SUITE_P(Backends, StreamedFit,
                         ::testing::ValuesIn(kCases), case_name);

struct Inferred {
  Evaluation evaluation;
  std::vector<float> predictions;
  std::string output;
};

// evaluate (weighted) and predict over the training set under `budget`.
Inferred infer(BackendKind kind, const char* budget, bool float_values) {
  vknn_test::ScopedEnv env("VKNN_TEST_DEVICE_MEMORY_BYTES", budget);
  const auto images = vknn_test::synthetic_images(kSamples, 10, 3, 11);
  std::vector<float> values(images.pixels.begin(), images.pixels.end());
  for (float& v : values) v /= 255.0f;
  const Samples x = float_values ? Samples::of_values(values, kSamples, {10, 10, 1}) : images.samples();
  std::vector<float> sample_weight(kSamples);
  for (std::size_t i = 0; i < sample_weight.size(); ++i) sample_weight[i] = 0.5f + float(i % 3) * 0.5f;
  Sequential model(small_model());
  model.compile(SGD(0.05f, 0.9f), vknn_test::on(kind));  // as budget_for
  char buffer[4096] = {};
  std::FILE* out = fmemopen(buffer, sizeof buffer - 1, "w");
  Inferred r;
  r.evaluation = model.evaluate(
      x, images.labels, {.batch_size = kBatch, .verbose = 2, .output = out, .sample_weight = sample_weight});
  r.predictions = model.predict(x, {.batch_size = kBatch, .verbose = 2, .output = out});
  std::fclose(out);
  r.output = buffer;
  return r;
}

// A validation error during a test fails it (VulkanTest).
class StreamedInference : public vknn_test::VulkanTest, public ::testing::WithParamInterface<Case> {};

TEST_P(StreamedInference, EvaluateAndPredictGiveTheResidentResultsBitForBit) {
  const Case c = GetParam();
  const Inferred resident = infer(c.kind, nullptr, c.float_values);
  const std::string budget = budget_for(2, c.float_values, /*validation=*/false);
  const Inferred streamed = infer(c.kind, budget.c_str(), c.float_values);
  EXPECT_EQ(resident.output.find("Streaming"), std::string::npos) << resident.output;
  // Once for evaluate, once for predict.
  const std::size_t first = streamed.output.find("in windows of 2 batches");
  ASSERT_NE(first, std::string::npos) << streamed.output;
  EXPECT_NE(streamed.output.find("in windows of 2 batches", first + 1), std::string::npos) << streamed.output;
  EXPECT_EQ(resident.evaluation.loss, streamed.evaluation.loss);
  EXPECT_EQ(resident.evaluation.accuracy, streamed.evaluation.accuracy);
  ASSERT_EQ(resident.predictions.size(), std::size_t(kSamples * 3));
  EXPECT_EQ(resident.predictions, streamed.predictions);
}

INSTANTIATE_TEST_SUITE_P(Backends, StreamedInference,
                         ::testing::ValuesIn(kCases), case_name);

TEST(StreamedDataset, WindowsAreUploadedOncePerWindowInTheEpochOrder) {
  const Architecture architecture = Architecture::build(small_model());
  Trainer trainer(architecture, SGD(0.05f), vknn_test::on(BackendKind::cpu));
  const auto images = vknn_test::synthetic_images(kSamples, 10, 3, 11);
  StreamedDataset streamed(trainer, images.samples(), images.labels, {}, kBatch, 2);
  EXPECT_EQ(streamed.window_samples(), 14);
  std::vector<std::uint32_t> order(kSamples);
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = std::uint32_t(kSamples - 1 - i);
  streamed.start_epoch(order, 0);
  for (std::int64_t step = 0; step < 6; ++step) streamed.before_step(step);
  EXPECT_EQ(streamed.uploads(), 3);
  // The window the device holds now is the third: epoch positions 28..39.
  trainer.backend().synchronize();
  std::vector<std::uint8_t> labels(14);
  trainer.backend().read(*streamed.device().labels, labels.data(), labels.size());
  for (std::size_t i = 0; i < 12; ++i) EXPECT_EQ(labels[i], images.labels[order[28 + i]]) << i;
  // A resumed epoch starting at step 3 stages window 1 first.
  streamed.start_epoch(order, 3);
  streamed.before_step(3);
  EXPECT_EQ(streamed.uploads(), 4);
  trainer.backend().read(*streamed.device().labels, labels.data(), labels.size());
  for (std::size_t i = 0; i < 14; ++i) EXPECT_EQ(labels[i], images.labels[order[14 + i]]) << i;
}

TEST(StreamedDataset, NotEvenOneBatchBesideTheModelIsRefusedWithTheBytes) {
  const std::string budget = budget_for(0, false, /*validation=*/false);
  vknn_test::ScopedEnv env("VKNN_TEST_DEVICE_MEMORY_BYTES", budget.c_str());
  const Architecture architecture = Architecture::build(small_model());
  Trainer trainer(architecture, SGD(0.05f, 0.9f), vknn_test::on(BackendKind::cpu));  // as budget_for
  const auto images = vknn_test::synthetic_images(kSamples, 10, 3, 11);
  const std::string message =
      vknn_test::error_of([&] { choose_streaming(trainer, images.samples(), true, kBatch, kBatch); });
  EXPECT_NE(message.find("fit: the training data (40 samples"), std::string::npos) << message;
  EXPECT_NE(message.find("not even one batch of 7 samples"), std::string::npos) << message;
  EXPECT_NE(message.find("smaller batch size"), std::string::npos) << message;
}

TEST(DeviceBudget, ADatasetGivesItsBytesBackWhenItIsDestroyed) {
  const Architecture architecture = Architecture::build(small_model());
  Trainer trainer(architecture, SGD(0.05f), vknn_test::on(BackendKind::cpu));
  const auto images = vknn_test::synthetic_images(kSamples, 10, 3, 11);
  const std::uint64_t model_bytes = trainer.device_bytes();
  {
    DeviceDataset data = trainer.upload(images.samples(), images.labels, "data");
    EXPECT_EQ(trainer.device_bytes(), model_bytes + trainer.dataset_bytes(kSamples, kSamples, false, false));
    DeviceDataset moved = std::move(data);  // counted once, whoever holds it
    EXPECT_EQ(trainer.device_bytes(), model_bytes + trainer.dataset_bytes(kSamples, kSamples, false, false));
  }
  EXPECT_EQ(trainer.device_bytes(), model_bytes);
}

TEST(StreamedDataset, DataThatFitsStaysResident) {
  const Architecture architecture = Architecture::build(small_model());
  Trainer trainer(architecture, SGD(0.05f), vknn_test::on(BackendKind::cpu));
  const auto images = vknn_test::synthetic_images(kSamples, 10, 3, 11);
  EXPECT_EQ(choose_streaming(trainer, images.samples(), true, kBatch, kBatch).window_batches, 0);
}

}  // namespace
}  // namespace vknn::model
