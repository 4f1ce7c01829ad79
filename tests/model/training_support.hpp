// Small synthetic datasets and models for the Sequential tests: fast on
// lavapipe, learnable in a few epochs.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <vector>

#include "support/vulkan_fixture.hpp"
#include "vknn/model/sequential.hpp"

namespace vknn_test {

// `count` images of side x side pixels of `channels` channels in `classes`
// classes: class k is bright in quadrant k (mod 4) and noisy elsewhere
// (every channel drawn on its own).
struct SyntheticImages {
  std::vector<std::uint8_t> pixels;
  std::vector<std::uint8_t> labels;
  std::int64_t count = 0;
  int side = 0;
  int channels = 1;
  vknn::Samples samples() const { return {pixels, count, {side, side, channels}}; }
};

inline SyntheticImages synthetic_images(std::int64_t count, int side, int classes,
                                        std::uint32_t seed, int channels = 1) {
  SyntheticImages d;
  d.count = count;
  d.side = side;
  d.channels = channels;
  d.pixels.resize(std::size_t(count) * side * side * channels);
  d.labels.resize(std::size_t(count));
  std::mt19937 rng(seed);
  for (std::int64_t i = 0; i < count; ++i) {
    const int label = int(rng() % std::uint32_t(classes));
    d.labels[i] = std::uint8_t(label);
    for (int r = 0; r < side; ++r) {
      for (int c = 0; c < side; ++c) {
        const int quadrant = (r >= side / 2) * 2 + (c >= side / 2);
        const int base = quadrant == label % 4 ? 150 : 40;
        for (int ch = 0; ch < channels; ++ch) {
          d.pixels[((i * side + r) * side + c) * channels + ch] =
              std::uint8_t(base + int(rng() % 80));
        }
      }
    }
  }
  return d;
}

inline std::vector<vknn::Layer> small_cnn(int side, int classes) {
  using namespace vknn;
  return {Conv2D(4, {3, 3}, Activation::relu, Shape{side, side, 1}), MaxPooling2D(2, 2),
          Flatten(), Dense(16, Activation::relu), Dense(classes, Activation::softmax)};
}

// The shared test context as the shared_ptr CompileOptions takes (it is
// owned by a static; the deleter does nothing).
inline std::shared_ptr<vknn::Context> shared_context() {
  return std::shared_ptr<vknn::Context>(&context(), [](vknn::Context*) {});
}

// The largest difference between two models' parameters (get_weights()).
inline double max_abs_difference(const std::vector<std::vector<float>>& a,
                                 const std::vector<std::vector<float>>& b) {
  double worst = 0;
  for (std::size_t t = 0; t < a.size(); ++t) {
    for (std::size_t i = 0; i < a[t].size(); ++i) {
      worst = std::max(worst, std::fabs(double(a[t][i]) - double(b[t][i])));
    }
  }
  return worst;
}

// The bytes of every weight tensor: equal means bit for bit.
inline std::vector<std::uint8_t> weight_bytes(vknn::Sequential& model) {
  std::vector<std::uint8_t> bytes;
  for (const auto& w : model.get_weights()) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(w.data());
    bytes.insert(bytes.end(), p, p + w.size() * sizeof(float));
  }
  return bytes;
}

// The largest device-local heap of the shared context's device, in bytes:
// what the memory-budget tests compare their sizes against.
inline std::uint64_t largest_device_local_heap() {
  std::uint64_t largest = 0;
  for (const auto& h : context().device_info().memory_heaps) {
    if (h.device_local && h.size > largest) largest = h.size;
  }
  return largest;
}

inline vknn::CompileOptions on(vknn::BackendKind kind, std::uint64_t seed = 7) {
  vknn::CompileOptions options;
  options.backend = kind;
  options.seed = seed;
  if (kind == vknn::BackendKind::vulkan) options.context = shared_context();
  return options;
}

// One model fitted on each backend: [0] the CPU reference, [1] Vulkan.
struct FittedOnBothBackends {
  std::vector<std::vector<float>> weights[2];
  vknn::History history[2];
};

// Fits `layers` on the CPU reference and on Vulkan with the same optimizer,
// seed, data and order, compiled with `compile_options(kind)` (on() unless
// given), and keeps each model's parameters and History.
inline FittedOnBothBackends fit_on_both_backends(
    const std::vector<vknn::Layer>& layers, const vknn::Optimizer& optimizer,
    const SyntheticImages& data, const vknn::FitOptions& options,
    const std::function<vknn::CompileOptions(vknn::BackendKind)>& compile_options =
        [](vknn::BackendKind kind) { return on(kind); }) {
  FittedOnBothBackends fitted;
  int i = 0;
  for (vknn::BackendKind kind : {vknn::BackendKind::cpu, vknn::BackendKind::vulkan}) {
    vknn::Sequential model(layers);
    model.compile(optimizer, compile_options(kind));
    fitted.history[i] = model.fit(data.samples(), data.labels, options);
    fitted.weights[i++] = model.get_weights();
  }
  return fitted;
}

// Expects the two backends' Histories to agree epoch by epoch: the loss
// within `loss_tolerance`, the accuracy within `accuracy_tolerance` (0: the
// same number).
inline void expect_same_history(const FittedOnBothBackends& fitted, int epochs,
                                double loss_tolerance, double accuracy_tolerance = 0) {
  const auto& cpu = fitted.history[0].history;
  const auto& vulkan = fitted.history[1].history;
  for (int e = 0; e < epochs; ++e) {
    EXPECT_NEAR(cpu.at("loss")[e], vulkan.at("loss")[e], loss_tolerance) << "epoch " << e;
    EXPECT_NEAR(cpu.at("accuracy")[e], vulkan.at("accuracy")[e], accuracy_tolerance) << "epoch " << e;
  }
}

// Fits `layers` on both backends (two epochs of 32 with a partial last
// batch; SGD with momentum, linear in the gradient, where Adam's division
// would magnify the backends' rounding) and returns the largest difference
// between the two models' parameters.
inline double cpu_vulkan_parameter_difference(const std::vector<vknn::Layer>& layers,
                                              const SyntheticImages& data) {
  const FittedOnBothBackends fitted = fit_on_both_backends(
      layers, vknn::SGD(0.05f, 0.9f), data, {.epochs = 2, .batch_size = 32, .verbose = 0, .seed = 3});
  return max_abs_difference(fitted.weights[0], fitted.weights[1]);
}

}  // namespace vknn_test
