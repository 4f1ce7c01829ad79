// Cross-check of the optimizer updates (src/ops/vulkan/optimizers.hpp)
// against the CPU reference, as a replayed training step runs them: ONE
// recording (the update, then advance_step) submitted again and again must
// follow the CPU doing steps t = 1, 2, 3, ..., which proves that t is read
// from device memory and advanced there; and a learning rate written into
// the step state between replays must change the next step without
// re-recording.
//
// Tolerances (normalised max error over weights, velocity, m, v):
// - SGD: 1e-6. The shader's arithmetic is `precise` (no fused
//   multiply-add), the same float operations as the reference (bit-exact
//   on lavapipe); the bound only leaves room for a device whose rounding
//   differs by an ULP.
// - Adam: 1e-6. Same element arithmetic, but alpha comes from float
//   series (1 - beta^t = -expm1(t log beta), shaders/accurate_math.glsl)
//   instead of the reference's double pow(): a few ULP, about 1e-6
//   relative at worst (checked on its own below, for t up to 10^6, at
//   2e-6); and Vulkan allows sqrt and division 2.5-3 ULP. On lavapipe the
//   measured errors are 6e-8 (weights) and 0 (m, v), alpha 1.5e-7.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "ops/crosscheck.hpp"
#include "vknn/cpu/reference_ops.hpp"
#include "vknn/error.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "ops/vulkan/optimizers.hpp"
#include "ops/vulkan/step_state.hpp"

namespace {

using vknn::AdamConfig;
using vknn::SgdConfig;
using vknn::vk::Buffer;
using vknn::vk::Recording;
namespace ops = vknn::vk::ops;
using namespace vknn_test;

constexpr double kSgdTolerance = 1e-6;
constexpr double kAdamTolerance = 1e-6;
constexpr double kAdamAlphaTolerance = 2e-6;

class OptimizersCrosscheck : public VulkanTest {};

Buffer make_state(float learning_rate, std::uint32_t iterations = 0) {
  ops::StepState state;
  state.learning_rate = learning_rate;
  state.iterations = iterations;
  return ops::make_step_state_buffer(device(), state);
}

// One Adam step on the device, recorded once (the update, then the step
// advance, as fit records it) over host copies kept to compare with.
struct AdamOnDevice {
  AdamOnDevice(const AdamConfig& config, std::vector<float> initial_weights,
               const std::vector<float>& initial_gradients)
      : weights(std::move(initial_weights)),
        m(weights.size(), 0.0f),
        v(weights.size(), 0.0f),
        weights_d(to_device(weights, "weights")),
        gradients_d(to_device(initial_gradients, "gradients")),
        m_d(to_device(m, "m")),
        v_d(to_device(v, "v")),
        state(make_state(config.learning_rate)),
        step(device(), "adam step") {
    ops::adam_update(step, config, weights.size(), state, *weights_d, *gradients_d, *m_d, *v_d);
    ops::advance_step(step, state);
    step.host_read_barrier();
    step.finish();
  }

