// conv2d on Vulkan against the CPU reference: forward (linear and relu) and
// every backward pass, every kernel variant, on one table of shapes.
//
// Tolerances (normalised max error, see crosscheck.hpp). The reference sums
// in double and rounds once; the shaders sum K float32 terms in their own
// order, so the error grows with K (the reduction length) like K * eps in
// the worst case and like sqrt(K) * eps typically (eps = 6e-8):
//   forward, backward input  K <= 5*5*64 = 1600 terms         -> 1e-5
//   backward kernel, bias    K <= 32*28*28 = 25088 terms      -> 5e-5
// The largest errors these shapes show on lavapipe are 1.0e-6 (forward,
// input) and 3.4e-6 (kernel, bias): the bounds leave a 10x margin for other
// devices' summation orders and stay far below what a wrong index or a
// missed tap gives (order 1e-2 to 1).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "ops/crosscheck.hpp"
#include "vknn/cpu/reference_ops.hpp"
#include "vknn/error.hpp"
#include "vulkan/ops/conv2d.hpp"

namespace {

using vknn::Activation;
using vknn::Conv2DGeometry;
using vknn::Padding;
using vknn::vk::Recording;
using vknn::vk::ops::KernelVariant;
using namespace vknn_test;

constexpr double kForwardTolerance = 1e-5;
constexpr double kReductionTolerance = 5e-5;

struct Shape {
  const char* name;
  Conv2DGeometry g;
};

Conv2DGeometry geometry(int batch, int h, int w, int in_c, int out_c, int kh, int kw, int sh,
                        int sw, Padding padding) {
  Conv2DGeometry g;
  g.batch = batch;
  g.in_h = h;
  g.in_w = w;
  g.in_c = in_c;
  g.out_c = out_c;
  g.kernel_h = kh;
  g.kernel_w = kw;
  g.stride_h = sh;
  g.stride_w = sw;
  g.padding = padding;
  return g;
}

// Spatial 1, 3, 7, 13, 26, 28; batch 1 and 32; channels 1, 3, 64 (and 36);
// kernels 1x1, 3x3, 5x5, 3x5; stride 1 and 2; valid and same. Batch-32 rows stay
// small-channelled so the whole table runs in seconds on lavapipe.
const Shape kShapes[] = {
    {"Pixel1x1", geometry(1, 1, 1, 1, 1, 1, 1, 1, 1, Padding::valid)},
    {"Same3x3In3Out3", geometry(1, 3, 3, 3, 3, 3, 3, 1, 1, Padding::same)},
    {"Valid3x3To1x1In64Out3", geometry(1, 3, 3, 64, 3, 3, 3, 1, 1, Padding::valid)},
    {"Valid5x5In3Out64", geometry(1, 7, 7, 3, 64, 5, 5, 1, 1, Padding::valid)},
    {"Same5x5Stride2In64Out3", geometry(1, 7, 7, 64, 3, 5, 5, 2, 2, Padding::same)},
    {"Pointwise1x1In64Out64", geometry(1, 7, 7, 64, 64, 1, 1, 1, 1, Padding::valid)},
    {"CourseConv2Batch1", geometry(1, 13, 13, 64, 64, 3, 3, 1, 1, Padding::valid)},
    {"NonSquare3x5Stride2x1Same", geometry(1, 13, 26, 3, 64, 3, 5, 2, 1, Padding::same)},
    {"Valid3x3Stride2In64Out1", geometry(1, 26, 26, 64, 1, 3, 3, 2, 2, Padding::valid)},
    {"CourseConv1Batch1", geometry(1, 28, 28, 1, 64, 3, 3, 1, 1, Padding::valid)},
    // 36 channels: vec4 loads, but partial register blocks everywhere
    // (channel blocks of 32, kernel-row blocks of 32, lanes of 8 channels).
    {"PartialBlocksIn36Out36", geometry(1, 7, 7, 36, 36, 3, 3, 1, 1, Padding::same)},
    {"Batch32Same3x3In1Out3", geometry(32, 28, 28, 1, 3, 3, 3, 1, 1, Padding::same)},
    {"Batch32Valid5x5Stride2In3Out1", geometry(32, 13, 13, 3, 1, 5, 5, 2, 2, Padding::valid)},
    // The course model's conv1 at batch 32: one input channel (scalar x
    // reads, 64-channel forward blocks, a kernel gradient of one block).
    {"CourseConv1Batch32", geometry(32, 28, 28, 1, 64, 3, 3, 1, 1, Padding::valid)},
};

struct Case {
  Shape shape;
  KernelVariant variant;
};

std::string variant_name(KernelVariant v) {
  switch (v) {
    case KernelVariant::automatic: return "Automatic";
    case KernelVariant::register_blocked: return "RegisterBlocked";
    case KernelVariant::shared_tiled: return "SharedTiled";
  }
  return "Unknown";
}

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (const Shape& s : kShapes) {
    for (KernelVariant v : {KernelVariant::register_blocked, KernelVariant::shared_tiled}) {
      cases.push_back({s, v});
    }
  }
  return cases;
}

