// Keras's sample weights: fit's class_weight and sample_weight, evaluate's
// and validation_data's sample_weight. Keras weighs each sample's loss (so
// its gradient) and its accuracy count: loss = sum(w * loss) / samples,
// accuracy = sum(w * correct) / sum(w).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "model/training_support.hpp"
#include "support/error_text.hpp"

namespace {

using namespace vknn;
using vknn_test::expect_error_mentions;
using vknn_test::max_abs_difference;
using vknn_test::on;
using vknn_test::synthetic_images;
using vknn_test::weight_bytes;

constexpr int kSide = 8;
constexpr int kClasses = 3;

vknn_test::SyntheticImages data(std::int64_t count, std::uint32_t seed) {
  return synthetic_images(count, kSide, kClasses, seed);
}

std::vector<Layer> model_layers() { return vknn_test::small_cnn(kSide, kClasses); }

// Weights 0.5, 1, 3 by label: what class_weight {0: 0.5, 2: 3} gives.
std::vector<float> weights_by_label(const std::vector<std::uint8_t>& labels) {
  std::vector<float> w;
  for (const std::uint8_t label : labels) w.push_back(label == 0 ? 0.5f : label == 2 ? 3.0f : 1.0f);
  return w;
}

class SampleWeights : public vknn_test::VulkanTest {};

// All-ones weights change nothing: every multiplication is by exactly 1.
TEST_F(SampleWeights, OnesTrainAsNoWeights) {
  const auto train = data(70, 1);
  const std::vector<float> ones(std::size_t(train.count), 1.0f);
  History history[2];
  std::vector<std::uint8_t> weights[2];
  for (int weighted = 0; weighted < 2; ++weighted) {
    Sequential model(model_layers());
    model.compile(Adam(0.01f), on(BackendKind::vulkan));
    FitOptions options{.epochs = 2, .batch_size = 16, .verbose = 0, .seed = 3};
    if (weighted) options.sample_weight = ones;
    history[weighted] = model.fit(train.samples(), train.labels, options);
    weights[weighted] = weight_bytes(model);
  }
  EXPECT_EQ(weights[0], weights[1]);
  EXPECT_EQ(history[0].history, history[1].history);
}

// Weights of 2 double every loss and every gradient, exactly (a power of
// two): with plain SGD that is the unweighted run at twice the learning
// rate, bit for bit; the reported loss is twice the unweighted one and the
// accuracy (weighted by equal weights) the same.
TEST_F(SampleWeights, TwosAreTwiceTheLearningRate) {
  const auto train = data(70, 2);
  const std::vector<float> twos(std::size_t(train.count), 2.0f);
  Sequential weighted(model_layers());
  weighted.compile(SGD(0.01f), on(BackendKind::vulkan));
  const History a = weighted.fit(train.samples(), train.labels,
                                 {.epochs = 2, .batch_size = 16, .verbose = 0, .seed = 4, .sample_weight = twos});
  Sequential faster(model_layers());
  faster.compile(SGD(0.02f), on(BackendKind::vulkan));
  const History b = faster.fit(train.samples(), train.labels, {.epochs = 2, .batch_size = 16, .verbose = 0, .seed = 4});
  EXPECT_EQ(weight_bytes(weighted), weight_bytes(faster));
  for (int e = 0; e < 2; ++e) {
    EXPECT_DOUBLE_EQ(a.history.at("loss")[e], 2.0 * b.history.at("loss")[e]);
    EXPECT_DOUBLE_EQ(a.history.at("accuracy")[e], b.history.at("accuracy")[e]);
  }
}

// class_weight is sample weights by label; both given multiply.
TEST_F(SampleWeights, ClassWeightIsSampleWeightsByLabel) {
  const auto train = data(70, 5);
  const std::map<int, double> class_weight{{0, 0.5}, {2, 3.0}};
  const std::vector<float> by_label = weights_by_label(train.labels);
  std::vector<float> halves(std::size_t(train.count), 0.5f), product;
  for (float w : by_label) product.push_back(w * 0.5f);

  const auto run = [&](FitOptions options) {
    Sequential model(model_layers());
    model.compile(Adam(0.01f), on(BackendKind::vulkan));
    options.epochs = 2;
    options.batch_size = 16;
    options.verbose = 0;
    options.seed = 6;
    const History h = model.fit(train.samples(), train.labels, options);
    return std::pair{weight_bytes(model), h.history};
  };
  const auto from_classes = run({.class_weight = class_weight});
  const auto from_samples = run({.sample_weight = by_label});
  EXPECT_EQ(from_classes.first, from_samples.first);
  EXPECT_EQ(from_classes.second, from_samples.second);
  const auto both = run({.class_weight = class_weight, .sample_weight = halves});
  const auto multiplied = run({.sample_weight = product});
  EXPECT_EQ(both.first, multiplied.first);
  EXPECT_EQ(both.second, multiplied.second);
  // And the weighting did something.
  const auto plain = run({});
  EXPECT_NE(plain.first, from_classes.first);
}

// evaluate's figures are Keras's: sum(w * loss) / samples and
// sum(w * correct) / sum(w), computed here from predict's probabilities.
TEST_F(SampleWeights, EvaluateReportsKerasWeightedFigures) {
  const auto train = data(96, 7);
  const auto test = data(45, 8);
  std::vector<float> w(std::size_t(test.count));
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = float(i % 4) * 0.75f;  // some zero
  for (BackendKind kind : {BackendKind::cpu, BackendKind::vulkan}) {
    Sequential model(model_layers());
    model.compile(Adam(0.01f), on(kind));
    model.fit(train.samples(), train.labels, {.epochs = 1, .batch_size = 16, .verbose = 0});
    const auto p = model.predict(test.samples());
    double loss = 0, correct = 0, weights = 0;
    int plain_correct = 0;
    for (std::int64_t i = 0; i < test.count; ++i) {
      const float* row = p.data() + i * kClasses;
      const int label = test.labels[std::size_t(i)];
      loss += w[std::size_t(i)] * -std::log(std::clamp(double(row[label]), 1e-7, 1 - 1e-7));
      const bool right = std::max_element(row, row + kClasses) - row == label;
      correct += right ? w[std::size_t(i)] : 0.0;
      plain_correct += right;
      weights += w[std::size_t(i)];
    }
    const Evaluation e = model.evaluate(test.samples(), test.labels, {.verbose = 0, .sample_weight = w});
    EXPECT_NEAR(e.loss, loss / double(test.count), 2e-5) << (kind == BackendKind::cpu ? "cpu" : "vulkan");
    EXPECT_NEAR(e.accuracy, correct / weights, 1e-6) << (kind == BackendKind::cpu ? "cpu" : "vulkan");
    const Evaluation unweighted = model.evaluate(test.samples(), test.labels, {.verbose = 0});
    EXPECT_NEAR(unweighted.accuracy, double(plain_correct) / double(test.count), 1e-9);
  }
}

// validation_data's weights give val_loss and val_accuracy as evaluate
// gives them with the same weights.
TEST_F(SampleWeights, ValidationDataTakesWeights) {
  const auto train = data(64, 9);
  const auto validation = data(40, 10);
  const std::vector<float> w = weights_by_label(validation.labels);
  Sequential model(model_layers());
  model.compile(Adam(0.01f), on(BackendKind::vulkan));
  const History h = model.fit(
      train.samples(), train.labels,
      {.epochs = 1, .batch_size = 32, .validation_data = ValidationData{validation.samples(), validation.labels, w},
       .verbose = 0});
  const Evaluation e =
      model.evaluate(validation.samples(), validation.labels, {.batch_size = 32, .verbose = 0, .sample_weight = w});
  EXPECT_NEAR(h.history.at("val_loss")[0], e.loss, 1e-7);
  EXPECT_NEAR(h.history.at("val_accuracy")[0], e.accuracy, 1e-9);
  const Evaluation plain = model.evaluate(validation.samples(), validation.labels, {.batch_size = 32, .verbose = 0});
  EXPECT_NE(plain.loss, e.loss);
}

// The same weighted steps on both backends end with the same parameters
// (SGD with momentum, linear in the gradient) and the same metrics.
TEST_F(SampleWeights, VulkanAndCpuAgree) {
  const auto fitted = vknn_test::fit_on_both_backends(
      model_layers(), SGD(0.05f, 0.9f), data(70, 11),
      {.epochs = 2, .batch_size = 32, .verbose = 0, .seed = 5, .class_weight = {{1, 2.5}, {2, 0.25}}});
  EXPECT_LT(max_abs_difference(fitted.weights[0], fitted.weights[1]), 1e-5);
  vknn_test::expect_same_history(fitted, 2, 1e-5, 1e-6);
}

TEST_F(SampleWeights, BadWeightsAreRefusedNamingTheProblem) {
  const auto train = data(20, 12);
  Sequential model(model_layers());
  model.compile(Adam(), on(BackendKind::cpu));
  const auto fit = [&](FitOptions options) {
    options.verbose = 0;
    model.fit(train.samples(), train.labels, options);
  };
  const std::vector<float> short_weights(19, 1.0f);
  expect_error_mentions([&] { fit({.sample_weight = short_weights}); },
                        {"fit: sample_weight has 19 weights but there are 20 samples"});
  std::vector<float> bad(20, 1.0f);
  bad[7] = -1.0f;
  expect_error_mentions([&] { fit({.sample_weight = bad}); }, {"sample_weight[7] is -1", "finite and >= 0"});
  bad[7] = std::numeric_limits<float>::quiet_NaN();
  expect_error_mentions([&] { fit({.sample_weight = bad}); }, {"sample_weight[7] is nan"});
  expect_error_mentions([&] { fit({.class_weight = {{3, 1.0}}}); },
                        {"class_weight names class 3, but the labels are 0..2"});
  expect_error_mentions([&] { fit({.class_weight = {{1, std::numeric_limits<double>::infinity()}}}); },
                        {"class_weight[1] is inf"});
  expect_error_mentions(
      [&] {
        fit({.validation_data = ValidationData{train.samples(), train.labels, short_weights}});
      },
      {"fit (validation_data): sample_weight has 19 weights but there are 20 samples"});
  expect_error_mentions(
      [&] { model.evaluate(train.samples(), train.labels, {.verbose = 0, .sample_weight = short_weights}); },
      {"evaluate: sample_weight has 19 weights"});
}

}  // namespace
