// relu and softmax reference: hand-computed values, stability, bad
// arguments (their finite-difference checks are in tests/ops/gradient_entries.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
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

std::vector<double> relu(const std::vector<double>& x) {
  std::vector<double> y(x.size());
  cpu::relu_forward(std::int64_t(x.size()), x.data(), y.data());
  return y;
}

std::vector<double> softmax(const ClassesGeometry& g, const std::vector<double>& x) {
  std::vector<double> y(x.size());
  cpu::softmax_forward(g, x.data(), y.data());
  return y;
}

// ---- relu ----

TEST(Relu, ForwardAndBackward) {
  const std::vector<double> x{-2, -0.5, 0, 0.5, 3};
  const auto y = relu(x);
  EXPECT_EQ(y, (std::vector<double>{0, 0, 0, 0.5, 3}));
  std::vector<double> dx(5);
  const std::vector<double> dy{1, 2, 3, 4, 5};
  cpu::relu_backward(5, y.data(), dy.data(), dx.data());
  // The mask is y > 0: relu(0) = 0 passes no gradient (TensorFlow's choice).
  EXPECT_EQ(dx, (std::vector<double>{0, 0, 0, 4, 5}));
}

// A NaN must survive relu so that TerminateOnNaN can see it.
TEST(Relu, PropagatesNaN) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(std::isnan(relu({nan})[0]));
}

TEST(Relu, EmptyCountIsANoOp) {
  EXPECT_NO_THROW(cpu::relu_forward<float>(0, nullptr, nullptr));
  EXPECT_NO_THROW(cpu::relu_backward<float>(0, nullptr, nullptr, nullptr));
}

// ---- softmax ----

// softmax([1, 2, 3]) = e^k / (e + e^2 + e^3), k = 1, 2, 3.
TEST(Softmax, HandValues) {
  const auto y = softmax({1, 3}, {1, 2, 3});
  const double sum = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(y[0], std::exp(1.0) / sum, 1e-15);
  EXPECT_NEAR(y[1], std::exp(2.0) / sum, 1e-15);
  EXPECT_NEAR(y[2], std::exp(3.0) / sum, 1e-15);
  EXPECT_NEAR(y[0], 0.09003057317038046, 1e-15);
  EXPECT_NEAR(y[2], 0.6652409557748219, 1e-15);
}

TEST(Softmax, RowsSumToOne) {
  const ClassesGeometry g{.batch = 4, .classes = 10};
  const auto y = softmax(g, test::random_values(40, 61, -5.0, 5.0));
  for (int n = 0; n < g.batch; ++n) {
    double sum = 0.0;
    for (int c = 0; c < g.classes; ++c) sum += y[n * g.classes + c];
    EXPECT_NEAR(sum, 1.0, 1e-14) << "row " << n;
  }
}

// Without subtracting the row maximum, exp(1000) overflows to inf and the
// result is inf / inf = NaN.
TEST(Softmax, StableForHugeLogits) {
  const auto y = softmax({3, 3}, {1000, 1000, 1000,  //
                                  1000, 0, -1000,    //
                                  -1000, -1000, -1001});
  EXPECT_NEAR(y[0], 1.0 / 3.0, 1e-15);
  EXPECT_NEAR(y[1], 1.0 / 3.0, 1e-15);
  EXPECT_NEAR(y[3], 1.0, 1e-15);
  EXPECT_EQ(y[5], 0.0);  // exp(-2000) underflows, harmlessly
  const double e = std::exp(-1.0);
  EXPECT_NEAR(y[6], 1.0 / (2.0 + e), 1e-15);
  EXPECT_NEAR(y[8], e / (2.0 + e), 1e-15);

  // And in float, where exp overflows already at 89.
  const std::vector<float> x{1000.0f, 999.0f};
  std::vector<float> yf(2);
  cpu::softmax_forward(ClassesGeometry{1, 2}, x.data(), yf.data());
  EXPECT_NEAR(yf[0], 1.0 / (1.0 + std::exp(-1.0)), 1e-7);
  EXPECT_NEAR(yf[1], std::exp(-1.0) / (1.0 + std::exp(-1.0)), 1e-7);
}

TEST(Softmax, InPlace) {
  std::vector<double> x{1, 2, 3, 0, 0, 0};
  const auto expected = softmax({2, 3}, x);
  cpu::softmax_forward(ClassesGeometry{2, 3}, x.data(), x.data());
  EXPECT_EQ(x, expected);
}

// dx = y * (dy - sum(dy * y)) with y = [0.25, 0.75], dy = [1, 3]:
// sum = 0.25 + 2.25 = 2.5; dx = [0.25 * -1.5, 0.75 * 0.5].
TEST(Softmax, BackwardHandValues) {
  const std::vector<double> y{0.25, 0.75}, dy{1, 3};
  std::vector<double> dx(2);
  cpu::softmax_backward(ClassesGeometry{1, 2}, y.data(), dy.data(), dx.data());
  EXPECT_EQ(dx, (std::vector<double>{-0.375, 0.375}));
}

// ---- bad arguments ----

TEST(ActivationErrors, NegativeCountAndNullBuffers) {
  std::vector<double> buffer(4);
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::relu_forward<double>(-1, buffer.data(), buffer.data());
                       }),
                       {"relu_forward", "count", ">= 0", "-1"}));
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::relu_backward<double>(4, buffer.data(), nullptr, buffer.data());
                       }),
                       {"relu_backward", "dy is null", "4 elements"}));
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::softmax_forward<double>({2, 2}, nullptr, buffer.data());
                       }),
                       {"softmax_forward", "x is null", "4 elements", "logits 2x2"}));
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::softmax_backward<double>({2, 0}, buffer.data(), buffer.data(),
                                                       buffer.data());
                       }),
                       {"softmax", "classes", "got 0"}));
}

}  // namespace
}  // namespace vknn
