// fit with FitOptions::augmentation: the training step gathers through
// op::GatherAugmentedBatch and nothing else changes. A seed reproduces the
// run bit for bit, the CPU reference and Vulkan train to the same weights,
// the step costs the host what a plain step costs (the counters), and
// validation is never augmented.
#include <gtest/gtest.h>

#include <string>

#include "model/training_support.hpp"
#include "support/error_text.hpp"
#include "vknn/error.hpp"

namespace {

using namespace vknn;
using vknn_test::max_abs_difference;
using vknn_test::on;
using vknn_test::synthetic_images;

class Augmented : public vknn_test::VulkanTest {};

// The course's cats-vs-dogs settings on small pictures.
Augmentation course_augmentation(std::uint64_t seed) {
  return {.rotation_range = 40.0f,
          .width_shift_range = {0.2f},
          .height_shift_range = {0.2f},
          .shear_range = 0.2f,
          .zoom_range = Augmentation::zoom(0.2f),
          .horizontal_flip = true,
          .seed = seed};
}

std::vector<std::vector<float>> fit_weights(const vknn_test::SyntheticImages& data,
                                            const FitOptions& options, BackendKind kind) {
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(SGD(0.05f, 0.9f), on(kind));
  model.fit(data.samples(), data.labels, options);
  return model.get_weights();
}

TEST_F(Augmented, ASeedReproducesTheRunBitForBit) {
  const auto data = synthetic_images(70, 8, 4, 1);  // a partial last batch
  FitOptions options{.epochs = 2, .batch_size = 32, .verbose = 0, .seed = 3};
  options.augmentation = course_augmentation(11);
  const auto first = fit_weights(data, options, BackendKind::vulkan);
  EXPECT_EQ(first, fit_weights(data, options, BackendKind::vulkan));
  options.augmentation->seed = 12;
  EXPECT_NE(first, fit_weights(data, options, BackendKind::vulkan));
  options.augmentation.reset();
  const auto plain = fit_weights(data, options, BackendKind::vulkan);
  EXPECT_GT(max_abs_difference(first, plain), 1e-4);  // augmentation changed the training
  // Settings at their defaults are the plain gather: the same bits.
  options.augmentation = Augmentation{.fill_mode = FillMode::reflect, .seed = 4};
  EXPECT_EQ(plain, fit_weights(data, options, BackendKind::vulkan));
}

TEST_F(Augmented, VulkanAndCpuTrainToTheSameWeights) {
  // The gathered batches are equal bit for bit (the op table), so the two
  // backends differ only by the model's float sums, as in
  // SequentialTraining.VulkanAndCpuEndWithTheSameParameters.
  FitOptions options{.epochs = 2, .batch_size = 32, .verbose = 0, .seed = 3};
  options.augmentation = course_augmentation(5);
  options.augmentation->fill_mode = FillMode::wrap;
  const auto fitted = vknn_test::fit_on_both_backends(
      vknn_test::small_cnn(8, 4), SGD(0.05f, 0.9f), synthetic_images(70, 8, 4, 2), options);
  EXPECT_LT(max_abs_difference(fitted.weights[0], fitted.weights[1]), 1e-5);
  vknn_test::expect_same_history(fitted, 2, 1e-4);
}

TEST_F(Augmented, TheStepCostsTheHostWhatAPlainStepCosts) {
  // Issue 19: "the step does no host work per step (the counters show it)".
  // An augmented fit records, launches, waits and uploads exactly as much as
  // the same fit without augmentation: the draw and the transform happen on
  // the device, inside the recorded step.
  const auto data = synthetic_images(1000, 8, 4, 4);  // 32 steps, last one partial
  ExecutionCounters cost[2];
  for (int augmented = 0; augmented < 2; ++augmented) {
    Sequential model(vknn_test::small_cnn(8, 4));
    model.compile(Adam(), on(BackendKind::vulkan));
    FitOptions options{.epochs = 3, .verbose = 0};
    if (augmented) options.augmentation = course_augmentation(1);
    const auto before = model.counters();
    model.fit(data.samples(), data.labels, options);
    const auto after = model.counters();
    cost[augmented] = {after.launches - before.launches, after.host_waits - before.host_waits,
                       after.recordings - before.recordings,
                       after.bytes_uploaded - before.bytes_uploaded};
  }
  EXPECT_EQ(cost[1].launches, cost[0].launches);
  EXPECT_EQ(cost[1].launches, 3u * 32u);
  EXPECT_EQ(cost[1].recordings, cost[0].recordings);
  EXPECT_EQ(cost[1].host_waits, cost[0].host_waits);
  EXPECT_EQ(cost[1].bytes_uploaded, cost[0].bytes_uploaded);
}

TEST_F(Augmented, ValidationIsNeverAugmented) {
  // With a learning rate of 0 the weights never move: validation on the
  // training data itself must then equal evaluate (plain), while the
  // training loss (augmented pictures) differs.
  const auto data = synthetic_images(64, 8, 4, 5);
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(SGD(0.0f), on(BackendKind::vulkan));
  FitOptions options{.epochs = 1, .verbose = 0};
  options.validation_data = ValidationData{data.samples(), data.labels};
  options.augmentation = course_augmentation(2);
  options.augmentation->vertical_flip = true;
  const History h = model.fit(data.samples(), data.labels, options);
  const Evaluation e = model.evaluate(data.samples(), data.labels, {.verbose = 0});
  EXPECT_EQ(h.history.at("val_loss")[0], e.loss);
  EXPECT_NE(h.history.at("loss")[0], e.loss);
}

TEST_F(Augmented, BadSettingsAndInputsAreRefused) {
  const auto data = synthetic_images(40, 8, 4, 6);
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(Adam(), on(BackendKind::cpu));
  FitOptions options{.epochs = 1, .verbose = 0};
  options.augmentation = Augmentation{.rotation_range = -1.0f};
  vknn_test::expect_error_mentions([&] { model.fit(data.samples(), data.labels, options); },
                                   {"rotation_range must be a finite number >= 0, got -1"});
  // A model whose input is not a picture.
  Sequential dense({Dense(4, Activation::softmax, Shape{64})});
  dense.compile(Adam(), on(BackendKind::cpu));
  const Samples flat{data.pixels, data.count, {64}};
  options.augmentation = course_augmentation(1);
  vknn_test::expect_error_mentions([&] { dense.fit(flat, data.labels, options); },
                                   {"augmentation transforms pictures", "(64)",
                                    "is not (height, width, channels)"});
}

}  // namespace
