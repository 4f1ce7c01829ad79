// Conv2D + relu + MaxPooling2D fused, reference: equal
// to the unfused ops bit for bit (forward, and the backward from winners
// against maxpool2d_backward + relu_backward), the winner bytes by hand,
// bad arguments (its finite-difference check: tests/ops/gradient_entries.cpp).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "gradient_check.hpp"
#include "test_util.hpp"
#include "vknn/cpu/reference_ops.hpp"

namespace vknn {
namespace {

using test::error_message;
using test::mentions;

ConvReluPoolGeometry fused(int batch, int h, int w, int out_c, int k, int conv_stride,
                           Padding padding, int pool_h, int pool_w, int in_c = 1) {
  return ConvReluPoolGeometry::tiling(
      {.batch = batch, .in_h = h, .in_w = w, .in_c = in_c, .out_c = out_c, .kernel_h = k,
       .kernel_w = k, .stride_h = conv_stride, .stride_w = conv_stride, .padding = padding},
      pool_h, pool_w);
}

// The course's pair, a floor-rounded map with channels not a multiple of 4,
// a padded conv with one channel, a strided conv and a non-square pool;
// then RGB and RGBA inputs, one of them padded.
std::vector<ConvReluPoolGeometry> shapes() {
  return {fused(2, 28, 28, 8, 3, 1, Padding::valid, 2, 2),
          fused(3, 9, 11, 5, 3, 1, Padding::valid, 2, 2),
          fused(1, 7, 7, 1, 3, 1, Padding::same, 3, 3),
          fused(2, 9, 9, 4, 2, 2, Padding::valid, 2, 2),
          fused(1, 8, 10, 3, 3, 1, Padding::same, 2, 3),
          fused(2, 11, 9, 6, 3, 1, Padding::valid, 2, 2, 3),
          fused(1, 8, 8, 5, 3, 1, Padding::same, 2, 2, 4)};
}

struct Unfused {
  std::vector<float> y, dx;
};

// The ops the fusion replaces: conv2d (relu), maxpool2d, and in backward
// maxpool2d_backward with relu_backward on the map.
Unfused unfused(const ConvReluPoolGeometry& g, const std::vector<float>& x,
                const std::vector<float>& kernel, const std::vector<float>& bias,
                const std::vector<float>& dy) {
  std::vector<float> map(std::size_t(g.conv.output_size()));
  cpu::conv2d_forward(g.conv, x.data(), kernel.data(), bias.data(), map.data(), Activation::relu);
  Unfused out{std::vector<float>(std::size_t(g.pool.output_size())), std::vector<float>(map.size())};
  cpu::maxpool2d_forward(g.pool, map.data(), out.y.data());
  cpu::maxpool2d_backward(g.pool, map.data(), dy.data(), out.dx.data());
  cpu::relu_backward(g.pool.input_size(), map.data(), out.dx.data(), out.dx.data());
  return out;
}

TEST(ConvReluMaxPool2D, EqualsTheUnfusedOpsBitForBit) {
  std::uint64_t seed = 1;
  for (const ConvReluPoolGeometry& g : shapes()) {
    const auto x = test::convert<float>(test::random_values(g.conv.input_size(), seed++));
    const auto kernel = test::convert<float>(test::random_values(g.conv.kernel_size(), seed++));
    const auto bias = test::convert<float>(test::random_values(g.conv.out_c, seed++, -0.3, 0.3));
    const auto dy = test::convert<float>(test::random_values(g.pool.output_size(), seed++));
    std::vector<float> y(std::size_t(g.pool.output_size()), -1.0f);
    std::vector<std::uint8_t> winners(std::size_t(g.winners_size()), 7);
    std::vector<float> dx(std::size_t(g.pool.input_size()), -1.0f);  // every element overwritten
    cpu::conv2d_relu_maxpool2d_forward(g, x.data(), kernel.data(), bias.data(), y.data(),
                                       winners.data());
    cpu::maxpool2d_backward_from_winners(g, dy.data(), winners.data(), dx.data());
    const Unfused expected = unfused(g, x, kernel, bias, dy);
    EXPECT_EQ(y, expected.y) << g.describe();
    EXPECT_EQ(dx, expected.dx) << g.describe();
    // Prediction (no winners) gives the same y.
    std::vector<float> y_predict(y.size(), -1.0f);
    cpu::conv2d_relu_maxpool2d_forward(g, x.data(), kernel.data(), bias.data(), y_predict.data(),
                                       static_cast<std::uint8_t*>(nullptr));
    EXPECT_EQ(y_predict, y) << g.describe();
    // Bytes of channels past out_c (groups of 4) say "no winner".
    for (std::int64_t pixel = 0; pixel < g.pool.output_size() / g.conv.out_c; ++pixel) {
      for (int c = g.conv.out_c; c < 4 * g.channel_groups(); ++c) {
        ASSERT_EQ(winners[std::size_t(pixel * 4 * g.channel_groups() + c)],
                  ConvReluPoolGeometry::kNoWinner);
      }
    }
  }
}

// One 3x3 image, a 2x2 kernel of ones and bias 0: the 2x2 map is the sums
// of the four 2x2 squares; the window's first maximum wins.
TEST(ConvReluMaxPool2D, WinnerBytesByHand) {
  const ConvReluPoolGeometry g = fused(1, 3, 3, 2, 2, 1, Padding::valid, 2, 2);
  // Channel 0: kernel +1 (map 12 16 / 24 28, max 28 at tap 3);
  // channel 1: kernel -1 (all negative: relu 0, no winner).
  const std::vector<double> x{1, 2, 3, 4, 5, 6, 7, 8, 9};
  const std::vector<double> kernel{1, -1, 1, -1, 1, -1, 1, -1};  // (ky, kx, 1, 2)
  const std::vector<double> bias{0, 0};
  std::vector<double> y(2);
  std::vector<std::uint8_t> winners(4);
  cpu::conv2d_relu_maxpool2d_forward(g, x.data(), kernel.data(), bias.data(), y.data(),
                                     winners.data());
  EXPECT_EQ(y, (std::vector<double>{28, 0}));
  EXPECT_EQ(winners, (std::vector<std::uint8_t>{3, 255, 255, 255}));
  std::vector<double> dx(8, -1.0);
  const std::vector<double> dy{0.5, 2.0};
  cpu::maxpool2d_backward_from_winners(g, dy.data(), winners.data(), dx.data());
  EXPECT_EQ(dx, (std::vector<double>{0, 0, 0, 0, 0, 0, 0.5, 0}));
  // A tie: bias 12 on a kernel of zeros makes every map value 12: tap 0 wins.
  const std::vector<double> zeros(8, 0.0), twelve{12, 12};
  cpu::conv2d_relu_maxpool2d_forward(g, x.data(), zeros.data(), twelve.data(), y.data(),
                                     winners.data());
  EXPECT_EQ(winners, (std::vector<std::uint8_t>{0, 0, 255, 255}));
}

TEST(ConvReluMaxPool2DErrors, ShapesTheFusionDoesNotCoverAreRefused) {
  std::vector<float> buffer(4096);
  float* b = buffer.data();
  auto forward = [&](const ConvReluPoolGeometry& g) {
    return error_message([&] {
      cpu::conv2d_relu_maxpool2d_forward(g, b, b, b, b, static_cast<std::uint8_t*>(nullptr));
    });
  };
  // 3x3 on 32 channels: 288 kernel rows, more than an invocation holds.
  const ConvReluPoolGeometry wide = fused(1, 6, 6, 4, 3, 1, Padding::valid, 2, 2, 32);
  EXPECT_TRUE(mentions(forward(wide), {"conv2d_relu_maxpool2d", "at most 256 kernel rows", "got 288"}));
  ConvReluPoolGeometry overlapping = fused(1, 6, 6, 4, 3, 1, Padding::valid, 2, 2);
  overlapping.pool.stride_h = overlapping.pool.stride_w = 1;
  EXPECT_TRUE(mentions(forward(overlapping), {"without overlap", "stride 1x1"}));
  ConvReluPoolGeometry other_map = fused(1, 6, 6, 4, 3, 1, Padding::valid, 2, 2);
  other_map.pool.channels = 8;
  EXPECT_TRUE(mentions(forward(other_map), {"the conv's output 1x4x4x4"}));
  const ConvReluPoolGeometry valid = fused(1, 6, 6, 4, 3, 1, Padding::valid, 2, 2);
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::conv2d_relu_maxpool2d_forward<float>(valid, nullptr, b, b, b,
                                                                   nullptr);
                       }),
                       {"conv2d_relu_maxpool2d_forward", "x is null", "36 elements"}));
}

TEST(ConvReluMaxPool2DErrors, AWinnerByteOutsideTheWindowIsRefused) {
  const ConvReluPoolGeometry g = fused(1, 3, 3, 1, 2, 1, Padding::valid, 2, 2);
  std::vector<float> dy(1, 1.0f), dx(4);
  std::vector<std::uint8_t> winners{4, 255, 255, 255};  // taps are 0..3
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::maxpool2d_backward_from_winners(g, dy.data(), winners.data(),
                                                              dx.data());
                       }),
                       {"maxpool2d_backward_from_winners", "winner byte 4", "2x2 window"}));
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::maxpool2d_backward_from_winners<float>(g, dy.data(), nullptr,
                                                                     dx.data());
                       }),
                       {"maxpool2d_backward_from_winners", "winners is null"}));
}

}  // namespace
}  // namespace vknn
