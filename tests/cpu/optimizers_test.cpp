// Optimizer reference: a few steps of SGD and Adam against values computed
// by hand, bad hyper-parameters.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "test_util.hpp"
#include "vknn/cpu/reference_ops.hpp"

namespace vknn {
namespace {

using test::error_message;
using test::mentions;

// ---- SGD ----

// w = 1, g = 0.5 every step, lr 0.1: w -= 0.05 per step.
TEST(SgdUpdate, WithoutMomentum) {
  const SgdConfig config{.learning_rate = 0.1f, .momentum = 0.0f};
  std::vector<double> w{1.0, -2.0};
  const std::vector<double> g{0.5, -1.0};
  const double expected[3][2] = {{0.95, -1.9}, {0.90, -1.8}, {0.85, -1.7}};
  for (int step = 0; step < 3; ++step) {
    // Momentum 0 needs no velocity buffer.
    cpu::sgd_update<double>(config, 2, w.data(), g.data(), nullptr);
    // 1e-8: the learning rate is the float 0.1f = 0.100000001490116...
    EXPECT_NEAR(w[0], expected[step][0], 1e-8) << "step " << step + 1;
    EXPECT_NEAR(w[1], expected[step][1], 1e-8) << "step " << step + 1;
  }
}

// Keras: velocity = 0.9 velocity - 0.1 * 0.5; w += velocity.
//   v1 = -0.05                       w1 = 0.95
//   v2 = 0.9 * -0.05 - 0.05 = -0.095  w2 = 0.855
//   v3 = 0.9 * -0.095 - 0.05 = -0.1355 w3 = 0.7195
TEST(SgdUpdate, WithMomentum) {
  const SgdConfig config{.learning_rate = 0.1f, .momentum = 0.9f};
  std::vector<double> w{1.0}, velocity{0.0};
  const std::vector<double> g{0.5};
  const double expected_w[3] = {0.95, 0.855, 0.7195};
  const double expected_v[3] = {-0.05, -0.095, -0.1355};
  for (int step = 0; step < 3; ++step) {
    cpu::sgd_update<double>(config, 1, w.data(), g.data(), velocity.data());
    EXPECT_NEAR(velocity[0], expected_v[step], 1e-8) << "step " << step + 1;
    EXPECT_NEAR(w[0], expected_w[step], 1e-8) << "step " << step + 1;
  }
}

// ---- Adam ----

// Three steps on two weights, expected values from the Keras formulas
// written out here in double. The hyper-parameters are floats in the config,
// so the expected values use the same float-rounded constants.
TEST(AdamUpdate, ThreeStepsMatchKerasFormula) {
  const AdamConfig config{.learning_rate = 0.01f};  // beta_1 0.9, beta_2 0.999, eps 1e-7
  const double lr = config.learning_rate, b1 = config.beta_1, b2 = config.beta_2,
               eps = config.epsilon;
  const double gradients[3][2] = {{0.1, -0.2}, {0.3, 0.1}, {-0.2, 0.05}};

  std::vector<double> w{1.0, -0.5}, m{0.0, 0.0}, v{0.0, 0.0};
  std::vector<float> wf{1.0f, -0.5f}, mf{0.0f, 0.0f}, vf{0.0f, 0.0f};
  double ew[2] = {1.0, -0.5}, em[2] = {0.0, 0.0}, ev[2] = {0.0, 0.0};
  for (int t = 1; t <= 3; ++t) {
    const std::vector<double> g{gradients[t - 1][0], gradients[t - 1][1]};
    const std::vector<float> gf{float(g[0]), float(g[1])};
    cpu::adam_update<double>(config, 2, t, w.data(), g.data(), m.data(), v.data());
    cpu::adam_update<float>(config, 2, t, wf.data(), gf.data(), mf.data(), vf.data());

    // alpha = lr * sqrt(1 - b2^t) / (1 - b1^t)
    const double alpha = lr * std::sqrt(1.0 - std::pow(b2, t)) / (1.0 - std::pow(b1, t));
    for (int i = 0; i < 2; ++i) {
      em[i] = em[i] + (g[i] - em[i]) * (1.0 - b1);         // m += (g - m)(1 - b1)
      ev[i] = ev[i] + (g[i] * g[i] - ev[i]) * (1.0 - b2);  // v += (g^2 - v)(1 - b2)
      ew[i] = ew[i] - alpha * em[i] / (std::sqrt(ev[i]) + eps);
      EXPECT_NEAR(m[i], em[i], 1e-15) << "t " << t << ", weight " << i;
      EXPECT_NEAR(v[i], ev[i], 1e-15) << "t " << t << ", weight " << i;
      EXPECT_NEAR(w[i], ew[i], 1e-14) << "t " << t << ", weight " << i;
      EXPECT_NEAR(wf[i], ew[i], 1e-6) << "float, t " << t << ", weight " << i;
    }
  }
}

// Adam's first step moves every weight by about lr * sign(g), whatever |g|:
// m / sqrt(v) = (1 - b1) g / (sqrt(1 - b2) |g|) and alpha undoes both factors.
TEST(AdamUpdate, FirstStepIsLearningRateTimesSign) {
  const AdamConfig config{};  // Keras defaults, lr 0.001
  std::vector<double> w{0.0, 0.0, 0.0}, m(3, 0.0), v(3, 0.0);
  const std::vector<double> g{1e-3, -5.0, 40.0};
  cpu::adam_update<double>(config, 3, 1, w.data(), g.data(), m.data(), v.data());
  // eps / sqrt(v) shortens the step by at most 1e-7 / (sqrt(0.001) * 1e-3), about 3e-3.
  EXPECT_NEAR(w[0], -0.001, 0.001 * 4e-3);
  EXPECT_NEAR(w[1], 0.001, 1e-9);
  EXPECT_NEAR(w[2], -0.001, 1e-9);
}

// ---- bad arguments ----

TEST(OptimizerErrors, AdamStepZeroNamesTheFirstValidStep) {
  std::vector<double> w(2), g(2), m(2), v(2);
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::adam_update<double>(AdamConfig{}, 2, 0, w.data(), g.data(),
                                                  m.data(), v.data());
                       }),
                       {"adam_update", "t must be >= 1", "got t = 0"}));
}

TEST(OptimizerErrors, BadHyperParametersAndBuffers) {
  std::vector<float> w(2), g(2), m(2), v(2);
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::adam_update<float>(AdamConfig{.beta_1 = 1.0f}, 2, 1, w.data(),
                                                 g.data(), m.data(), v.data());
                       }),
                       {"adam_update", "beta_1", "[0, 1)"}));
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::adam_update<float>(AdamConfig{}, 2, 1, w.data(), g.data(),
                                                 m.data(), nullptr);
                       }),
                       {"adam_update", "v is null", "2 elements"}));
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::sgd_update<float>(SgdConfig{.momentum = 0.9f}, 2, w.data(),
                                                g.data(), nullptr);
                       }),
                       {"sgd_update", "velocity is null", "momentum"}));
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::sgd_update<float>(SgdConfig{.momentum = 1.5f}, 2, w.data(),
                                                g.data(), v.data());
                       }),
                       {"sgd_update", "momentum must be in [0, 1]", "1.5"}));
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::sgd_update<float>(SgdConfig{}, -3, w.data(), g.data(), nullptr);
                       }),
                       {"sgd_update", "count", "-3"}));
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::sgd_update<float>(SgdConfig{.learning_rate = -0.1f}, 2, w.data(),
                                                g.data(), nullptr);
                       }),
                       {"sgd_update", "learning_rate", ">= 0"}));
}

}  // namespace
}  // namespace vknn
