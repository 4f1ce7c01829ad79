// Conv2D reference: hand-computed forwards, bad arguments (finite-difference
// checks: tests/ops/gradient_entries.cpp).
#include <gtest/gtest.h>

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

std::vector<double> conv(const Conv2DGeometry& g, const std::vector<double>& x,
                         const std::vector<double>& kernel, const std::vector<double>& bias,
                         Activation act = Activation::linear) {
  std::vector<double> y(static_cast<std::size_t>(g.output_size()));
  cpu::conv2d_forward(g, x.data(), kernel.data(), bias.data(), y.data(), act);
  return y;
}

// 1, 2, ..., count
std::vector<double> iota(int count) {
  std::vector<double> values(count);
  for (int i = 0; i < count; ++i) values[i] = i + 1;
  return values;
}

// ---- forward, by hand ----

// x = [1 2 3; 4 5 6; 7 8 9], kernel [1 2; 3 4] (a correlation, not flipped):
// y[0,0] = 1*1 + 2*2 + 4*3 + 5*4 = 37, then 47, 67, 77; plus bias 0.5.
TEST(Conv2DForward, ValidWithBias) {
  const Conv2DGeometry g{.in_h = 3, .in_w = 3, .kernel_h = 2, .kernel_w = 2};
  EXPECT_EQ(conv(g, iota(9), {1, 2, 3, 4}, {0.5}),
            (std::vector<double>{37.5, 47.5, 67.5, 77.5}));
}

TEST(Conv2DForward, FusedReluClampsNegativeSums) {
  const Conv2DGeometry g{.in_h = 3, .in_w = 3, .kernel_h = 2, .kernel_w = 2};
  EXPECT_EQ(conv(g, iota(9), {1, 2, 3, 4}, {-50}, Activation::relu),
            (std::vector<double>{0, 0, 17, 27}));
}

// A 3x3 kernel of ones with 'same' padding sums each 3x3 neighbourhood,
// counting only the real taps: corners see 4, edges 6, the centre 9.
TEST(Conv2DForward, SamePaddingContributesZeros) {
  const Conv2DGeometry g{.in_h = 3, .in_w = 3, .kernel_h = 3, .kernel_w = 3,
                         .padding = Padding::same};
  EXPECT_EQ(conv(g, iota(9), std::vector<double>(9, 1.0), {0}),
            (std::vector<double>{12, 21, 16, 27, 45, 33, 24, 39, 28}));
}

// 4x4 input, 3x3 ones, stride 2, 'same': out 2x2, total pad 1, which TF puts
// after (bottom/right), so window (0,0) covers rows 0-2 and columns 0-2.
TEST(Conv2DForward, SameStrideTwoPutsOddPadAfter) {
  const Conv2DGeometry g{.in_h = 4, .in_w = 4, .kernel_h = 3, .kernel_w = 3, .stride_h = 2,
                         .stride_w = 2, .padding = Padding::same};
  // (1+2+3)+(5+6+7)+(9+10+11) = 54; (3+4)+(7+8)+(11+12) = 45;
  // (9+10+11)+(13+14+15) = 72; 11+12+15+16 = 54.
  EXPECT_EQ(conv(g, iota(16), std::vector<double>(9, 1.0), {0}),
            (std::vector<double>{54, 45, 72, 54}));
}

// 5x5 input 1..25, a 3x3 kernel that picks its centre, stride 2, 'valid':
// outputs are x[1][1], x[1][3], x[3][1], x[3][3].
TEST(Conv2DForward, ValidStrideTwo) {
  const Conv2DGeometry g{.in_h = 5, .in_w = 5, .kernel_h = 3, .kernel_w = 3, .stride_h = 2,
                         .stride_w = 2};
  std::vector<double> centre(9, 0.0);
  centre[4] = 1.0;
  EXPECT_EQ(conv(g, iota(25), centre, {0}), (std::vector<double>{7, 9, 17, 19}));
}

