// MaxPooling2D on Vulkan against the CPU reference, forward and backward.
//
// Tolerance: exact (0). The forward copies an input value; the backward
// sums the dy of the windows an input wins, in the same window order as the
// CPU reference's scatter, starting from 0. Inputs are quantised to a few
// levels so that windows hold ties, and both backends must pick the same
// winner (the first maximum in row-major window order) for every one.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "ops/crosscheck.hpp"
#include "vknn/cpu/reference_ops.hpp"
#include "vknn/error.hpp"
#include "vulkan/ops/maxpool2d.hpp"

namespace {

using vknn::Padding;
using vknn::Pool2DGeometry;
using namespace vknn_test;

struct PoolCase {
  Pool2DGeometry g;
  bool all_negative = false;  // 'same' padding must never let a pad win
};

std::string case_name(const ::testing::TestParamInfo<PoolCase>& info) {
  const Pool2DGeometry& g = info.param.g;
  return "b" + std::to_string(g.batch) + "_" + std::to_string(g.in_h) + "x" +
         std::to_string(g.in_w) + "x" + std::to_string(g.channels) + "_pool" +
         std::to_string(g.pool_h) + "x" + std::to_string(g.pool_w) + "_stride" +
         std::to_string(g.stride_h) + "x" + std::to_string(g.stride_w) + "_" +
         vknn::to_string(g.padding) + (info.param.all_negative ? "_negative" : "") + "_" +
         std::to_string(info.index);
}

std::vector<PoolCase> pool_cases() {
  std::vector<PoolCase> cases;
  // Every size, pool, stride (stride 1 overlaps the windows) and padding;
  // batch and channels cycle through 1, 3 and 64 so the table stays quick.
  const int batch_channels[][2] = {{1, 1}, {32, 3}, {1, 64}, {2, 3}, {32, 1}};
  int i = 0;
  for (int size : {1, 3, 7, 13, 26, 28}) {
    for (int pool : {2, 3}) {
      for (int stride : {1, 2}) {
        for (Padding padding : {Padding::valid, Padding::same}) {
          if (padding == Padding::valid && pool > size) continue;  // invalid geometry
          const auto* bc = batch_channels[i % 5];
          Pool2DGeometry g;
          g.batch = bc[0];
          g.in_h = g.in_w = size;
          g.channels = bc[1];
          g.pool_h = g.pool_w = pool;
          g.stride_h = g.stride_w = stride;
          g.padding = padding;
          cases.push_back({g, i % 3 == 2});
          ++i;
        }
      }
    }
  }
  // The course's pools (26 -> 13 and floor rounding 11 -> 5), 64 channels,
  // overlapping 3x3 windows at full size, and a non-square case.
  cases.push_back({{32, 26, 26, 64, 2, 2, 2, 2, Padding::valid}});
  cases.push_back({{32, 11, 11, 64, 2, 2, 2, 2, Padding::valid}});
  cases.push_back({{1, 28, 28, 64, 3, 3, 1, 1, Padding::same}, true});
  cases.push_back({{32, 28, 28, 3, 3, 3, 1, 1, Padding::valid}});
  cases.push_back({{2, 7, 13, 3, 3, 2, 2, 1, Padding::same}});
  cases.push_back({{3, 13, 7, 5, 2, 3, 1, 3, Padding::valid}});
  return cases;
}

// Values on a grid of a few levels, so that most windows hold ties.
std::vector<float> quantised_input(std::size_t count, std::uint32_t seed, bool all_negative) {
  std::vector<float> values = random_floats(count, seed, 0.0f, 1.0f);
  for (float& v : values) {
    const float level = std::floor(v * 4.0f) / 4.0f;  // 0, 0.25, 0.5, 0.75
    v = all_negative ? -1.0f - level : 2.0f * level - 0.75f;
  }
  return values;
}

class MaxPool2DCrosscheck : public VulkanTest, public ::testing::WithParamInterface<PoolCase> {};

TEST_P(MaxPool2DCrosscheck, ForwardAndBackwardMatchTheCpuExactly) {
  const Pool2DGeometry& g = GetParam().g;
  const std::size_t in_size = std::size_t(g.input_size());
  const std::size_t out_size = std::size_t(g.output_size());
  const auto x = quantised_input(in_size, 11, GetParam().all_negative);
  const auto dy = random_floats(out_size, 12);
  std::vector<float> y(out_size), dx(in_size);
  vknn::cpu::maxpool2d_forward(g, x.data(), y.data());
  vknn::cpu::maxpool2d_backward(g, x.data(), dy.data(), dx.data());

  // The relu-fused backward: the CPU composition of maxpool's backward and
  // relu's (x is the relu's output, so relu passes gradient where x > 0).
  std::vector<float> dx_relu(in_size);
  vknn::cpu::relu_backward<float>(std::int64_t(in_size), x.data(), dx.data(), dx_relu.data());

  auto x_d = to_device(x, "x");
  auto dy_d = to_device(dy, "dy");
  auto y_d = device_output<float>(out_size, "y");
  run_on_device("maxpool2d forward", [&](vknn::vk::Recording& r) {
    vknn::vk::ops::maxpool2d_forward(r, g, *x_d, *y_d);
  });
  expect_close(from_device<float>(*y_d, out_size), y, 0.0, "forward (" + g.describe() + ")");

  // Every backward variant that applies, with and without the relu mask.
  using vknn::vk::ops::PoolBackwardVariant;
  std::vector<PoolBackwardVariant> variants = {PoolBackwardVariant::gather};
  if (g.stride_h >= g.pool_h && g.stride_w >= g.pool_w) variants.push_back(PoolBackwardVariant::scatter);
  for (PoolBackwardVariant variant : variants) {
    for (bool relu_mask : {false, true}) {
      auto dx_d = device_output<float>(in_size, "dx");  // sentinel: unwritten inputs show
      run_on_device("maxpool2d backward", [&](vknn::vk::Recording& r) {
        vknn::vk::ops::maxpool2d_backward(r, g, *x_d, *dy_d, *dx_d, relu_mask, variant);
      });
      const std::string what = std::string("backward ") +
                               (variant == PoolBackwardVariant::gather ? "gather" : "scatter") +
                               (relu_mask ? " with relu mask" : "") + " (" + g.describe() + ")";
      expect_close(from_device<float>(*dx_d, in_size), relu_mask ? dx_relu : dx, 0.0, what);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Table, MaxPool2DCrosscheck, ::testing::ValuesIn(pool_cases()),
                         case_name);

// ---- bad arguments ----------------------------------------------------------

class MaxPool2DArguments : public VulkanTest {};

TEST_F(MaxPool2DArguments, ABufferTooSmallIsRefusedNamingOpBufferAndBytes) {
  const Pool2DGeometry g{2, 4, 4, 3, 2, 2, 2, 2, Padding::valid};  // 96 in, 24 out
  vknn::vk::Buffer x(device(), 96 * 4, "x");
  vknn::vk::Buffer dy(device(), 23 * 4, "short dy");
  vknn::vk::Buffer dx(device(), 96 * 4, "dx");
  vknn::vk::Recording r(device(), "bad arguments", vknn::vk::RecordingUse::once);
  try {
    vknn::vk::ops::maxpool2d_backward(r, g, x, dy, dx);
    FAIL() << "expected vknn::Error";
  } catch (const vknn::Error& e) {
    const std::string message = e.what();
    for (const char* part : {"maxpool2d_backward", "'short dy'", "92 bytes", "96 bytes"}) {
      EXPECT_NE(message.find(part), std::string::npos) << message << " lacks " << part;
    }
  }
  EXPECT_THROW(vknn::vk::ops::maxpool2d_forward(r, g, x, dy), vknn::Error);  // y needs 24 floats
  EXPECT_EQ(r.dispatch_count(), 0u);
}

TEST_F(MaxPool2DArguments, AnInvalidGeometryIsRefused) {
  vknn::vk::Buffer b(device(), 1024, "b");
  vknn::vk::Recording r(device(), "bad geometry", vknn::vk::RecordingUse::once);
  // A 3x3 pool does not fit a 2x2 input without padding.
  EXPECT_THROW(vknn::vk::ops::maxpool2d_forward(
                   r, Pool2DGeometry{1, 2, 2, 1, 3, 3, 1, 1, Padding::valid}, b, b),
               vknn::Error);
  EXPECT_THROW(vknn::vk::ops::maxpool2d_forward(
                   r, Pool2DGeometry{1, 4, 4, 0, 2, 2, 2, 2, Padding::valid}, b, b),
               vknn::Error);
}

}  // namespace
