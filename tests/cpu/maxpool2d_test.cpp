// MaxPooling2D reference: hand-computed forwards and backwards (tie rule,
// 'same' padding, overlapping windows), bad arguments (finite-difference
// checks: tests/ops/gradient_entries.cpp).
#include <gtest/gtest.h>

#include <algorithm>
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

std::vector<double> pool(const Pool2DGeometry& g, const std::vector<double>& x) {
  std::vector<double> y(static_cast<std::size_t>(g.output_size()));
  cpu::maxpool2d_forward(g, x.data(), y.data());
  return y;
}

std::vector<double> pool_backward(const Pool2DGeometry& g, const std::vector<double>& x,
                                  const std::vector<double>& dy) {
  std::vector<double> dx(x.size(), -1.0);  // garbage: the op must overwrite every element
  cpu::maxpool2d_backward(g, x.data(), dy.data(), dx.data());
  return dx;
}

// ---- forward and backward, by hand ----

// The bottom-right window holds 9, 9, 9, 8: the first 9 in row-major window
// order, at (2, 2), takes the whole gradient.
TEST(MaxPool2D, TwoByTwoWithTieGoesToFirstMaximum) {
  const Pool2DGeometry g{.in_h = 4, .in_w = 4};
  const std::vector<double> x{1,  2,  5, 3,  //
                              4,  0,  1, 2,  //
                              -1, -2, 9, 9,  //
                              -3, -4, 9, 8};
  EXPECT_EQ(pool(g, x), (std::vector<double>{4, 5, -1, 9}));
  EXPECT_EQ(pool_backward(g, x, {10, 20, 30, 40}),
            (std::vector<double>{0,  0, 20, 0,  //
                                 10, 0, 0,  0,  //
                                 30, 0, 40, 0,  //
                                 0,  0, 0,  0}));
}

// A window of equal values: the top-left tap wins.
TEST(MaxPool2D, AllEqualWindowRoutesToTopLeft) {
  const Pool2DGeometry g{.in_h = 2, .in_w = 2};
  EXPECT_EQ(pool_backward(g, {5, 5, 5, 5}, {1}), (std::vector<double>{1, 0, 0, 0}));
  // Ties broken by row before column: (0, 1) precedes (1, 0).
  EXPECT_EQ(pool_backward(g, {1, 7, 7, 2}, {1}), (std::vector<double>{0, 1, 0, 0}));
}

// 'same' on 3x3 with pool 2 stride 2 pads one row and column after. The
// padded taps are ignored, not zeros: every value is negative, and a zero
// pad would win the three border windows.
TEST(MaxPool2D, SamePaddingNeverWins) {
  const Pool2DGeometry g{.in_h = 3, .in_w = 3, .padding = Padding::same};
  const std::vector<double> x{-1, -2, -3,  //
                              -4, -5, -6,  //
                              -7, -8, -9};
  EXPECT_EQ(pool(g, x), (std::vector<double>{-1, -3, -7, -9}));
  EXPECT_EQ(pool_backward(g, x, {1, 2, 3, 4}),
            (std::vector<double>{1, 0, 2,  //
                                 0, 0, 0,  //
                                 3, 0, 4}));
}

// 'valid' floors: on 5x5 the last row and column belong to no window.
TEST(MaxPool2D, ValidDropsTheRemainder) {
  const Pool2DGeometry g{.in_h = 5, .in_w = 5};
  std::vector<double> x(25);
  for (int i = 0; i < 25; ++i) x[i] = i + 1;
  EXPECT_EQ(pool(g, x), (std::vector<double>{7, 9, 17, 19}));
}

// Pool 2 stride 1: the 9 in the middle wins all four windows and receives
// the sum of their gradients.
TEST(MaxPool2D, OverlappingWindowsSumTheirGradients) {
  const Pool2DGeometry g{.in_h = 3, .in_w = 3, .stride_h = 1, .stride_w = 1};
  const std::vector<double> x{1, 2, 3,  //
                              4, 9, 5,  //
                              6, 7, 8};
  EXPECT_EQ(pool(g, x), (std::vector<double>{9, 9, 9, 9}));
  EXPECT_EQ(pool_backward(g, x, {1, 2, 3, 4}),
            (std::vector<double>{0, 0, 0, 0, 10, 0, 0, 0, 0}));
}

// Channels are pooled independently: NHWC interleaves them.
TEST(MaxPool2D, ChannelsArePooledSeparately) {
  const Pool2DGeometry g{.in_h = 2, .in_w = 2, .channels = 2};
  EXPECT_EQ(pool(g, {1, 8, 3, 6, 2, 7, 4, 5}), (std::vector<double>{4, 8}));
}

TEST(MaxPool2D, FloatMatchesDoubleExactly) {
  const Pool2DGeometry g{.batch = 2, .in_h = 7, .in_w = 5, .channels = 3, .pool_h = 3,
                         .pool_w = 3, .padding = Padding::same};
  const auto x = test::random_values(g.input_size(), 5);
  const auto xf = test::convert<float>(x);
  std::vector<float> yf(static_cast<std::size_t>(g.output_size()));
  cpu::maxpool2d_forward(g, xf.data(), yf.data());
  // Max pooling only selects, so float results are the float inputs.
  EXPECT_EQ(yf, test::convert<float>(pool(g, test::convert<double>(xf))));
}

// ---- winners stored by the forward (the training step's path) ----

