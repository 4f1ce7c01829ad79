// Losses and accuracy reference: hand-computed values, stability, bad
// labels (the fused losses' finite-difference checks: tests/ops/gradient_entries.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "gradient_check.hpp"
#include "test_util.hpp"
#include "vknn/cpu/reference_ops.hpp"

namespace vknn {
namespace {

using test::error_message;
using test::mentions;

struct LossAndGradient {
  std::vector<double> loss, dlogits;
};

LossAndGradient softmax_cross_entropy(const ClassesGeometry& g, const std::vector<double>& logits,
                                      const std::vector<std::uint32_t>& labels, double divisor) {
  LossAndGradient out{std::vector<double>(g.batch), std::vector<double>(logits.size())};
  cpu::softmax_cross_entropy(g, logits.data(), labels.data(), divisor, out.loss.data(),
                             out.dlogits.data());
  return out;
}

// ---- softmax + sparse categorical cross-entropy ----

// logits [1, 2, 3], label 2: loss = log(e + e^2 + e^3) - 3 = 0.4076059644...;
// dlogits = (softmax - onehot) / divisor with divisor 2 (the batch size).
TEST(SoftmaxCrossEntropy, HandValues) {
  const auto out = softmax_cross_entropy({2, 3}, {1, 2, 3, 1, 2, 3}, {2, 0}, 2.0);
  const double sum = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(out.loss[0], 0.40760596444438013, 1e-15);
  EXPECT_NEAR(out.loss[1], std::log(sum) - 1.0, 1e-15);
  EXPECT_NEAR(out.dlogits[0], (std::exp(1.0) / sum) / 2.0, 1e-15);
  EXPECT_NEAR(out.dlogits[1], (std::exp(2.0) / sum) / 2.0, 1e-15);
  EXPECT_NEAR(out.dlogits[2], (std::exp(3.0) / sum - 1.0) / 2.0, 1e-15);
  EXPECT_NEAR(out.dlogits[3], (std::exp(1.0) / sum - 1.0) / 2.0, 1e-15);
}

TEST(SoftmaxCrossEntropy, StableForHugeLogits) {
  const auto out = softmax_cross_entropy({2, 2}, {1000, 0, 1000, 0}, {0, 1}, 1.0);
  EXPECT_NEAR(out.loss[0], 0.0, 1e-15);
  EXPECT_NEAR(out.loss[1], 1000.0, 1e-12);
  EXPECT_NEAR(out.dlogits[2], 1.0, 1e-15);
  EXPECT_NEAR(out.dlogits[3], -1.0, 1e-15);

  const std::vector<float> logits{-1000.0f, 1000.0f};
  const std::vector<std::uint32_t> label{0};
  float loss = 0.0f;
  std::vector<float> dlogits(2);
  cpu::softmax_cross_entropy(ClassesGeometry{1, 2}, logits.data(), label.data(), 1.0f, &loss,
                             dlogits.data());
  EXPECT_EQ(loss, 2000.0f);
  EXPECT_EQ(dlogits[0], -1.0f);
  EXPECT_EQ(dlogits[1], 1.0f);
}

// ---- cross-entropy from probabilities ----

TEST(CrossEntropyFromProbabilities, HandValuesAndKerasClipping) {
  const std::vector<double> p{0.2, 0.5, 0.3,  //
                              0.0, 1.0, 0.0,  //
                              0.0, 1.0, 0.0};
  const std::vector<std::uint32_t> labels{1, 0, 1};
  std::vector<double> loss(3);
  cpu::cross_entropy_from_probabilities(ClassesGeometry{3, 3}, p.data(), labels.data(),
                                        loss.data());
  EXPECT_NEAR(loss[0], std::log(2.0), 1e-15);
  // p = 0 is clipped up to eps = 1e-7: -log(1e-7) = 7 ln 10, not infinity.
  EXPECT_NEAR(loss[1], 7.0 * std::log(10.0), 1e-12);
  // p = 1 is clipped down to 1 - eps: -log(1 - 1e-7), about 1e-7, not 0.
  EXPECT_NEAR(loss[2], -std::log1p(-1e-7), 1e-15);
}

// ---- accuracy ----

TEST(CountCorrect, ArgmaxTiesGoToFirstIndex) {
  const std::vector<float> scores{1, 3, 3,  // argmax 1 (first of the tie)
                                  1, 3, 3,  // argmax 1, label 2: wrong
                                  5, 1, 1,  // argmax 0
                                  0, 0, 0};  // all tied: argmax 0
  const std::vector<std::uint32_t> labels{1, 2, 0, 0};
  EXPECT_EQ(cpu::count_correct(ClassesGeometry{4, 3}, scores.data(), labels.data()), 3);
  const auto scores_d = test::convert<double>(scores);
  EXPECT_EQ(cpu::count_correct(ClassesGeometry{4, 3}, scores_d.data(), labels.data()), 3);
}

// ---- bad arguments ----

// A label outside [0, classes) names the label, its row and the class count.
TEST(LossErrors, LabelOutOfRangeNamesValueAndClassCount) {
  const ClassesGeometry g{2, 10};
  std::vector<double> scores(20), loss(2), dlogits(20);
  const std::vector<std::uint32_t> labels{3, 10};
  const std::vector<std::string> parts{"label 10", "row 1", "10 classes", "[0, 10)"};
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::softmax_cross_entropy(g, scores.data(), labels.data(), 2.0,
                                                    loss.data(), dlogits.data());
                       }),
                       parts));
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::cross_entropy_from_probabilities(g, scores.data(), labels.data(),
                                                               loss.data());
                       }),
                       parts));
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::count_correct(g, scores.data(), labels.data());
                       }),
                       parts));
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::softmax_cross_entropy(g, scores.data(), labels.data(), 2.0,
                                                    loss.data(), dlogits.data());
                       }),
                       {"softmax_cross_entropy"}));
}

TEST(LossErrors, BadDivisorShapeAndBuffers) {
  std::vector<double> scores(6), loss(2), dlogits(6);
  const std::vector<std::uint32_t> labels{0, 1};
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::softmax_cross_entropy(ClassesGeometry{2, 3}, scores.data(),
                                                    labels.data(), 0.0, loss.data(),
                                                    dlogits.data());
                       }),
                       {"softmax_cross_entropy", "gradient_divisor", "positive", "got 0"}));
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::count_correct(ClassesGeometry{0, 3}, scores.data(), labels.data());
                       }),
                       {"count_correct", "batch", "positive", "logits 0x3"}));
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::softmax_cross_entropy(ClassesGeometry{2, 3}, scores.data(),
                                                    labels.data(), 2.0, loss.data(),
                                                    static_cast<double*>(nullptr));
                       }),
                       {"softmax_cross_entropy", "dlogits is null", "6 elements"}));
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::cross_entropy_from_probabilities<double>(
                             ClassesGeometry{2, 3}, scores.data(), nullptr, loss.data());
                       }),
                       {"cross_entropy_from_probabilities", "labels is null", "2 elements"}));
}

}  // namespace
}  // namespace vknn
