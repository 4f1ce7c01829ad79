// conv2d on Vulkan: what the op table (op_table_entries.cpp, which
// cross-checks every pass and variant against the CPU backend) does not
// cover: argument errors, and a timing look at the course shapes.
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
#include "ops/vulkan/conv2d.hpp"

namespace {

using vknn::Activation;
using vknn::Conv2DGeometry;
using vknn::Padding;
using vknn::vk::Recording;
using vknn::vk::ops::KernelVariant;
using namespace vknn_test;


std::string camel_case_name(KernelVariant v) {
  switch (v) {
    case KernelVariant::automatic: return "Automatic";
    case KernelVariant::register_blocked: return "RegisterBlocked";
    case KernelVariant::shared_tiled: return "SharedTiled";
    case KernelVariant::winograd: return "Winograd";
  }
  return "Unknown";
}

struct Shape {
  const char* name;
  Conv2DGeometry g;
};

// The tables' builder, shared with the op table (ops/crosscheck.hpp).
const auto geometry = conv_geometry;

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

// Winograd is for 3x3 stride-1 convolutions with channel counts that are
// multiples of 4, and for the forward pass, input and kernel gradients: forcing it elsewhere
// says so instead of computing something else.
TEST_F(Conv2dArguments, WinogradWhereItDoesNotApplyIsAnError) {
  auto buffer = device_output<float>(4096, "buffer");
  const Conv2DGeometry odd_channels = geometry(1, 5, 5, 3, 4, 3, 3, 1, 1, Padding::valid);
  const Conv2DGeometry strided = geometry(1, 5, 5, 4, 4, 3, 3, 2, 2, Padding::valid);
  const Conv2DGeometry fits = geometry(1, 5, 5, 4, 4, 3, 3, 1, 1, Padding::valid);
  ASSERT_FALSE(vknn::vk::ops::conv2d_winograd_applies(odd_channels, device()));
  ASSERT_FALSE(vknn::vk::ops::conv2d_winograd_applies(strided, device()));
  ASSERT_TRUE(vknn::vk::ops::conv2d_winograd_applies(fits, device()));
  for (const Conv2DGeometry& g : {odd_channels, strided}) {
    const std::string message = error_of([&] {
      run_on_device("winograd", [&](Recording& r) {
        vknn::vk::ops::conv2d_forward(r, g, *buffer, *buffer, *buffer, *buffer, Activation::linear,
                                      KernelVariant::winograd);
      });
    });
    EXPECT_TRUE(mentions(message, "conv2d_forward")) << message;
    EXPECT_TRUE(mentions(message, "winograd variant does not apply")) << message;
  }
  const std::string bias_message = error_of([&] {
    run_on_device("winograd", [&](Recording& r) {
      vknn::vk::ops::conv2d_backward_bias(r, fits, *buffer, *buffer, KernelVariant::winograd);
    });
  });
  EXPECT_TRUE(mentions(bias_message, "conv2d_backward_bias")) << bias_message;
  EXPECT_TRUE(mentions(bias_message, "input and kernel gradients")) << bias_message;
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
    for (KernelVariant v :
         {KernelVariant::register_blocked, KernelVariant::shared_tiled, KernelVariant::winograd}) {
      const bool winograd = v == KernelVariant::winograd;
      if (winograd && !vknn::vk::ops::conv2d_winograd_applies(g, device())) continue;
      const auto report = [&](const char* pass, Timing t, double pass_flops) {
        std::printf("  %-16s %-16s %10.3f %9.2f %12.3f %10.2f\n", pass, camel_case_name(v).c_str(),
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
      if (winograd) continue;  // no bias gradient of its own
      report("backward_bias", time_per_call([&](Recording& r) {
               vknn::vk::ops::conv2d_backward_bias(r, g, *y, *dbias, v);
             }),
             double(g.output_size()));
    }
  }
}

}  // namespace