// Equal to maxpool2d_forward and maxpool2d_backward (then relu's backward
// where the mask is given), bit for bit, in double: ties in most windows
// (values on four levels), zeros where x is a relu's output, a margin no
// window covers (11 -> 5, 7 -> 2), and 2x2, 3x3 and 1x3 windows.
TEST(MaxPool2DWinners, EqualTheForwardAndTheBackwardFromX) {
  const Pool2DGeometry shapes[] = {{2, 6, 8, 8, 2, 2, 2, 2, Padding::valid},
                                   {1, 11, 11, 4, 2, 2, 2, 2, Padding::valid},
                                   {3, 7, 7, 12, 3, 3, 3, 3, Padding::valid},
                                   {2, 4, 6, 4, 1, 3, 1, 3, Padding::valid}};
  for (const Pool2DGeometry& g : shapes) {
    ASSERT_TRUE(g.stores_winners()) << g.describe();
    for (bool relu_mask : {false, true}) {
      std::vector<double> x = test::random_values(g.input_size(), 11);
      for (double& v : x) {
        v = std::floor(v * 2.0) / 2.0;  // -1, -0.5, 0, 0.5: ties
        if (relu_mask) v = std::max(v, 0.0);
      }
      const auto dy = test::random_values(g.output_size(), 12);
      std::vector<double> y(std::size_t(g.output_size()), -1.0), dx(x.size(), -1.0);
      std::vector<std::uint8_t> winners(std::size_t(g.output_size()), 200);
      cpu::maxpool2d_forward_winners(g, x.data(), y.data(), winners.data(), relu_mask);
      cpu::maxpool2d_backward_winners(g, dy.data(), winners.data(), dx.data());
      std::vector<double> expected_dx = pool_backward(g, x, dy);
      if (relu_mask) {
        cpu::relu_backward(g.input_size(), x.data(), expected_dx.data(), expected_dx.data());
      }
      EXPECT_EQ(y, pool(g, x)) << g.describe();
      EXPECT_EQ(dx, expected_dx) << g.describe() << (relu_mask ? " relu mask" : "");
      for (std::uint8_t w : winners) {
        EXPECT_TRUE(w < g.pool_h * g.pool_w || (relu_mask && w == Pool2DGeometry::kNoWinner))
            << int(w);
      }
    }
  }
}

// A 2x2 window by hand: the first 9 (tap 1) wins; with the mask an
// all-zero window stores no winner.
TEST(MaxPool2DWinners, BytesByHand) {
  const Pool2DGeometry g{.in_h = 2, .in_w = 4, .channels = 4, .pool_h = 2, .pool_w = 2};
  // Channel 0 holds 1 9 | 0 0 / 9 3 | 0 0; channels 1-3 are 0.
  std::vector<float> x(std::size_t(g.input_size()), 0.0f);
  const float c0[] = {1, 9, 0, 0, 9, 3, 0, 0};
  for (int i = 0; i < 8; ++i) x[std::size_t(i) * 4] = c0[i];
  std::vector<float> y(std::size_t(g.output_size()));
  std::vector<std::uint8_t> winners(std::size_t(g.output_size()));
  cpu::maxpool2d_forward_winners(g, x.data(), y.data(), winners.data(), true);
  EXPECT_EQ(winners, (std::vector<std::uint8_t>{1, 255, 255, 255, 255, 255, 255, 255}));
  cpu::maxpool2d_forward_winners(g, x.data(), y.data(), winners.data(), false);
  EXPECT_EQ(winners, (std::vector<std::uint8_t>{1, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(MaxPool2DWinnersErrors, APoolingThatCannotStoreThemOrABadByteIsRefused) {
  const Pool2DGeometry overlapping{.in_h = 4, .in_w = 4, .channels = 4, .stride_h = 1,
                                   .stride_w = 1};
  const Pool2DGeometry three_channels{.in_h = 4, .in_w = 4, .channels = 3};
  std::vector<float> x(64), y(64);
  std::vector<std::uint8_t> winners(64);
  for (const Pool2DGeometry& g : {overlapping, three_channels}) {
    EXPECT_FALSE(g.stores_winners());
    EXPECT_TRUE(mentions(error_message([&] {
                           cpu::maxpool2d_forward_winners(g, x.data(), y.data(), winners.data(),
                                                          false);
                         }),
                         {"maxpool2d_forward_winners", "cannot store its winners",
                          "channels a multiple of 4"}));
  }
  const Pool2DGeometry g{.in_h = 2, .in_w = 2, .channels = 4};
  std::vector<std::uint8_t> bad = {0, 1, 7, 255};
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::maxpool2d_backward_winners(g, y.data(), bad.data(), x.data());
                       }),
                       {"maxpool2d_backward_winners", "winner byte 7", "2x2"}));
}

// ---- bad arguments ----

TEST(MaxPool2DErrors, NullBufferAndBadGeometry) {
  const Pool2DGeometry g{.in_h = 4, .in_w = 4};
  std::vector<float> x(16);
  EXPECT_TRUE(mentions(error_message([&] { cpu::maxpool2d_forward<float>(g, x.data(), nullptr); }),
                       {"maxpool2d_forward", "y is null", "4 elements"}));
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::maxpool2d_backward<float>(g, nullptr, x.data(), x.data());
                       }),
                       {"maxpool2d_backward", "x is null", "16 elements"}));
  const Pool2DGeometry too_small{.in_h = 1, .in_w = 4};
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::maxpool2d_forward(too_small, x.data(), x.data());
                       }),
                       {"pool2d", "pool 2x2", "1x4", "same"}));
}

}  // namespace
}  // namespace vknn
