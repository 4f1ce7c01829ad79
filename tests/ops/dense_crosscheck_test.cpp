// Dense on Vulkan against the CPU reference where the op table cannot reach:
// the register-blocked GEMM without subgroup shuffles, and the fused softmax
// activation; plus argument errors and a timing look.
//
// Tolerance (normalised max error, see crosscheck.hpp): 5e-7 * sqrt(K), at
// least 3e-7, where K is the length of the reduction (in for the forward,
// out for the input gradient, batch for the kernel and bias gradients;
// 2e-5 at the course's K = 1600). The shaders accumulate in float, the
// reference in double; with inputs of random sign the float rounding error
// grows like sqrt(K) ulps of the partial sums, which are of the order of
// the largest output. Measured on lavapipe: at most 8e-8 * sqrt(K) for
// either variant, so the bound leaves a margin of about 6 for other
// summation orders on other devices.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ops/crosscheck.hpp"
#include "vknn/cpu/reference_ops.hpp"
#include "vknn/error.hpp"
#include "ops/vulkan/dense.hpp"
#include "ops/vulkan/variant_choice.hpp"

namespace {

using vknn::Activation;
using vknn::DenseGeometry;
using vknn::vk::ops::KernelVariant;
using vknn::vk::ops::variant_name;
using namespace vknn_test;

double tolerance_for(int reduction_length) {
  return std::max(3e-7, 5e-7 * std::sqrt(double(reduction_length)));
}

struct DenseCase {
  DenseGeometry g;
  Activation act = Activation::linear;
  KernelVariant variant = KernelVariant::automatic;
  // register_blocked in its shape for CPU drivers without subgroup shuffles
  // (vknn::vk::ops::detail::DenseWithoutShuffles), which is what it records
  // anyway on devices that are not CPU drivers or lack shuffles.
  bool without_shuffles = false;
};

std::string case_name(const ::testing::TestParamInfo<DenseCase>& info) {
  const DenseCase& c = info.param;
  return std::string(variant_name(c.variant)) + (c.without_shuffles ? "_without_shuffles" : "") +
         "_b" + std::to_string(c.g.batch) + "_in" +
         std::to_string(c.g.in_features) + "_out" + std::to_string(c.g.out_features) + "_" +
         vknn::to_string(c.act);
}

std::vector<DenseCase> dense_cases() {
  std::vector<DenseGeometry> shapes;
  for (int batch : {1, 32}) {
    for (int in : {1, 3, 10, 128, 1600}) {
      for (int out : {1, 3, 10, 128}) shapes.push_back({batch, in, out});
    }
  }
  // Odd batches (rows that do not fill a workgroup or a tile), a wide output.
  shapes.push_back({7, 13, 1600});
  shapes.push_back({13, 26, 28});
  shapes.push_back({3, 1600, 7});
  std::vector<DenseCase> cases;
  struct Variant {
    KernelVariant variant;
    bool without_shuffles;
  };
  for (const Variant v : {Variant{KernelVariant::automatic, false},
                          Variant{KernelVariant::register_blocked, false},
                          Variant{KernelVariant::register_blocked, true},
                          Variant{KernelVariant::shared_tiled, false}}) {
    for (const DenseGeometry& g : shapes) {
      // automatic is one of the others; run it on the course shapes only.
      const bool course = (g.batch == 32 && g.in_features == 1600 && g.out_features == 128) ||
                          (g.batch == 32 && g.in_features == 128 && g.out_features == 10);
      if (v.variant == KernelVariant::automatic && !course) continue;
      cases.push_back({g, Activation::linear, v.variant, v.without_shuffles});
    }
    // Fused activations: the course's hidden relu layer and softmax output.
    cases.push_back({{32, 1600, 128}, Activation::relu, v.variant, v.without_shuffles});
    cases.push_back({{7, 13, 3}, Activation::relu, v.variant, v.without_shuffles});
    cases.push_back({{32, 128, 10}, Activation::softmax, v.variant, v.without_shuffles});
    cases.push_back({{1, 3, 1}, Activation::softmax, v.variant, v.without_shuffles});
  }
  // Shapes that exercise the shuffle shape's edges: several row blocks with
  // a partial last one, several column blocks, K % 4 != 0, transposed loads
  // of an A whose row count is not a multiple of 4.
  for (const DenseGeometry& g : {DenseGeometry{50, 130, 70}, DenseGeometry{33, 66, 129},
                                 DenseGeometry{5, 7, 9}}) {
    cases.push_back({g, Activation::linear, KernelVariant::register_blocked, false});
    cases.push_back({g, Activation::relu, KernelVariant::register_blocked, true});
  }
  // The op table (op_table_entries.cpp) runs every variant the backend
  // interface can ask for on these shapes and more; what stays here is what
  // it cannot reach: the register-blocked shape without subgroup shuffles
  // (forced by a test hook) and a Dense op's own softmax activation (a
  // model leaves the final softmax to the loss).
  std::erase_if(cases, [](const DenseCase& c) {
    return !c.without_shuffles && c.act != Activation::softmax;
  });
  return cases;
}

class DenseCrosscheck : public VulkanTest, public ::testing::WithParamInterface<DenseCase> {};

TEST_P(DenseCrosscheck, ForwardAndGradientsMatchTheCpu) {
  const DenseCase& c = GetParam();
  const DenseGeometry& g = c.g;
  const std::size_t x_size = std::size_t(g.batch) * g.in_features;
  const std::size_t y_size = std::size_t(g.batch) * g.out_features;
  const std::size_t k_size = std::size_t(g.in_features) * g.out_features;
  const auto x = random_floats(x_size, 1);
  const auto kernel = random_floats(k_size, 2);
  const auto bias = random_floats(g.out_features, 3);
  const auto dy = random_floats(y_size, 4);

  std::vector<float> y(y_size), dx(x_size), dkernel(k_size), dbias(g.out_features);
  vknn::cpu::dense_forward(g, x.data(), kernel.data(), bias.data(), y.data(), c.act);
  vknn::cpu::dense_backward_input(g, dy.data(), kernel.data(), dx.data());
  vknn::cpu::dense_backward_kernel(g, x.data(), dy.data(), dkernel.data());
  vknn::cpu::dense_backward_bias(g, dy.data(), dbias.data());

  auto x_d = to_device(x, "x");
  auto kernel_d = to_device(kernel, "kernel");
  auto bias_d = to_device(bias, "bias");
  auto dy_d = to_device(dy, "dy");
  auto y_d = device_output<float>(y_size, "y");
  auto dx_d = device_output<float>(x_size, "dx");
  auto dkernel_d = device_output<float>(k_size, "dkernel");
  auto dbias_d = device_output<float>(g.out_features, "dbias");
  std::optional<vknn::vk::ops::detail::DenseWithoutShuffles> without_shuffles;
  if (c.without_shuffles) without_shuffles.emplace();
  run_on_device("dense crosscheck", [&](vknn::vk::Recording& r) {
    vknn::vk::ops::dense_forward(r, g, *x_d, *kernel_d, *bias_d, *y_d, c.act, c.variant);
    vknn::vk::ops::dense_backward_input(r, g, *dy_d, *kernel_d, *dx_d, c.variant);
    vknn::vk::ops::dense_backward_kernel(r, g, *x_d, *dy_d, *dkernel_d, c.variant);
    vknn::vk::ops::dense_backward_bias(r, g, *dy_d, *dbias_d);
  });

  const std::string shape = g.describe();
  expect_close(from_device<float>(*y_d, y_size), y, tolerance_for(g.in_features),
               "forward (" + shape + ")");
  expect_close(from_device<float>(*dx_d, x_size), dx, tolerance_for(g.out_features),
               "backward input (" + shape + ")");
  expect_close(from_device<float>(*dkernel_d, k_size), dkernel, tolerance_for(g.batch),
               "backward kernel (" + shape + ")");
  expect_close(from_device<float>(*dbias_d, g.out_features), dbias, tolerance_for(g.batch),
               "backward bias (" + shape + ")");
}

INSTANTIATE_TEST_SUITE_P(Table, DenseCrosscheck, ::testing::ValuesIn(dense_cases()), case_name);

// ---- bad arguments ----------------------------------------------------------

class DenseArguments : public VulkanTest {};

using vknn_test::error_of;

TEST_F(DenseArguments, ABufferTooSmallIsRefusedNamingOpBufferAndBytes) {
  const DenseGeometry g{32, 128, 10};
  vknn::vk::Buffer x(device(), 32 * 128 * 4, "x");
  vknn::vk::Buffer kernel(device(), 128 * 10 * 4, "kernel");
  vknn::vk::Buffer bias(device(), 10 * 4, "bias");
  vknn::vk::Buffer y(device(), 32 * 10 * 4 - 4, "too small y");
  vknn::vk::Recording r(device(), "bad arguments", vknn::vk::RecordingUse::once);
  const std::string message =
      error_of([&] { vknn::vk::ops::dense_forward(r, g, x, kernel, bias, y); });
  for (const char* part : {"dense_forward", "'too small y'", "1276 bytes", "1280 bytes"}) {
    EXPECT_NE(message.find(part), std::string::npos) << message << " lacks " << part;
  }
  const std::string kernel_message =
      error_of([&] { vknn::vk::ops::dense_backward_kernel(r, g, x, y, kernel); });
  EXPECT_NE(kernel_message.find("dense_backward_kernel"), std::string::npos) << kernel_message;
  EXPECT_NE(kernel_message.find("as dy"), std::string::npos) << kernel_message;
  EXPECT_EQ(r.dispatch_count(), 0u);
}

TEST_F(DenseArguments, AnInvalidGeometryIsRefused) {
  vknn::vk::Buffer b(device(), 64, "b");
  vknn::vk::Recording r(device(), "bad geometry", vknn::vk::RecordingUse::once);
  EXPECT_THROW(vknn::vk::ops::dense_backward_bias(r, DenseGeometry{0, 1, 1}, b, b), vknn::Error);
  EXPECT_THROW(vknn::vk::ops::dense_backward_input(r, DenseGeometry{1, 1, -3}, b, b, b),
               vknn::Error);
}

// ---- speed (run with --gtest_also_run_disabled_tests) -----------------------

// Times each dense GEMM at the course's shapes per variant: one recording
// holding one op, warmed up, then submitted and waited for kReps times
// (submission overhead included, which dominates the small shape);
// register_blocked both with and without shared loads. Each of
// the three products is 2 * batch * in * out FLOPs.
TEST_F(DenseArguments, DISABLED_SpeedAtCourseShapes) {
  constexpr int kWarmup = 3, kReps = 10;
  for (const DenseGeometry g : {DenseGeometry{32, 1600, 128}, DenseGeometry{32, 128, 10}}) {
    const std::size_t x_size = std::size_t(g.batch) * g.in_features;
    const std::size_t y_size = std::size_t(g.batch) * g.out_features;
    const std::size_t k_size = std::size_t(g.in_features) * g.out_features;
    auto x = to_device(random_floats(x_size, 1), "x");
    auto kernel = to_device(random_floats(k_size, 2), "kernel");
    auto bias = to_device(random_floats(g.out_features, 3), "bias");
    auto dy = to_device(random_floats(y_size, 4), "dy");
    auto y = device_output<float>(y_size, "y");
    auto dx = device_output<float>(x_size, "dx");
    auto dkernel = device_output<float>(k_size, "dkernel");
    for (const std::pair<KernelVariant, bool> choice :
         {std::pair{KernelVariant::register_blocked, false},
          std::pair{KernelVariant::register_blocked, true},
          std::pair{KernelVariant::shared_tiled, false}}) {
      const KernelVariant variant = choice.first;
      const bool no_shuffles = choice.second;
      std::optional<vknn::vk::ops::detail::DenseWithoutShuffles> without_shuffles;
      if (no_shuffles) without_shuffles.emplace();
      struct Op {
        const char* name;
        std::function<void(vknn::vk::Recording&)> record;
      };
      const Op ops[] = {
          {"forward", [&](auto& r) { vknn::vk::ops::dense_forward(r, g, *x, *kernel, *bias, *y,
                                                                  Activation::linear, variant); }},
          {"backward_input",
           [&](auto& r) { vknn::vk::ops::dense_backward_input(r, g, *dy, *kernel, *dx, variant); }},
          {"backward_kernel",
           [&](auto& r) { vknn::vk::ops::dense_backward_kernel(r, g, *x, *dy, *dkernel, variant); }},
      };
      for (const Op& op : ops) {
        vknn::vk::Recording recording(device(), op.name);
        op.record(recording);
        recording.finish();
        for (int i = 0; i < kWarmup; ++i) vknn::vk::submit(device(), recording).wait();
        double total = 0, best = 1e30;
        for (int i = 0; i < kReps; ++i) {
          const auto start = std::chrono::steady_clock::now();
          vknn::vk::submit(device(), recording).wait();
          const double seconds =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          total += seconds;
          best = std::min(best, seconds);
        }
        const double mean = total / kReps;
        const double gflop = double(g.forward_flops()) * 1e-9;
        std::printf("[ speed    ] dense %-15s %-33s %-28s mean %8.3f ms %6.2f GFLOP/s, "
                    "best %8.3f ms %6.2f GFLOP/s\n",
                    op.name,
                    no_shuffles ? "register_blocked_without_shuffles" : variant_name(variant),
                    g.describe().c_str(), mean * 1e3,
                    gflop / mean, best * 1e3, gflop / best);
      }
    }
  }
}

}  // namespace