class Conv2dCrosscheck : public VulkanTest, public ::testing::WithParamInterface<Case> {
 protected:
  const Conv2DGeometry& g() const { return GetParam().shape.g; }
  KernelVariant variant() const { return GetParam().variant; }
  std::string what(const char* op) const {
    return std::string(op) + " " + variant_name(variant()) + " on " + g().describe();
  }
  std::size_t input_size() const { return std::size_t(g().input_size()); }
  std::size_t output_size() const { return std::size_t(g().output_size()); }
  std::size_t kernel_size() const { return std::size_t(g().kernel_size()); }
};

void check_forward(const Conv2DGeometry& g, KernelVariant variant, Activation act,
                   const std::string& what) {
  const auto x = random_floats(std::size_t(g.input_size()), 1);
  const auto kernel = random_floats(std::size_t(g.kernel_size()), 2);
  const auto bias = random_floats(std::size_t(g.out_c), 3);
  std::vector<float> expected(std::size_t(g.output_size()));
  vknn::cpu::conv2d_forward(g, x.data(), kernel.data(), bias.data(), expected.data(), act);

  auto x_buffer = to_device(x, "x");
  auto kernel_buffer = to_device(kernel, "kernel");
  auto bias_buffer = to_device(bias, "bias");
  auto y_buffer = device_output<float>(expected.size(), "y");
  run_on_device(what, [&](Recording& r) {
    vknn::vk::ops::conv2d_forward(r, g, *x_buffer, *kernel_buffer, *bias_buffer, *y_buffer, act,
                                  variant);
  });
  expect_close(from_device<float>(*y_buffer, expected.size()), expected, kForwardTolerance, what);
}

TEST_P(Conv2dCrosscheck, ForwardLinear) {
  check_forward(g(), variant(), Activation::linear, what("forward linear"));
}

TEST_P(Conv2dCrosscheck, ForwardRelu) {
  check_forward(g(), variant(), Activation::relu, what("forward relu"));
}

TEST_P(Conv2dCrosscheck, BackwardInput) {
  const auto dy = random_floats(output_size(), 4);
  const auto kernel = random_floats(kernel_size(), 5);
  std::vector<float> expected(input_size());
  vknn::cpu::conv2d_backward_input(g(), dy.data(), kernel.data(), expected.data());

  auto dy_buffer = to_device(dy, "dy");
  auto kernel_buffer = to_device(kernel, "kernel");
  auto dx_buffer = device_output<float>(expected.size(), "dx");
  run_on_device(what("backward input"), [&](Recording& r) {
    vknn::vk::ops::conv2d_backward_input(r, g(), *dy_buffer, *kernel_buffer, *dx_buffer,
                                         variant());
  });
  expect_close(from_device<float>(*dx_buffer, expected.size()), expected, kForwardTolerance,
               what("backward input"));
}

TEST_P(Conv2dCrosscheck, BackwardKernel) {
  const auto x = random_floats(input_size(), 6);
  const auto dy = random_floats(output_size(), 7);
  std::vector<float> expected(kernel_size());
  vknn::cpu::conv2d_backward_kernel(g(), x.data(), dy.data(), expected.data());

  auto x_buffer = to_device(x, "x");
  auto dy_buffer = to_device(dy, "dy");
  auto dkernel_buffer = device_output<float>(expected.size(), "dkernel");
  run_on_device(what("backward kernel"), [&](Recording& r) {
    vknn::vk::ops::conv2d_backward_kernel(r, g(), *x_buffer, *dy_buffer, *dkernel_buffer,
                                          variant());
  });
  expect_close(from_device<float>(*dkernel_buffer, expected.size()), expected,
               kReductionTolerance, what("backward kernel"));
}