  std::vector<float> weights, m, v;
  std::unique_ptr<Buffer> weights_d, gradients_d, m_d, v_d;
  Buffer state;
  Recording step;
};

void upload(Buffer& buffer, const std::vector<float>& values) {
  buffer.upload(values.data(), values.size() * sizeof(float));
}

TEST_F(OptimizersCrosscheck, SgdReplaysFollowTheReference) {
  for (float momentum : {0.0f, 0.9f}) {
    for (std::uint64_t count : {1u, 8u, 37u, 4099u, 40001u}) {
      SCOPED_TRACE("momentum " + std::to_string(momentum) + ", count " + std::to_string(count));
      SgdConfig config;
      config.learning_rate = 0.05f;
      config.momentum = momentum;
      std::vector<float> weights = random_floats(count, 11, -1.0f, 1.0f);
      std::vector<float> velocity(count, 0.0f);
      auto weights_d = to_device(weights, "weights");
      auto gradients_d = device_output<float>(count, "gradients");
      auto velocity_d = to_device(velocity, "velocity");
      Buffer state = make_state(config.learning_rate);

      Recording step(device(), "sgd step");
      ops::sgd_update(step, config, count, state, *weights_d, *gradients_d,
                      momentum != 0.0f ? velocity_d.get() : nullptr);
      ops::advance_step(step, state);
      step.host_read_barrier();
      step.finish();

      for (int replay = 0; replay < 6; ++replay) {
        if (replay == 3) {
          // A schedule: a new rate in the state buffer, same recording.
          config.learning_rate = 0.005f;
          ops::write_learning_rate(state, config.learning_rate);
        }
        const auto gradients = random_floats(count, 20 + replay, -2.0f, 2.0f);
        upload(*gradients_d, gradients);
        vknn::vk::submit(device(), step).wait();
        vknn::cpu::sgd_update<float>(config, std::int64_t(count), weights.data(),
                                     gradients.data(), velocity.data());
        const std::string when = "after replay " + std::to_string(replay);
        expect_close(from_device<float>(*weights_d, count), weights, kSgdTolerance,
                     "weights " + when);
        if (momentum != 0.0f) {
          expect_close(from_device<float>(*velocity_d, count), velocity, kSgdTolerance,
                       "velocity " + when);
        }
      }
      EXPECT_EQ(ops::read_step_state(state).iterations, 6u);
    }
  }
}

TEST_F(OptimizersCrosscheck, AdamReplaysFollowTheReferenceStepByStep) {
  for (std::uint64_t count : {1u, 8u, 37u, 4099u, 40001u}) {
    SCOPED_TRACE("count " + std::to_string(count));
    AdamConfig config;  // Keras defaults: lr 0.001, 0.9, 0.999, 1e-7
    AdamOnDevice adam(config, random_floats(count, 31, -1.0f, 1.0f),
                      std::vector<float>(count, -12345.0f));
    auto& [weights, m, v, weights_d, gradients_d, m_d, v_d, state, step] = adam;

    for (int t = 1; t <= 6; ++t) {
      if (t == 4) {
        config.learning_rate = 0.01f;
        ops::write_learning_rate(state, config.learning_rate);
      }
      // Gradients of mixed scale, with zeros (the first step's 0 / eps).
      auto gradients = random_floats(count, 40 + t, -1.0f, 1.0f);
      for (std::size_t i = 0; i < count; i += 5) gradients[i] = 0.0f;
      for (std::size_t i = 2; i < count; i += 7) gradients[i] *= 1e-4f;
      upload(*gradients_d, gradients);
      vknn::vk::submit(device(), step).wait();
      vknn::cpu::adam_update<float>(config, std::int64_t(count), t, weights.data(),
                                    gradients.data(), m.data(), v.data());
      const std::string when = "after step t=" + std::to_string(t);
      expect_close(from_device<float>(*weights_d, count), weights, kAdamTolerance,
                   "weights " + when);
      expect_close(from_device<float>(*m_d, count), m, kAdamTolerance, "m " + when);
      expect_close(from_device<float>(*v_d, count), v, kAdamTolerance, "v " + when);
    }
    EXPECT_EQ(ops::read_step_state(state).iterations, 6u);
  }
}

// The bias-corrected step size at large t, on its own: from m = v = 0 and
// w = 0, one update gives w = -alpha * m1 / (sqrt(v1) + eps), so the
// relative difference of w from the reference's is alpha's (plus an ULP or
// two). t is set by writing `iterations` into the state buffer.
TEST_F(OptimizersCrosscheck, AdamStepSizeMatchesForLargeT) {
  const std::uint64_t count = 3;
  const std::vector<float> gradients{1.0f, -0.25f, 3e-3f};
  for (float beta_2 : {0.999f, 0.9f}) {
    AdamConfig config;
    config.beta_2 = beta_2;
    auto weights_d = device_output<float>(count, "weights");
    auto gradients_d = to_device(gradients, "gradients");
    auto m_d = device_output<float>(count, "m");
    auto v_d = device_output<float>(count, "v");
    Buffer state = make_state(config.learning_rate);
    Recording step(device(), "adam single update");
    ops::adam_update(step, config, count, state, *weights_d, *gradients_d, *m_d, *v_d);
    step.host_read_barrier();
    step.finish();

    for (std::int64_t t : {1, 2, 3, 10, 100, 1000, 5000, 10000, 100000, 1000000}) {
      SCOPED_TRACE("beta_2 " + std::to_string(beta_2) + ", t " + std::to_string(t));
      weights_d->fill_zero();
      m_d->fill_zero();
      v_d->fill_zero();
      ops::StepState s;
      s.learning_rate = config.learning_rate;
      s.iterations = std::uint32_t(t - 1);
      ops::write_step_state(state, s);
      vknn::vk::submit(device(), step).wait();

      std::vector<float> weights(count, 0.0f), m(count, 0.0f), v(count, 0.0f);
      vknn::cpu::adam_update<float>(config, std::int64_t(count), t, weights.data(),
                                    gradients.data(), m.data(), v.data());
      const auto gpu = from_device<float>(*weights_d, count);
      for (std::size_t i = 0; i < count; ++i) {
        EXPECT_NEAR(gpu[i], weights[i], kAdamAlphaTolerance * std::fabs(weights[i]))
            << "element " << i;
      }
    }
  }
}

// Several replays queued without waiting, as fit queues steps: each
// submission sees the previous one's t.
TEST_F(OptimizersCrosscheck, AdamOverlappingSubmissionsAdvanceT) {
  const std::uint64_t count = 101;
  AdamConfig config;
  const auto gradients = random_floats(count, 4, -1.0f, 1.0f);
  AdamOnDevice adam(config, random_floats(count, 3, -1.0f, 1.0f), gradients);
  auto& [weights, m, v, weights_d, gradients_d, m_d, v_d, state, step] = adam;
  std::vector<vknn::vk::Submission> in_flight;
  for (int i = 0; i < 8; ++i) in_flight.push_back(vknn::vk::submit(device(), step));
  for (auto& s : in_flight) s.wait();
  for (int t = 1; t <= 8; ++t) {
    vknn::cpu::adam_update<float>(config, std::int64_t(count), t, weights.data(),
                                  gradients.data(), m.data(), v.data());
  }
  expect_close(from_device<float>(*weights_d, count), weights, kAdamTolerance, "weights");
  expect_close(from_device<float>(*v_d, count), v, kAdamTolerance, "v");
  EXPECT_EQ(ops::read_step_state(state).iterations, 8u);
}

using vknn_test::expect_error_mentions;

TEST_F(OptimizersCrosscheck, BadArgumentsNameTheOpAndBuffer) {
  Buffer state = make_state(0.01f);
  Buffer small_state(device(), 16, "small state");
  Buffer weights(device(), 40, "weights");
  Buffer short_grad(device(), 36, "short gradients");
  Buffer grad(device(), 40, "gradients");
  Recording r(device(), "bad arguments", vknn::vk::RecordingUse::once);
  SgdConfig sgd;
  sgd.momentum = 0.5f;
  expect_error_mentions([&] { ops::sgd_update(r, sgd, 10, state, weights, grad, nullptr); },
                        {"sgd_update", "velocity", "null"});
  sgd.momentum = 1.5f;
  expect_error_mentions([&] { ops::sgd_update(r, sgd, 10, state, weights, grad, &weights); },
                        {"sgd_update", "momentum"});
  AdamConfig adam;
  expect_error_mentions(
      [&] { ops::adam_update(r, adam, 10, state, weights, short_grad, weights, weights); },
      {"adam_update", "short gradients", "36", "40"});
  expect_error_mentions(
      [&] { ops::adam_update(r, adam, 10, small_state, weights, grad, weights, weights); },
      {"adam_update", "small state", "16", "32"});
  adam.beta_1 = 1.0f;
  expect_error_mentions(
      [&] { ops::adam_update(r, adam, 10, state, weights, grad, weights, weights); },
      {"adam_update", "beta_1"});
  expect_error_mentions([&] { ops::write_learning_rate(state, -1.0f); },
                        {"write_learning_rate", "learning_rate"});
}

}  // namespace
