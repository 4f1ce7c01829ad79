// Conv2D reference: hand-computed forwards, the gradient-check table, bad
// arguments.
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

// ---- gradient checks ----

struct ConvCase {
  int batch, h, w, channels, filters, kernel_h, kernel_w, stride_h, stride_w;
  Padding padding;

  Conv2DGeometry geometry() const {
    return {batch, h, w, channels, filters, kernel_h, kernel_w, stride_h, stride_w, padding};
  }
};

void PrintTo(const ConvCase& c, std::ostream* os) { *os << c.geometry().describe(); }

std::string conv_case_name(const ::testing::TestParamInfo<ConvCase>& info) {
  const ConvCase& c = info.param;
  return "b" + std::to_string(c.batch) + "_" + std::to_string(c.h) + "x" + std::to_string(c.w) +
         "x" + std::to_string(c.channels) + "_k" + std::to_string(c.kernel_h) + "x" +
         std::to_string(c.kernel_w) + "x" + std::to_string(c.filters) + "_s" +
         std::to_string(c.stride_h) + "x" + std::to_string(c.stride_w) + "_" +
         to_string(c.padding);
}

class Conv2DGradient : public ::testing::TestWithParam<ConvCase> {};

// L = sum(conv(x, kernel, bias) * r); see gradient_check.hpp.
TEST_P(Conv2DGradient, InputKernelAndBias) {
  const Conv2DGeometry g = GetParam().geometry();
  auto x = test::random_values(g.input_size(), 1);
  auto kernel = test::random_values(g.kernel_size(), 2);
  auto bias = test::random_values(g.out_c, 3);
  const auto r = test::random_values(g.output_size(), 4);
  const auto objective = [&] { return test::weighted_sum(conv(g, x, kernel, bias), r); };

  std::vector<double> dx(x.size()), dkernel(kernel.size()), dbias(bias.size());
  cpu::conv2d_backward_input(g, r.data(), kernel.data(), dx.data());
  cpu::conv2d_backward_kernel(g, x.data(), r.data(), dkernel.data());
  cpu::conv2d_backward_bias(g, r.data(), dbias.data());
  EXPECT_TRUE(test::matches_numeric_gradient(dx, x, objective)) << "dx, " << g.describe();
  EXPECT_TRUE(test::matches_numeric_gradient(dkernel, kernel, objective))
      << "dkernel, " << g.describe();
  EXPECT_TRUE(test::matches_numeric_gradient(dbias, bias, objective)) << "dbias, " << g.describe();
}

// The shapes cover batch 1 and 3, channels 1 and 3, odd sizes, stride 1 and
// 2 (and 3, wider than some kernels), valid and same, even kernels (whose
// 'same' pad is asymmetric) and a kernel larger than the input ('same').
INSTANTIATE_TEST_SUITE_P(
    Shapes, Conv2DGradient,
    ::testing::Values(
        //       b  h  w  c  f kh kw sh sw
        ConvCase{1, 5, 5, 1, 1, 3, 3, 1, 1, Padding::valid},
        ConvCase{3, 5, 5, 1, 2, 3, 3, 1, 1, Padding::same},
        ConvCase{1, 7, 5, 3, 2, 3, 3, 1, 1, Padding::same},
        ConvCase{3, 7, 7, 3, 2, 3, 3, 2, 2, Padding::valid},
        ConvCase{1, 7, 7, 3, 4, 3, 3, 2, 2, Padding::same},
        ConvCase{3, 7, 5, 1, 3, 3, 3, 2, 1, Padding::same},
        ConvCase{1, 5, 7, 3, 2, 2, 4, 1, 2, Padding::same},
        ConvCase{1, 6, 6, 2, 3, 4, 4, 2, 2, Padding::same},
        ConvCase{1, 8, 7, 2, 2, 2, 2, 3, 3, Padding::valid},
        ConvCase{3, 5, 5, 3, 2, 1, 1, 1, 1, Padding::valid},
        ConvCase{1, 5, 5, 3, 2, 5, 5, 1, 1, Padding::valid},
        ConvCase{1, 3, 4, 2, 2, 5, 5, 1, 1, Padding::same}),
    conv_case_name);

// The fused relu composes with the backward as the model runs it: the
// contract's dy is the gradient at the linear output, so the relu mask goes
// through relu_backward first.
TEST(Conv2DGradientWithRelu, MaskThenBackward) {
  const Conv2DGeometry g{.batch = 3, .in_h = 7, .in_w = 5, .in_c = 3, .out_c = 2, .kernel_h = 3,
                         .kernel_w = 3, .stride_h = 2, .stride_w = 2, .padding = Padding::same};
  auto x = test::random_values(g.input_size(), 21);
  auto kernel = test::random_values(g.kernel_size(), 22);
  const auto bias = test::random_values(g.out_c, 23);
  const auto r = test::random_values(g.output_size(), 24);
  const auto objective = [&] {
    return test::weighted_sum(conv(g, x, kernel, bias, Activation::relu), r);
  };
  const auto y = conv(g, x, kernel, bias, Activation::relu);
  std::vector<double> dlinear(y.size()), dx(x.size()), dkernel(kernel.size());
  cpu::relu_backward<double>(std::int64_t(y.size()), y.data(), r.data(), dlinear.data());
  cpu::conv2d_backward_input(g, dlinear.data(), kernel.data(), dx.data());
  cpu::conv2d_backward_kernel(g, x.data(), dlinear.data(), dkernel.data());
  EXPECT_TRUE(test::matches_numeric_gradient(dx, x, objective)) << "dx";
  EXPECT_TRUE(test::matches_numeric_gradient(dkernel, kernel, objective)) << "dkernel";
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
