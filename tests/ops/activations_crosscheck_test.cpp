// relu and softmax on Vulkan against the CPU reference, forward and
// backward, for every softmax reduction variant the device offers.
//
// Tolerances (normalised max error, see crosscheck.hpp):
// - relu: exact (0). Both directions only select values.
// - softmax: 1e-6. The shader computes exp and the row sum in float, the
//   reference in double; one row's sum of up to 1000 terms in [0, 1]
//   carries a relative error of a few float ulps (1.2e-7 each), and outputs
//   are at most 1.
// - softmax backward: 2e-6. Adds the float dot product sum(dy * y) over the
//   row (|dy| <= 1, sum(y) = 1, so it is below 1 in magnitude) to the above.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "ops/crosscheck.hpp"
#include "vknn/cpu/reference_ops.hpp"
#include "vknn/error.hpp"
#include "ops/vulkan/activations.hpp"
#include "ops/vulkan/device_profile.hpp"

namespace {

using vknn::ClassesGeometry;
using vknn::vk::ops::ReductionVariant;
using namespace vknn_test;

constexpr double kSoftmaxTolerance = 1e-6;
constexpr double kSoftmaxBackwardTolerance = 2e-6;

// ---- relu -------------------------------------------------------------------

class ReluCrosscheck : public VulkanTest, public ::testing::WithParamInterface<std::int64_t> {};

TEST_P(ReluCrosscheck, ForwardAndBackwardMatchTheCpuExactly) {
  const std::int64_t count = GetParam();
  auto x = random_floats(std::size_t(count), 21);
  // Exact zeros sit on the boundary of both comparisons.
  for (std::size_t i = 0; i < x.size(); i += 5) x[i] = 0.0f;
  // A NaN passes through relu (TerminateOnNaN must see it), and gets no gradient.
  if (x.size() > 3) x[3] = std::numeric_limits<float>::quiet_NaN();
  const auto dy = random_floats(std::size_t(count), 22);
  std::vector<float> y(x.size()), dx(x.size());
  vknn::cpu::relu_forward(count, x.data(), y.data());
  vknn::cpu::relu_backward(count, y.data(), dy.data(), dx.data());

  auto x_d = to_device(x, "x");
  auto y_ref_d = to_device(y, "y (reference)");
  auto dy_d = to_device(dy, "dy");
  auto y_d = device_output<float>(x.size(), "y");
  auto dx_d = device_output<float>(x.size(), "dx");
  run_on_device("relu crosscheck", [&](vknn::vk::Recording& r) {
    vknn::vk::ops::relu_forward(r, count, *x_d, *y_d);
    vknn::vk::ops::relu_backward(r, count, *y_ref_d, *dy_d, *dx_d);
  });
  expect_close(from_device<float>(*y_d, x.size()), y, 0.0, "relu forward");
  expect_close(from_device<float>(*dx_d, x.size()), dx, 0.0, "relu backward");
}

// 1 to the seed model's largest activation (32x26x26x64).
INSTANTIATE_TEST_SUITE_P(Counts, ReluCrosscheck,
                         ::testing::Values(1, 3, 7, 1000, 4099, 32 * 26 * 26 * 64));

// ---- softmax ----------------------------------------------------------------

struct SoftmaxCase {
  ClassesGeometry g;
  float logit_scale = 1.0f;  // logits uniform in [-scale, scale]
  ReductionVariant variant = ReductionVariant::automatic;
};

const char* variant_name(ReductionVariant v) {
  switch (v) {
    case ReductionVariant::automatic: return "automatic";
    case ReductionVariant::subgroup: return "subgroup";
    case ReductionVariant::shared_memory: return "shared_memory";
  }
  return "?";
}

std::string softmax_name(const ::testing::TestParamInfo<SoftmaxCase>& info) {
  const SoftmaxCase& c = info.param;
  return std::string(variant_name(c.variant)) + "_b" + std::to_string(c.g.batch) + "_classes" +
         std::to_string(c.g.classes) + "_scale" + std::to_string(int(c.logit_scale));
}

std::vector<SoftmaxCase> softmax_cases() {
  std::vector<SoftmaxCase> cases;
  for (ReductionVariant variant :
       {ReductionVariant::automatic, ReductionVariant::subgroup, ReductionVariant::shared_memory}) {
    for (int batch : {1, 32}) {
      for (int classes : {1, 3, 10, 13, 100, 1000}) {
        cases.push_back({{batch, classes}, 1.0f, variant});
      }
    }
    // Large logits: exp(80) overflows float without the max subtraction.
    cases.push_back({{32, 10}, 80.0f, variant});
    cases.push_back({{7, 1000}, 80.0f, variant});
  }
  return cases;
}

class SoftmaxCrosscheck : public VulkanTest, public ::testing::WithParamInterface<SoftmaxCase> {
 protected:
  void SetUp() override {
    VulkanTest::SetUp();
    const auto profile = vknn::vk::DeviceProfile::of(device().info());
    if (GetParam().variant == ReductionVariant::subgroup && !profile.subgroup_arithmetic) {
      GTEST_SKIP() << "device has no subgroup arithmetic in compute";
    }
  }
};

TEST_P(SoftmaxCrosscheck, ForwardAndBackwardMatchTheCpu) {
  const SoftmaxCase& c = GetParam();
  const std::size_t size = std::size_t(c.g.batch) * c.g.classes;
  auto x = random_floats(size, 31, -c.logit_scale, c.logit_scale);
  if (c.logit_scale > 1.0f && c.g.classes >= 2) {
    x[0] = c.logit_scale;  // the extremes, in one row
    x[1] = -c.logit_scale;
  }
  const auto dy = random_floats(size, 32);
  std::vector<float> y(size), dx(size);
  vknn::cpu::softmax_forward(c.g, x.data(), y.data());
  vknn::cpu::softmax_backward(c.g, y.data(), dy.data(), dx.data());

  auto x_d = to_device(x, "x");
  auto y_ref_d = to_device(y, "y (reference)");
  auto dy_d = to_device(dy, "dy");
  auto y_d = device_output<float>(size, "y");
  auto dx_d = device_output<float>(size, "dx");
  auto in_place_d = to_device(x, "x, then y in place");
  run_on_device("softmax crosscheck", [&](vknn::vk::Recording& r) {
    vknn::vk::ops::softmax_forward(r, c.g, *x_d, *y_d, c.variant);
    vknn::vk::ops::softmax_forward(r, c.g, *in_place_d, *in_place_d, c.variant);
    vknn::vk::ops::softmax_backward(r, c.g, *y_ref_d, *dy_d, *dx_d, c.variant);
  });
  const std::string shape = c.g.describe();
  expect_close(from_device<float>(*y_d, size), y, kSoftmaxTolerance, "forward (" + shape + ")");
  expect_close(from_device<float>(*in_place_d, size), y, kSoftmaxTolerance,
               "forward in place (" + shape + ")");
  expect_close(from_device<float>(*dx_d, size), dx, kSoftmaxBackwardTolerance,
               "backward (" + shape + ")");
}

INSTANTIATE_TEST_SUITE_P(Table, SoftmaxCrosscheck, ::testing::ValuesIn(softmax_cases()),
                         softmax_name);

// ---- ops chained in one recording --------------------------------------------

class ActivationChain : public VulkanTest {};

// relu -> softmax -> softmax' -> relu' recorded back to back: each op's
// closing barrier must make its output visible to the next dispatch.
TEST_F(ActivationChain, BackToBackOpsSeeEachOthersOutputs) {
  const ClassesGeometry g{32, 10};
  const std::int64_t count = 320;
  const auto x = random_floats(std::size_t(count), 41, -3.0f, 3.0f);
  const auto dy = random_floats(std::size_t(count), 42);
  std::vector<float> h(x.size()), y(x.size()), dh(x.size()), dx(x.size());
  vknn::cpu::relu_forward(count, x.data(), h.data());
  vknn::cpu::softmax_forward(g, h.data(), y.data());
  vknn::cpu::softmax_backward(g, y.data(), dy.data(), dh.data());
  vknn::cpu::relu_backward(count, h.data(), dh.data(), dx.data());

  auto x_d = to_device(x, "x");
  auto dy_d = to_device(dy, "dy");
  auto h_d = device_output<float>(x.size(), "h");
  auto y_d = device_output<float>(x.size(), "y");
  auto dh_d = device_output<float>(x.size(), "dh");
  auto dx_d = device_output<float>(x.size(), "dx");
  run_on_device("activation chain", [&](vknn::vk::Recording& r) {
    vknn::vk::ops::relu_forward(r, count, *x_d, *h_d);
    vknn::vk::ops::softmax_forward(r, g, *h_d, *y_d);
    vknn::vk::ops::softmax_backward(r, g, *y_d, *dy_d, *dh_d);
    vknn::vk::ops::relu_backward(r, count, *h_d, *dh_d, *dx_d);
  });
  expect_close(from_device<float>(*dx_d, x.size()), dx, kSoftmaxBackwardTolerance, "chain dx");
}

// ---- bad arguments ------------------------------------------------------------

class ActivationArguments : public VulkanTest {};

using vknn_test::error_of;

TEST_F(ActivationArguments, ZeroOrNegativeCountIsRefused) {
  vknn::vk::Buffer b(device(), 64, "b");
  vknn::vk::Recording r(device(), "bad count", vknn::vk::RecordingUse::once);
  const std::string message = error_of([&] { vknn::vk::ops::relu_forward(r, 0, b, b); });
  EXPECT_NE(message.find("relu_forward"), std::string::npos) << message;
  EXPECT_NE(message.find("count"), std::string::npos) << message;
  EXPECT_THROW(vknn::vk::ops::relu_backward(r, -1, b, b, b), vknn::Error);
  EXPECT_EQ(r.dispatch_count(), 0u);
}

TEST_F(ActivationArguments, ABufferTooSmallIsRefusedNamingOpBufferAndBytes) {
  vknn::vk::Buffer big(device(), 320 * 4, "big");
  vknn::vk::Buffer small(device(), 100, "small dx");
  vknn::vk::Recording r(device(), "bad buffers", vknn::vk::RecordingUse::once);
  const std::string relu = error_of([&] { vknn::vk::ops::relu_backward(r, 320, big, big, small); });
  for (const char* part : {"relu_backward", "'small dx'", "100 bytes", "1280 bytes"}) {
    EXPECT_NE(relu.find(part), std::string::npos) << relu << " lacks " << part;
  }
  const std::string softmax = error_of(
      [&] { vknn::vk::ops::softmax_backward(r, ClassesGeometry{32, 10}, big, big, small); });
  for (const char* part : {"softmax_backward", "'small dx'", "100 bytes", "1280 bytes", "32x10"}) {
    EXPECT_NE(softmax.find(part), std::string::npos) << softmax << " lacks " << part;
  }
  EXPECT_THROW(vknn::vk::ops::softmax_forward(r, ClassesGeometry{0, 10}, big, big), vknn::Error);
  EXPECT_EQ(r.dispatch_count(), 0u);
}

}  // namespace
