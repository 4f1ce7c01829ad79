// The op contracts' window arithmetic and validation (vknn/ops/geometry.hpp),
// checked against the numbers Keras' model summaries show.
#include <gtest/gtest.h>

#include <string>

#include "test_util.hpp"
#include "vknn/ops/geometry.hpp"

namespace vknn {
namespace {

using test::error_message;
using test::mentions;

TEST(WindowAxis, ValidIsFloorOfTheFittingWindows) {
  EXPECT_EQ(window_axis(28, 3, 1, Padding::valid).out, 26);  // seed conv 1
  EXPECT_EQ(window_axis(26, 2, 2, Padding::valid).out, 13);  // seed pool 1
  EXPECT_EQ(window_axis(13, 3, 1, Padding::valid).out, 11);  // seed conv 2
  EXPECT_EQ(window_axis(11, 2, 2, Padding::valid).out, 5);   // seed pool 2: floor, not 6
  EXPECT_EQ(window_axis(7, 3, 2, Padding::valid).out, 3);
  EXPECT_EQ(window_axis(3, 3, 1, Padding::valid).out, 1);
  EXPECT_EQ(window_axis(2, 3, 1, Padding::valid).out, 0);  // does not fit; validate() refuses it
  EXPECT_EQ(window_axis(28, 3, 1, Padding::valid).pad_before, 0);
}

TEST(WindowAxis, SameIsCeilWithTensorFlowsPadSplit) {
  // out = ceil(in / stride); total pad = max((out-1)*stride + k - in, 0),
  // floor(total / 2) before.
  const AxisWindow stride2 = window_axis(7, 3, 2, Padding::same);
  EXPECT_EQ(stride2.out, 4);         // ceil(7 / 2)
  EXPECT_EQ(stride2.pad_before, 1);  // total = 3*2 + 3 - 7 = 2
  const AxisWindow uneven = window_axis(4, 3, 2, Padding::same);
  EXPECT_EQ(uneven.out, 2);
  EXPECT_EQ(uneven.pad_before, 0);  // total = 1: TF puts the odd pad after, not before
  const AxisWindow stride1 = window_axis(28, 3, 1, Padding::same);
  EXPECT_EQ(stride1.out, 28);
  EXPECT_EQ(stride1.pad_before, 1);
  const AxisWindow even_kernel = window_axis(5, 4, 1, Padding::same);
  EXPECT_EQ(even_kernel.out, 5);
  EXPECT_EQ(even_kernel.pad_before, 1);  // total 3 = 1 before + 2 after
  const AxisWindow pool = window_axis(11, 2, 2, Padding::same);
  EXPECT_EQ(pool.out, 6);
  EXPECT_EQ(pool.pad_before, 0);  // total 1, after
  const AxisWindow wide_stride = window_axis(5, 1, 3, Padding::same);
  EXPECT_EQ(wide_stride.out, 2);
  EXPECT_EQ(wide_stride.pad_before, 0);  // (2-1)*3 + 1 - 5 < 0: no pad
  const AxisWindow big_kernel = window_axis(3, 5, 1, Padding::same);
  EXPECT_EQ(big_kernel.out, 3);
  EXPECT_EQ(big_kernel.pad_before, 2);  // total 4
}

TEST(Conv2DGeometry, SeedModelShapesAndFlops) {
  Conv2DGeometry conv1{.batch = 32, .in_h = 28, .in_w = 28, .in_c = 1, .out_c = 64,
                       .kernel_h = 3, .kernel_w = 3};
  conv1.validate();
  EXPECT_EQ(conv1.out_h(), 26);
  EXPECT_EQ(conv1.out_w(), 26);
  EXPECT_EQ(conv1.kernel_size(), 576);
  EXPECT_EQ(conv1.input_size(), 32 * 28 * 28);
  EXPECT_EQ(conv1.output_size(), 32 * 26 * 26 * 64);
  EXPECT_EQ(conv1.forward_flops(), 32LL * 2 * 26 * 26 * 64 * 9);
  Conv2DGeometry conv2{.batch = 1, .in_h = 13, .in_w = 13, .in_c = 64, .out_c = 64,
                       .kernel_h = 3, .kernel_w = 3};
  EXPECT_EQ(conv2.out_h(), 11);
  EXPECT_EQ(conv2.forward_flops(), 2LL * 11 * 11 * 64 * 576);
  EXPECT_EQ(conv1.describe(), "input 32x28x28x1, kernel 3x3x1x64, stride 1x1, padding valid");
}

TEST(Conv2DGeometry, SameStrideTwoPadsLikeTensorFlow) {
  Conv2DGeometry g{.in_h = 7, .in_w = 4, .kernel_h = 3, .kernel_w = 3, .stride_h = 2,
                   .stride_w = 2, .padding = Padding::same};
  g.validate();
  EXPECT_EQ(g.out_h(), 4);
  EXPECT_EQ(g.out_w(), 2);
  EXPECT_EQ(g.pad_top(), 1);
  EXPECT_EQ(g.pad_left(), 0);
}

TEST(Pool2DGeometry, DefaultsAreTwoByTwoStrideTwo) {
  Pool2DGeometry g{.batch = 32, .in_h = 26, .in_w = 26, .channels = 64};
  g.validate();
  EXPECT_EQ(g.out_h(), 13);
  EXPECT_EQ(g.out_w(), 13);
  g.in_h = g.in_w = 11;
  EXPECT_EQ(g.out_h(), 5);
  EXPECT_EQ(g.output_size(), 32 * 5 * 5 * 64);
  g.padding = Padding::same;
  EXPECT_EQ(g.out_h(), 6);
}

TEST(GeometryValidate, KernelThatDoesNotFitNamesOpShapesAndFix) {
  Conv2DGeometry g{.in_h = 3, .in_w = 3, .kernel_h = 5, .kernel_w = 5};
  const std::string message = error_message([&] { g.validate(); });
  // "same" is the fix it suggests.
  EXPECT_TRUE(mentions(message, {"conv2d", "5x5", "3x3", "same"}));
  // The same kernel is fine with 'same' padding.
  g.padding = Padding::same;
  EXPECT_NO_THROW(g.validate());
  EXPECT_EQ(g.out_h(), 3);
}

TEST(GeometryValidate, ZeroOrNegativeSizesNameTheField) {
  Conv2DGeometry conv{.batch = 0};
  std::string message = error_message([&] { conv.validate(); });
  EXPECT_TRUE(mentions(message, {"conv2d", "batch", "got 0"}));

  Conv2DGeometry stride{.in_h = 4, .in_w = 4, .stride_w = 0};
  message = error_message([&] { stride.validate(); });
  EXPECT_TRUE(mentions(message, {"stride width"}));

  Conv2DGeometry filters{.out_c = -2};
  message = error_message([&] { filters.validate(); });
  EXPECT_TRUE(mentions(message, {"filters", "-2"}));

  Pool2DGeometry pool{.in_h = 4, .in_w = 4, .channels = 0};
  message = error_message([&] { pool.validate(); });
  EXPECT_TRUE(mentions(message, {"pool2d", "channels"}));

  DenseGeometry dense{.batch = 2, .in_features = 3, .out_features = 0};
  message = error_message([&] { dense.validate(); });
  EXPECT_TRUE(mentions(message, {"dense", "units"}));

  ClassesGeometry classes{.batch = 4, .classes = 0};
  message = error_message([&] { classes.validate(); });
  EXPECT_TRUE(mentions(message, {"classes"}));
}

TEST(GeometryValidate, PoolThatDoesNotFitNamesThePool) {
  Pool2DGeometry g{.in_h = 2, .in_w = 5, .pool_h = 3, .pool_w = 3};
  const std::string message = error_message([&] { g.validate(); });
  EXPECT_TRUE(mentions(message, {"pool2d", "pool 3x3", "2x5"}));
}

}  // namespace
}  // namespace vknn
