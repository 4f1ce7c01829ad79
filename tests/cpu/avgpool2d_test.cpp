// AveragePooling2D reference: hand-computed forwards and backwards ('same'
// border windows average only their real taps, as TensorFlow does;
// overlapping windows; a global average), bad arguments (finite-difference
// checks: tests/ops/gradient_entries.cpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gradient_check.hpp"
#include "test_util.hpp"
#include "vknn/cpu/reference_ops.hpp"

namespace vknn {
namespace {

using test::error_message;
using test::mentions;

std::vector<double> pool(const Pool2DGeometry& g, const std::vector<double>& x) {
  std::vector<double> y(static_cast<std::size_t>(g.output_size()), -1.0);
  cpu::avgpool2d_forward(g, x.data(), y.data());
  return y;
}

std::vector<double> pool_backward(const Pool2DGeometry& g, const std::vector<double>& dy) {
  std::vector<double> dx(static_cast<std::size_t>(g.input_size()), -1.0);  // must be overwritten
  cpu::avgpool2d_backward(g, dy.data(), dx.data());
  return dx;
}

TEST(AvgPool2D, TwoByTwoValid) {
  const Pool2DGeometry g{.in_h = 4, .in_w = 4};
  const std::vector<double> x{1, 2, 5, 3,   //
                              4, 1, 1, 3,   //
                              0, 0, 9, 8,   //
                              -4, 0, 7, 0};
  EXPECT_EQ(pool(g, x), (std::vector<double>{2, 3, -1, 6}));
  EXPECT_EQ(pool_backward(g, {4, 8, 12, 16}), (std::vector<double>{1, 1, 2, 2,  //
                                                                   1, 1, 2, 2,  //
                                                                   3, 3, 4, 4,  //
                                                                   3, 3, 4, 4}));
}

// 'same' on 3x3 with pool 2 stride 2 pads one row and column after: the
// border windows average 2 taps and the corner 1, not 4 (TensorFlow).
TEST(AvgPool2D, SameBorderWindowsAverageOnlyRealTaps) {
  const Pool2DGeometry g{.in_h = 3, .in_w = 3, .padding = Padding::same};
  const std::vector<double> x{1, 3, 5,  //
                              3, 1, 7,  //
                              2, 4, 9};
  EXPECT_EQ(pool(g, x), (std::vector<double>{2, 6, 3, 9}));
  EXPECT_EQ(pool_backward(g, {4, 4, 4, 4}), (std::vector<double>{1, 1, 2,  //
                                                                 1, 1, 2,  //
                                                                 2, 2, 4}));
}

// Overlapping windows (stride 1 < pool 2): a middle tap takes a share from
// each window over it; floor rounding leaves nothing uncovered here.
TEST(AvgPool2D, OverlappingWindowsAddTheirShares) {
  const Pool2DGeometry g{.in_h = 1, .in_w = 3, .pool_h = 1, .pool_w = 2, .stride_h = 1,
                         .stride_w = 1};
  EXPECT_EQ(pool(g, {2, 4, 8}), (std::vector<double>{3, 6}));
  EXPECT_EQ(pool_backward(g, {2, 6}), (std::vector<double>{1, 4, 3}));
}

// Floor rounding (5 -> 2 with pool 2): the last row and column are in no
// window and get no gradient.
TEST(AvgPool2D, UncoveredInputsGetZeroGradient) {
  const Pool2DGeometry g{.in_h = 5, .in_w = 5};
  const auto dx = pool_backward(g, {4, 4, 4, 4});
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(dx[std::size_t(4 * 5 + i)], 0.0);
    EXPECT_EQ(dx[std::size_t(i * 5 + 4)], 0.0);
  }
  EXPECT_EQ(dx[0], 1.0);
}

// GlobalAveragePooling2D is the window over the whole map: one mean per
// channel.
TEST(AvgPool2D, GlobalAverageIsTheWholeMapWindow) {
  const Pool2DGeometry g{.batch = 1, .in_h = 2, .in_w = 3, .channels = 2, .pool_h = 2,
                         .pool_w = 3, .stride_h = 2, .stride_w = 3};
  // NHWC: channel 0 holds 1..6, channel 1 holds 10..60.
  const std::vector<double> x{1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60};
  EXPECT_EQ(pool(g, x), (std::vector<double>{3.5, 35}));
  const auto dx = pool_backward(g, {6, 12});
  for (std::size_t i = 0; i < dx.size(); ++i) EXPECT_EQ(dx[i], i % 2 == 0 ? 1.0 : 2.0) << i;
}

TEST(AvgPool2DErrors, NullBufferAndBadGeometry) {
  const Pool2DGeometry g{.in_h = 4, .in_w = 4};
  std::vector<float> x(16);
  EXPECT_TRUE(mentions(error_message([&] { cpu::avgpool2d_forward<float>(g, x.data(), nullptr); }),
                       {"avgpool2d_forward", "y is null", "4 elements"}));
  EXPECT_TRUE(mentions(error_message([&] { cpu::avgpool2d_backward<float>(g, nullptr, x.data()); }),
                       {"avgpool2d_backward", "dy is null", "4 elements"}));
  const Pool2DGeometry too_small{.in_h = 1, .in_w = 4};
  EXPECT_TRUE(mentions(error_message([&] { cpu::avgpool2d_forward(too_small, x.data(), x.data()); }),
                       {"pool2d", "pool 2x2", "1x4"}));
}

}  // namespace
}  // namespace vknn
