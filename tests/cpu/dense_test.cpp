// Dense reference: hand-computed forwards, bad arguments (finite-difference
// checks: tests/ops/gradient_entries.cpp).
#include <gtest/gtest.h>

#include <cmath>
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

std::vector<double> dense(const DenseGeometry& g, const std::vector<double>& x,
                          const std::vector<double>& kernel, const std::vector<double>& bias,
                          Activation act = Activation::linear) {
  std::vector<double> y(std::size_t(g.batch) * g.out_features);
  cpu::dense_forward(g, x.data(), kernel.data(), bias.data(), y.data(), act);
  return y;
}

// ---- forward, by hand ----

// x = [1, 2], kernel (in, out) = [[1, 2, 3], [4, 5, 6]], bias [0.5, -0.5, 0]:
// y = [1 + 8 + 0.5, 2 + 10 - 0.5, 3 + 12].
TEST(DenseForward, KernelIsInByOut) {
  const DenseGeometry g{.batch = 1, .in_features = 2, .out_features = 3};
  EXPECT_EQ(dense(g, {1, 2}, {1, 2, 3, 4, 5, 6}, {0.5, -0.5, 0}),
            (std::vector<double>{9.5, 11.5, 15}));
}

TEST(DenseForward, BatchRowsAndRelu) {
  const DenseGeometry g{.batch = 2, .in_features = 2, .out_features = 3};
  // Row 1 is x = [-1, 1]: [-1 + 4, -2 + 5, -3 + 6] = [3, 3, 3]; bias -10..-2.
  EXPECT_EQ(dense(g, {1, 2, -1, 1}, {1, 2, 3, 4, 5, 6}, {-10, -2, -14}, Activation::relu),
            (std::vector<double>{0, 10, 1, 0, 1, 0}));
}

// Keras' Dense(activation='softmax'): softmax over each row's units.
TEST(DenseForward, SoftmaxActivationIsRowWise) {
  const DenseGeometry g{.batch = 2, .in_features = 1, .out_features = 2};
  const auto y = dense(g, {0, std::log(3.0)}, {1, -1}, {0, 0}, Activation::softmax);
  // Row 0: logits [0, 0] -> [1/2, 1/2]. Row 1: [ln 3, -ln 3] -> [9/10, 1/10].
  EXPECT_NEAR(y[0], 0.5, 1e-14);
  EXPECT_NEAR(y[1], 0.5, 1e-14);
  EXPECT_NEAR(y[2], 0.9, 1e-14);
  EXPECT_NEAR(y[3], 0.1, 1e-14);
}

TEST(DenseForward, FloatMatchesDouble) {
  const DenseGeometry g{.batch = 3, .in_features = 200, .out_features = 7};
  const auto x = test::random_values(3 * 200, 31);
  const auto k = test::random_values(200 * 7, 32);
  const auto b = test::random_values(7, 33);
  const auto y = dense(g, x, k, b);
  const auto xf = test::convert<float>(x), kf = test::convert<float>(k),
             bf = test::convert<float>(b);
  std::vector<float> yf(y.size());
  cpu::dense_forward(g, xf.data(), kf.data(), bf.data(), yf.data());
  for (std::size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(yf[i], y[i], 1e-5) << i;
}

// ---- bad arguments ----

TEST(DenseErrors, NullBufferAndBadGeometry) {
  const DenseGeometry g{.batch = 2, .in_features = 3, .out_features = 4};
  std::vector<float> buffer(12);
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::dense_forward<float>(g, buffer.data(), buffer.data(), nullptr,
                                                   buffer.data());
                       }),
                       {"dense_forward", "bias is null", "4 elements"}));
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::dense_backward_kernel<float>(g, buffer.data(), buffer.data(),
                                                           nullptr);
                       }),
                       {"dense_backward_kernel", "dkernel is null", "12 elements"}));
  const DenseGeometry empty{.batch = 0, .in_features = 3, .out_features = 4};
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::dense_backward_bias(empty, buffer.data(), buffer.data());
                       }),
                       {"dense", "batch", "got 0"}));
}

}  // namespace
}  // namespace vknn