// 5x4 input x[r][c] = 4r + c + 1, a 3x3 kernel that picks its top-left tap,
// stride 2, 'same': rows pad 2 in total (1 on top), columns pad 1 (after,
// none on the left), so y[oy][ox] = x[2*oy - 1][2*ox], zero in the top row.
TEST(Conv2DForward, SameStrideTwoPadsRowsAndColumnsIndependently) {
  const Conv2DGeometry g{.in_h = 5, .in_w = 4, .kernel_h = 3, .kernel_w = 3, .stride_h = 2,
                         .stride_w = 2, .padding = Padding::same};
  std::vector<double> top_left(9, 0.0);
  top_left[0] = 1.0;
  EXPECT_EQ(conv(g, iota(20), top_left, {0}), (std::vector<double>{0, 0, 5, 7, 13, 15}));
}

// Kernel layout (kh, kw, in, out): with a 1x1 kernel it is an (in, out)
// matrix k = [[1, 2], [3, 4]]; bias [0, 100]. Two samples check the batch
// stride: [1, 10] -> [1 + 30, 2 + 40 + 100], [2, 20] -> [2 + 60, 4 + 80 + 100].
TEST(Conv2DForward, ChannelAndBatchLayout) {
  const Conv2DGeometry g{.batch = 2, .in_c = 2, .out_c = 2};
  EXPECT_EQ(conv(g, {1, 10, 2, 20}, {1, 2, 3, 4}, {0, 100}),
            (std::vector<double>{31, 142, 62, 184}));
}

TEST(Conv2DForward, FloatMatchesDouble) {
  const Conv2DGeometry g{.batch = 2, .in_h = 7, .in_w = 6, .in_c = 3, .out_c = 4, .kernel_h = 3,
                         .kernel_w = 3, .stride_h = 2, .stride_w = 1, .padding = Padding::same};
  const auto x = test::random_values(g.input_size(), 11);
  const auto k = test::random_values(g.kernel_size(), 12);
  const auto b = test::random_values(g.out_c, 13);
  const auto y = conv(g, x, k, b, Activation::relu);
  const auto xf = test::convert<float>(x), kf = test::convert<float>(k),
             bf = test::convert<float>(b);
  std::vector<float> yf(y.size());
  cpu::conv2d_forward(g, xf.data(), kf.data(), bf.data(), yf.data(), Activation::relu);
  for (std::size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(yf[i], y[i], 1e-5) << i;
}

// ---- bad arguments ----

TEST(Conv2DErrors, NullBufferNamesOpAndSize) {
  const Conv2DGeometry g{.in_h = 3, .in_w = 3, .kernel_h = 2, .kernel_w = 2};
  std::vector<double> kernel(4), bias(1), y(4);
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::conv2d_forward<double>(g, nullptr, kernel.data(), bias.data(),
                                                     y.data());
                       }),
                       {"conv2d_forward", "x is null", "9 elements"}));
  std::vector<double> dy(4), dx(9);
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::conv2d_backward_input<double>(g, dy.data(), nullptr, dx.data());
                       }),
                       {"conv2d_backward_input", "kernel is null", "4 elements"}));
}

TEST(Conv2DErrors, BadGeometryIsRefusedByEveryEntryPoint) {
  const Conv2DGeometry g{.in_h = 3, .in_w = 3, .kernel_h = 5, .kernel_w = 5};
  std::vector<double> buffer(64);
  const double* in = buffer.data();
  double* out = buffer.data();
  const std::vector<std::string> parts{"conv2d", "5x5", "3x3"};
  EXPECT_TRUE(mentions(error_message([&] { cpu::conv2d_forward(g, in, in, in, out); }), parts));
  EXPECT_TRUE(mentions(error_message([&] { cpu::conv2d_backward_input(g, in, in, out); }), parts));
  EXPECT_TRUE(mentions(error_message([&] { cpu::conv2d_backward_kernel(g, in, in, out); }), parts));
  EXPECT_TRUE(mentions(error_message([&] { cpu::conv2d_backward_bias(g, in, out); }), parts));
}

TEST(Conv2DErrors, SoftmaxActivationIsRefused) {
  const Conv2DGeometry g{};
  std::vector<float> buffer(4);
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::conv2d_forward(g, buffer.data(), buffer.data(), buffer.data(),
                                             buffer.data(), Activation::softmax);
                       }),
                       {"conv2d_forward", "softmax", "linear", "relu"}));
}

}  // namespace
}  // namespace vknn