TEST_P(Conv2dCrosscheck, BackwardBias) {
  const auto dy = random_floats(output_size(), 8);
  std::vector<float> expected(std::size_t(g().out_c));
  vknn::cpu::conv2d_backward_bias(g(), dy.data(), expected.data());

  auto dy_buffer = to_device(dy, "dy");
  auto dbias_buffer = device_output<float>(expected.size(), "dbias");
  run_on_device(what("backward bias"), [&](Recording& r) {
    vknn::vk::ops::conv2d_backward_bias(r, g(), *dy_buffer, *dbias_buffer, variant());
  });
  expect_close(from_device<float>(*dbias_buffer, expected.size()), expected,
               kReductionTolerance, what("backward bias"));
}

INSTANTIATE_TEST_SUITE_P(Table, Conv2dCrosscheck, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return std::string(info.param.shape.name) + "_" +
                                  variant_name(info.param.variant);
                         });

// ---- bad arguments ----

class Conv2dArguments : public VulkanTest {};

using vknn_test::error_of;

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(Conv2dArguments, TooSmallBufferNamesOpBufferAndBytes) {
  const Conv2DGeometry g = geometry(2, 5, 5, 3, 4, 3, 3, 1, 1, Padding::valid);  // y: 2x3x3x4
  auto x = device_output<float>(std::size_t(g.input_size()), "x");
  auto kernel = device_output<float>(std::size_t(g.kernel_size()), "kernel");
  auto bias = device_output<float>(std::size_t(g.out_c), "bias");
  auto y = device_output<float>(10, "conv/too_small_y");
  const std::string message = error_of([&] {
    run_on_device("too small", [&](Recording& r) {
      vknn::vk::ops::conv2d_forward(r, g, *x, *kernel, *bias, *y);
    });
  });
  EXPECT_TRUE(mentions(message, "conv2d_forward")) << message;
  EXPECT_TRUE(mentions(message, "conv/too_small_y")) << message;
  EXPECT_TRUE(mentions(message, "40 bytes")) << message;   // present
  EXPECT_TRUE(mentions(message, "288 bytes")) << message;  // needed: 72 floats

  const std::string kernel_message = error_of([&] {
    run_on_device("too small", [&](Recording& r) {
      vknn::vk::ops::conv2d_backward_kernel(r, g, *x, *y, *kernel);
    });
  });
  EXPECT_TRUE(mentions(kernel_message, "conv2d_backward_kernel")) << kernel_message;
  EXPECT_TRUE(mentions(kernel_message, "dy")) << kernel_message;
}

TEST_F(Conv2dArguments, KernelLargerThanValidInputIsAGeometryError) {
  const Conv2DGeometry g = geometry(1, 3, 3, 1, 1, 5, 5, 1, 1, Padding::valid);
  auto buffer = device_output<float>(1024, "big");
  for (KernelVariant v : {KernelVariant::register_blocked, KernelVariant::shared_tiled}) {
    const std::string message = error_of([&] {
      run_on_device("geometry", [&](Recording& r) {
        vknn::vk::ops::conv2d_forward(r, g, *buffer, *buffer, *buffer, *buffer,
                                      Activation::linear, v);
      });
    });
    EXPECT_TRUE(mentions(message, "5x5 does not fit a 3x3 input")) << message;
    EXPECT_TRUE(mentions(message, "same")) << message;  // says what would work
  }
  EXPECT_TRUE(mentions(error_of([&] {
                         run_on_device("geometry", [&](Recording& r) {
                           vknn::vk::ops::conv2d_backward_input(r, g, *buffer, *buffer, *buffer);
                         });
                       }),
                       "does not fit"));
}

TEST_F(Conv2dArguments, SoftmaxIsNotAConvActivation) {
  const Conv2DGeometry g = geometry(1, 3, 3, 1, 1, 3, 3, 1, 1, Padding::valid);
  auto buffer = device_output<float>(64, "buffer");
  const std::string message = error_of([&] {
    run_on_device("softmax", [&](Recording& r) {
      vknn::vk::ops::conv2d_forward(r, g, *buffer, *buffer, *buffer, *buffer, Activation::softmax);
    });
  });
  EXPECT_TRUE(mentions(message, "softmax")) << message;
}

