// Sigmoid, binary cross-entropy from logits and binary accuracy: the
// reference's values by hand and against the naive formulas where those are
// safe, its stability where they are not, the finite-difference gradient in
// double, and bad labels.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "gradient_check.hpp"
#include "test_util.hpp"
#include "vknn/cpu/reference_ops.hpp"

namespace vknn {
namespace {

using test::error_message;
using test::mentions;

TEST(Sigmoid, ValuesAndExtremes) {
  const std::vector<double> x{0.0, 2.0, -2.0, 800.0, -800.0};
  std::vector<double> y(x.size());
  cpu::sigmoid_forward<double>(std::int64_t(x.size()), x.data(), y.data());
  EXPECT_EQ(y[0], 0.5);
  EXPECT_NEAR(y[1], 1.0 / (1.0 + std::exp(-2.0)), 1e-15);
  EXPECT_NEAR(y[1] + y[2], 1.0, 1e-15);
  EXPECT_EQ(y[3], 1.0);  // no overflow to NaN
  EXPECT_GE(y[4], 0.0);
  EXPECT_LT(y[4], 1e-300);
}

TEST(SigmoidCrossEntropy, MatchesTheNaiveFormulaAndStaysFiniteFarOut) {
  const std::vector<double> z{0.3, -1.7, 4.0, 0.0, 90.0, -90.0};
  const std::vector<std::uint32_t> labels{1, 0, 0, 1, 0, 0};
  std::vector<double> loss(z.size()), dz(z.size());
  cpu::sigmoid_cross_entropy<double>(std::int64_t(z.size()), z.data(), labels.data(), 2.0,
                                     loss.data(), dz.data());
  for (std::size_t n = 0; n < 4; ++n) {
    const double p = 1.0 / (1.0 + std::exp(-z[n]));
    const double y = labels[n];
    EXPECT_NEAR(loss[n], -(y * std::log(p) + (1 - y) * std::log(1 - p)), 1e-12) << n;
    EXPECT_NEAR(dz[n], (p - y) / 2.0, 1e-15) << n;
  }
  EXPECT_NEAR(loss[3], std::log(2.0), 1e-15);
  // A confident wrong answer: loss ~ z, not inf; gradient (1 - 0) / 2.
  EXPECT_NEAR(loss[4], 90.0, 1e-12);
  EXPECT_NEAR(dz[4], 0.5, 1e-15);
  // A confident right answer: a tiny loss kept to full relative precision.
  EXPECT_NEAR(loss[5] / std::exp(-90.0), 1.0, 1e-12);
}

TEST(BinaryCountCorrect, ThresholdIsSigmoidHalfThatIsLogitZero) {
  const std::vector<float> z{0.1f, -0.1f, 0.0f, 3.0f};
  const std::vector<std::uint32_t> labels{1, 0, 0, 0};
  std::vector<std::uint32_t> correct(4, 7);
  cpu::binary_count_correct<float>(4, z.data(), labels.data(), correct.data());
  // sigmoid(0) = 0.5 is not > 0.5: predicted 0, as Keras's binary accuracy.
  EXPECT_EQ(correct, (std::vector<std::uint32_t>{1, 1, 1, 0}));
}

TEST(BinaryLossErrors, LabelsMustBeZeroOrOne) {
  const std::vector<float> z{0.1f, 0.2f};
  const std::vector<std::uint32_t> labels{1, 2};
  std::vector<float> loss(2), dz(2);
  std::vector<std::uint32_t> correct(2);
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::sigmoid_cross_entropy<float>(2, z.data(), labels.data(), 2.0f,
                                                           loss.data(), dz.data());
                       }),
                       {"sigmoid_cross_entropy", "label 2 of sample 1", "0 or 1"}));
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::binary_count_correct<float>(2, z.data(), labels.data(), correct.data());
                       }),
                       {"binary_count_correct", "label 2"}));
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::sigmoid_cross_entropy<float>(2, z.data(), labels.data(), 0.0f,
                                                           loss.data(), dz.data());
                       }),
                       {"sigmoid_cross_entropy", "gradient_divisor"}));
}

// RMSprop: two steps by hand, with and without momentum (the configuration
// holds floats, so the hand computation uses their double values).
TEST(Rmsprop, TwoStepsByHand) {
  RmspropConfig c;  // lr 0.001, rho 0.9, momentum 0, epsilon 1e-7
  const double lr = c.learning_rate, rho = c.rho, eps = c.epsilon;
  std::vector<double> w{1.0}, g{0.5}, v{0.0};
  cpu::rmsprop_update<double>(c, 1, w.data(), g.data(), v.data(), nullptr);
  const double v1 = (1 - rho) * 0.25;
  EXPECT_NEAR(v[0], v1, 1e-15);
  const double w1 = 1.0 - lr * 0.5 / (std::sqrt(v1) + eps);
  EXPECT_NEAR(w[0], w1, 1e-15);
  g[0] = -0.25;
  cpu::rmsprop_update<double>(c, 1, w.data(), g.data(), v.data(), nullptr);
  const double v2 = rho * v1 + (1 - rho) * 0.0625;
  EXPECT_NEAR(v[0], v2, 1e-15);
  EXPECT_NEAR(w[0], w1 + lr * 0.25 / (std::sqrt(v2) + eps), 1e-15);

  const RmspropConfig m{0.01f, 0.9f, 0.5f, 1e-7f};
  const double mlr = m.learning_rate, mrho = m.rho, meps = m.epsilon;
  std::vector<double> w2{0.0}, g2{1.0}, v3{0.0}, buffer{0.0};
  cpu::rmsprop_update<double>(m, 1, w2.data(), g2.data(), v3.data(), buffer.data());
  cpu::rmsprop_update<double>(m, 1, w2.data(), g2.data(), v3.data(), buffer.data());
  const double va = 1 - mrho, vb = mrho * va + (1 - mrho);
  const double s1 = 1.0 / (std::sqrt(va) + meps), s2 = 1.0 / (std::sqrt(vb) + meps);
  const double b1 = mlr * s1, b2 = 0.5 * b1 + mlr * s2;
  EXPECT_NEAR(buffer[0], b2, 1e-15);
  EXPECT_NEAR(w2[0], -(b1 + b2), 1e-15);
}

TEST(Rmsprop, BadHyperParametersAndMissingBuffers) {
  std::vector<float> w(3), g(3), v(3);
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::rmsprop_update<float>(RmspropConfig{0.001f, 1.0f, 0.0f, 1e-7f}, 3,
                                                    w.data(), g.data(), v.data(), nullptr);
                       }),
                       {"rmsprop_update", "rho", "[0, 1)"}));
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::rmsprop_update<float>(RmspropConfig{0.001f, 0.9f, 0.9f, 1e-7f}, 3,
                                                    w.data(), g.data(), v.data(), nullptr);
                       }),
                       {"rmsprop_update", "momentum_buffer is null"}));
}

}  // namespace
}  // namespace vknn
