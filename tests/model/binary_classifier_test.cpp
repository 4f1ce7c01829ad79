// A binary classifier (the course's week 4): Dense(1, sigmoid) with
// binary cross-entropy and binary accuracy, trained with RMSprop; and the
// errors a user meets on the way.
#include <gtest/gtest.h>

#include <cmath>

#include "model/training_support.hpp"
#include "support/error_text.hpp"

namespace {

using namespace vknn;
using vknn_test::expect_same_history;
using vknn_test::fit_on_both_backends;
using vknn_test::max_abs_difference;
using vknn_test::on;
using vknn_test::synthetic_images;

// Two classes: the synthetic images of classes 0 and 1 (bright top-left or
// top-right quadrant), labels 0 and 1.
vknn_test::SyntheticImages two_classes(std::int64_t count, std::uint32_t seed) {
  return synthetic_images(count, 8, 2, seed);
}

std::vector<Layer> binary_model() {
  return {Conv2D(4, {3, 3}, Activation::relu, Shape{8, 8, 1}), MaxPooling2D(2, 2), Flatten(),
          Dense(8, Activation::relu), Dense(1, Activation::sigmoid)};
}

CompileOptions binary(BackendKind kind) {
  CompileOptions options = on(kind);
  options.loss = "binary_crossentropy";
  return options;
}

class BinaryClassifier : public vknn_test::VulkanTest {};

TEST_F(BinaryClassifier, LearnsWithRmspropOnVulkan) {
  const auto train = two_classes(512, 11);
  const auto test = two_classes(256, 12);
  Sequential model(binary_model());
  model.compile(RMSprop(0.003f), binary(BackendKind::vulkan));
  const History h =
      model.fit(train.samples(), train.labels, {.epochs = 4, .batch_size = 32, .verbose = 0});
  EXPECT_LT(h.history.at("loss").back(), h.history.at("loss").front());
  const Evaluation e = model.evaluate(test.samples(), test.labels, {.verbose = 0});
  EXPECT_GT(e.accuracy, 0.95);
  // predict gives one probability per sample, on the right side of 0.5.
  const auto p = model.predict(test.samples());
  ASSERT_EQ(p.size(), std::size_t(test.count));
  int right = 0;
  for (std::int64_t i = 0; i < test.count; ++i) {
    ASSERT_GT(p[i], 0.0f);
    ASSERT_LT(p[i], 1.0f);
    right += (p[i] > 0.5f) == (test.labels[i] == 1);
  }
  EXPECT_NEAR(double(right) / double(test.count), e.accuracy, 1e-9);
}

// The same steps on both backends end with the same parameters (SGD with
// momentum, linear in the gradient; see sequential_training_test.cpp) and
// the same metrics.
TEST_F(BinaryClassifier, VulkanAndCpuAgree) {
  const auto fitted = fit_on_both_backends(binary_model(), SGD(0.05f, 0.9f), two_classes(70, 13),
                                           {.epochs = 2, .batch_size = 32, .verbose = 0, .seed = 5},
                                           binary);
  EXPECT_LT(max_abs_difference(fitted.weights[0], fitted.weights[1]), 1e-5);
  expect_same_history(fitted, 2, 1e-5);
}

// RMSprop with momentum on both backends: its state is carried step to step.
TEST_F(BinaryClassifier, RmspropWithMomentumAgreesAcrossBackends) {
  const auto fitted = fit_on_both_backends(binary_model(), RMSprop(0.001f, 0.9f, 0.5f),
                                           two_classes(64, 14),
                                           {.epochs = 1, .batch_size = 16, .verbose = 0}, binary);
  // RMSprop divides by sqrt(v) like Adam: compare loosely, a wrong update
  // moves weights by ~lr per step (1e-3).
  EXPECT_LT(max_abs_difference(fitted.weights[0], fitted.weights[1]), 2e-4);
}

TEST(BinaryClassifierErrors, LossAndOutputLayerMustMatch) {
  Sequential ten({Flatten(Shape{4, 4, 1}), Dense(10, Activation::softmax)});
  std::string message = vknn_test::error_of([&] { ten.compile(Adam(), binary(BackendKind::cpu)); });
  EXPECT_NE(message.find("binary cross-entropy needs a last layer Dense(1, activation='sigmoid')"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("output shape (10)"), std::string::npos) << message;

  Sequential sigmoid({Flatten(Shape{4, 4, 1}), Dense(1, Activation::sigmoid)});
  message = vknn_test::error_of([&] { sigmoid.compile(Adam(), on(BackendKind::cpu)); });
  EXPECT_NE(message.find("a sigmoid output goes with loss 'binary_crossentropy'"), std::string::npos)
      << message;

  CompileOptions unknown = on(BackendKind::cpu);
  unknown.loss = "hinge";
  message = vknn_test::error_of([&] { sigmoid.compile(Adam(), unknown); });
  EXPECT_NE(message.find("'binary_crossentropy' (labels 0 or 1)"), std::string::npos) << message;

  message = vknn_test::error_of([&] { sigmoid.compile(RMSprop(0.001f, 1.0f), binary(BackendKind::cpu)); });
  EXPECT_NE(message.find("compile: RMSprop needs rho and momentum in [0, 1)"), std::string::npos) << message;
}

TEST(BinaryClassifierErrors, SigmoidOnlyOnTheLastLayer) {
  const std::string message = vknn_test::error_of([] {
    Sequential({Flatten(Shape{4, 4, 1}), Dense(4, Activation::sigmoid), Dense(1)});
  });
  EXPECT_NE(message.find("activation 'sigmoid' is supported only on the last layer"),
            std::string::npos)
      << message;
}

TEST(BinaryClassifierErrors, LabelsMustBeZeroOrOne) {
  Sequential model({Flatten(Shape{2, 2, 1}), Dense(1, Activation::sigmoid)});
  model.compile(Adam(), binary(BackendKind::cpu));
  std::vector<std::uint8_t> pixels(12, 9), labels{0, 1, 2};
  const std::string message = vknn_test::error_of(
      [&] { model.fit(Samples{pixels, 3, {2, 2, 1}}, labels, {.verbose = 0}); });
  EXPECT_NE(message.find("label 2 of sample 2 is out of range"), std::string::npos) << message;
  EXPECT_NE(message.find("0..1"), std::string::npos) << message;
}

}  // namespace
