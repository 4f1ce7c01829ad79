// The Dropout layer: shape and summary row, training on both backends with
// the same mask (so the same parameters), identity in evaluate and predict,
// a seed that reproduces a run, and learning with it.
#include <gtest/gtest.h>

#include <cmath>

#include "model/architecture.hpp"
#include "model/training_support.hpp"
#include "support/error_text.hpp"

namespace {

using namespace vknn;
using vknn_test::max_abs_difference;
using vknn_test::on;
using vknn_test::synthetic_images;

std::vector<Layer> dropout_model(std::optional<std::uint64_t> seed = std::nullopt, float rate = 0.3f) {
  return {Conv2D(4, {3, 3}, Activation::relu, Shape{8, 8, 1}), MaxPooling2D(2, 2), Flatten(),
          Dense(16, Activation::relu), Dropout(rate, seed), Dense(4, Activation::softmax)};
}

TEST(DropoutLayer, KeepsTheShapeHasNoParametersAndAKerasName) {
  const model::Architecture a = model::Architecture::build(dropout_model());
  EXPECT_EQ(a[4].name, "dropout");
  EXPECT_EQ(std::string(a[4].type_name()), "Dropout");
  EXPECT_EQ(a[4].output_shape, (Shape{16}));
  EXPECT_EQ(a[4].params, 0);
  EXPECT_NE(a.summary().find(" dropout (Dropout)           (None, 16)                0         \n"),
            std::string::npos)
      << a.summary();
  const std::string message = vknn_test::error_of([] { model::Architecture::build(dropout_model(1, 1.0f)); });
  EXPECT_NE(message.find("layer dropout (Dropout): rate must be in [0, 1), got 1"), std::string::npos)
      << message;
}

class DropoutTraining : public vknn_test::VulkanTest {};

std::vector<std::vector<float>> trained(const std::vector<Layer>& layers, BackendKind kind,
                                        const vknn_test::SyntheticImages& data,
                                        std::uint64_t compile_seed = 7) {
  Sequential model(layers);
  model.compile(SGD(0.05f, 0.9f), on(kind, compile_seed));
  model.fit(data.samples(), data.labels, {.epochs = 2, .batch_size = 16, .verbose = 0});
  return model.get_weights();
}

// Both backends draw the same mask (Philox on the step), so they end with
// the same parameters; without the same mask they would differ by ~lr.
TEST_F(DropoutTraining, VulkanAndCpuDropTheSameUnits) {
  const auto data = synthetic_images(70, 8, 4, 21);
  const auto cpu = trained(dropout_model(), BackendKind::cpu, data);
  const auto vulkan = trained(dropout_model(), BackendKind::vulkan, data);
  EXPECT_LT(max_abs_difference(cpu, vulkan), 1e-5);
}

TEST_F(DropoutTraining, TheSeedDecidesTheMask) {
  const auto data = synthetic_images(64, 8, 4, 22);
  const auto a = trained(dropout_model(5), BackendKind::vulkan, data);
  // The same layer seed reproduces the run (the compile seed, which also
  // initialises the weights, stays the same throughout).
  EXPECT_EQ(a, trained(dropout_model(5), BackendKind::vulkan, data));
  EXPECT_GT(max_abs_difference(a, trained(dropout_model(6), BackendKind::vulkan, data)), 1e-4);
  // Without a layer seed the mask follows the compile seed.
  EXPECT_EQ(trained(dropout_model(), BackendKind::vulkan, data, 3),
            trained(dropout_model(), BackendKind::vulkan, data, 3));
}

// Evaluate and predict see no dropout: the same weights give the same
// predictions as a model without the Dropout layer.
TEST_F(DropoutTraining, EvaluateAndPredictPassTheInputThrough) {
  const auto data = synthetic_images(40, 8, 4, 23);
  Sequential with(dropout_model(9, 0.8f));
  with.compile(Adam(), on(BackendKind::vulkan));
  with.fit(data.samples(), data.labels, {.epochs = 1, .verbose = 0});
  Sequential without({Conv2D(4, {3, 3}, Activation::relu, Shape{8, 8, 1}), MaxPooling2D(2, 2),
                      Flatten(), Dense(16, Activation::relu), Dense(4, Activation::softmax)});
  without.compile(Adam(), on(BackendKind::vulkan));
  without.set_weights(with.get_weights());
  EXPECT_EQ(with.predict(data.samples()), without.predict(data.samples()));
  const Evaluation a = with.evaluate(data.samples(), data.labels, {.verbose = 0});
  const Evaluation b = without.evaluate(data.samples(), data.labels, {.verbose = 0});
  EXPECT_EQ(a.loss, b.loss);
  EXPECT_EQ(a.accuracy, b.accuracy);
}

TEST_F(DropoutTraining, LearnsTheSyntheticTaskWithDropout) {
  const auto train = synthetic_images(512, 8, 4, 24);
  const auto test = synthetic_images(256, 8, 4, 25);
  Sequential model(dropout_model(std::nullopt, 0.2f));
  model.compile(Adam(0.01f), on(BackendKind::vulkan));
  model.fit(train.samples(), train.labels, {.epochs = 6, .batch_size = 32, .verbose = 0});
  EXPECT_GT(model.evaluate(test.samples(), test.labels, {.verbose = 0}).accuracy, 0.9);
}

}  // namespace
