// Shared harness for the cross-check table: every Vulkan op against the CPU
// reference (include/vknn/cpu/reference_ops.hpp) on the same inputs.
//
// Comparison metric: the largest absolute difference divided by the largest
// magnitude in the reference output (a normalised max error, as ggml's
// test-backend-ops uses). Element-wise relative error is meaningless where a
// sum cancels to near zero; the normalised error is not. Each op states its
// tolerance next to its table with the reason.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "support/error_text.hpp"
#include "vknn/ops/geometry.hpp"
#include "support/vulkan_fixture.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"

namespace vknn_test {

// A conv2d geometry from its numbers, in the order the tables list them.
inline vknn::Conv2DGeometry conv_geometry(int batch, int h, int w, int in_c, int out_c, int kh,
                                          int kw, int sh, int sw, vknn::Padding padding) {
  vknn::Conv2DGeometry g;
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

template <class T>
std::unique_ptr<vknn::vk::Buffer> to_device(const std::vector<T>& values, const std::string& name) {
  auto buffer = std::make_unique<vknn::vk::Buffer>(
      device(), std::max<std::size_t>(values.size() * sizeof(T), 4), name);
  buffer->upload(values.data(), values.size() * sizeof(T));
  return buffer;
}

// A device buffer of `count` elements filled with a sentinel, so an element
// the shader forgot to write shows up as a mismatch.
template <class T>
std::unique_ptr<vknn::vk::Buffer> device_output(std::size_t count, const std::string& name,
                                                T sentinel = T(-12345)) {
  return to_device(std::vector<T>(std::max<std::size_t>(count, 1), sentinel), name);
}

template <class T>
std::vector<T> from_device(const vknn::vk::Buffer& buffer, std::size_t count) {
  std::vector<T> values(count);
  buffer.download(values.data(), count * sizeof(T));
  return values;
}

// Records what `record` adds into a one-off recording, submits it and waits.
inline void run_on_device(const std::string& name,
                          const std::function<void(vknn::vk::Recording&)>& record) {
  vknn::vk::Recording recording(device(), name, vknn::vk::RecordingUse::once);
  record(recording);
  recording.host_read_barrier();
  recording.finish();
  vknn::vk::submit(device(), recording).wait();
}

inline std::vector<float> random_floats(std::size_t count, std::uint32_t seed, float low = -1.0f,
                                        float high = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(low, high);
  std::vector<float> values(count);
  for (auto& v : values) v = dist(rng);
  return values;
}

struct Comparison {
  double normalised_error = 0;  // max |gpu - cpu| / max |cpu|
  std::size_t worst_index = 0;
  float worst_gpu = 0, worst_cpu = 0;
};

inline Comparison compare(const std::vector<float>& gpu, const std::vector<float>& cpu) {
  Comparison c;
  double scale = 0;
  for (float v : cpu) scale = std::max(scale, std::fabs(double(v)));
  if (scale == 0) scale = 1;
  double worst = -1;
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    double diff = std::fabs(double(gpu[i]) - double(cpu[i]));
    if (std::isnan(gpu[i]) != std::isnan(cpu[i])) diff = INFINITY;
    if (diff > worst) {
      worst = diff;
      c.worst_index = i;
      c.worst_gpu = gpu[i];
      c.worst_cpu = cpu[i];
    }
  }
  c.normalised_error = worst / scale;
  return c;
}

// Asserts gpu matches cpu within `tolerance` (normalised max error).
inline void expect_close(const std::vector<float>& gpu, const std::vector<float>& cpu,
                         double tolerance, const std::string& what) {
  ASSERT_EQ(gpu.size(), cpu.size()) << what;
  const Comparison c = compare(gpu, cpu);
  EXPECT_LE(c.normalised_error, tolerance)
      << what << ": normalised error " << c.normalised_error << " at element " << c.worst_index
      << " (vulkan " << c.worst_gpu << ", cpu " << c.worst_cpu << ")";
}

}  // namespace vknn_test