// ---- timing (disabled by default; run with --gtest_also_run_disabled_tests) ----
//
// The course model's convolutions at batch 32, each pass and variant timed
// as submit + wait of a recording holding that one pass, averaged over 10
// replays after a warm-up. A quick look, not a benchmark (see bench/).
// Besides wall time it prints the process CPU time per call: lavapipe runs
// the shaders on this process's threads, so on a shared, busy machine CPU
// time says more about the shader than wall time does.

class Conv2dTiming : public VulkanTest {};

struct Timing {
  double wall_seconds = 0;
  double cpu_seconds = 0;
};

Timing time_per_call(const std::function<void(Recording&)>& record) {
  Recording recording(device(), "conv2d timing");
  record(recording);
  recording.finish();
  vknn::vk::submit(device(), recording).wait();  // warm-up (and pipeline compile)
  constexpr int kReps = 10;
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  for (int i = 0; i < kReps; ++i) vknn::vk::submit(device(), recording).wait();
  Timing t;
  t.cpu_seconds = double(std::clock() - cpu_start) / CLOCKS_PER_SEC / kReps;
  t.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / kReps;
  return t;
}

TEST_F(Conv2dTiming, DISABLED_CourseShapesBatch32) {
  const Shape shapes[] = {
      {"conv1 32x28x28x1 -> 64, 3x3 valid", geometry(32, 28, 28, 1, 64, 3, 3, 1, 1, Padding::valid)},
      {"conv2 32x13x13x64 -> 64, 3x3 valid",
       geometry(32, 13, 13, 64, 64, 3, 3, 1, 1, Padding::valid)},
  };
  std::printf("device: %s\n", device().info().name.c_str());
  for (const Shape& s : shapes) {
    const Conv2DGeometry& g = s.g;
    auto x = to_device(random_floats(std::size_t(g.input_size()), 1), "x");
    auto kernel = to_device(random_floats(std::size_t(g.kernel_size()), 2), "kernel");
    auto bias = to_device(random_floats(std::size_t(g.out_c), 3), "bias");
    auto y = device_output<float>(std::size_t(g.output_size()), "y");
    auto dx = device_output<float>(std::size_t(g.input_size()), "dx");
    auto dkernel = device_output<float>(std::size_t(g.kernel_size()), "dkernel");
    auto dbias = device_output<float>(std::size_t(g.out_c), "dbias");
    // Each backward pass does the forward's multiply-adds (stride 1); the
    // bias gradient is one add per dy element.
    const double flops = double(g.forward_flops());
    std::printf("%s (%.1f MFLOP per pass)\n", s.name, flops / 1e6);
    std::printf("  %-16s %-16s %10s %9s %12s %10s\n", "pass", "variant", "wall ms", "GFLOP/s",
                "cpu ms/call", "GFLOP/cpu-s");
    for (KernelVariant v : {KernelVariant::register_blocked, KernelVariant::shared_tiled}) {
      const auto report = [&](const char* pass, Timing t, double pass_flops) {
        std::printf("  %-16s %-16s %10.3f %9.2f %12.3f %10.2f\n", pass, variant_name(v).c_str(),
                    t.wall_seconds * 1e3, pass_flops / t.wall_seconds / 1e9, t.cpu_seconds * 1e3,
                    pass_flops / t.cpu_seconds / 1e9);
      };
      report("forward", time_per_call([&](Recording& r) {
               vknn::vk::ops::conv2d_forward(r, g, *x, *kernel, *bias, *y, Activation::relu, v);
             }),
             flops);
      report("backward_input", time_per_call([&](Recording& r) {
               vknn::vk::ops::conv2d_backward_input(r, g, *y, *kernel, *dx, v);
             }),
             flops);
      report("backward_kernel", time_per_call([&](Recording& r) {
               vknn::vk::ops::conv2d_backward_kernel(r, g, *x, *y, *dkernel, v);
             }),
             flops);
      report("backward_bias", time_per_call([&](Recording& r) {
               vknn::vk::ops::conv2d_backward_bias(r, g, *y, *dbias, v);
             }),
             double(g.output_size()));
    }
  }
}

}  // namespace
