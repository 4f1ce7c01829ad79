// Initialisers: Keras fans, glorot_uniform's range and moments, zeros for
// biases, and determinism per seed.
#include "model/initializers.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "model_test_support.hpp"

namespace vknn::model {
namespace {

using testing::course_model;

TEST(Initializers, KerasFans) {
  Fans conv = compute_fans({3, 3, 64, 32});
  EXPECT_DOUBLE_EQ(conv.fan_in, 3 * 3 * 64);
  EXPECT_DOUBLE_EQ(conv.fan_out, 3 * 3 * 32);
  Fans dense = compute_fans({1600, 128});
  EXPECT_DOUBLE_EQ(dense.fan_in, 1600);
  EXPECT_DOUBLE_EQ(dense.fan_out, 128);
  Fans bias = compute_fans({10});
  EXPECT_DOUBLE_EQ(bias.fan_in, 10);
  EXPECT_DOUBLE_EQ(bias.fan_out, 10);
  EXPECT_DOUBLE_EQ(glorot_uniform_limit({3, 3, 1, 64}), std::sqrt(6.0 / (9 + 576)));
  EXPECT_DOUBLE_EQ(glorot_uniform_limit({128, 10}), std::sqrt(6.0 / 138));
}

// Kernel-shaped tensors large enough for the moments to settle.
class GlorotMoments : public ::testing::TestWithParam<Shape> {};

TEST_P(GlorotMoments, RangeMeanAndVariance) {
  const Shape shape = GetParam();
  const double limit = glorot_uniform_limit(shape);
  const std::vector<float> values = glorot_uniform(shape, 1234);
  double sum = 0, sum_sq = 0;
  float lo = values[0], hi = values[0];
  for (float v : values) {
    ASSERT_LE(std::abs(static_cast<double>(v)), limit) << v;
    sum += v;
    sum_sq += static_cast<double>(v) * v;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  const double n = static_cast<double>(values.size());
  const double mean = sum / n;
  const double variance = sum_sq / n - mean * mean;
  const double expected_variance = limit * limit / 3.0;
  // Uniform(-L, L): the mean's standard error is L / sqrt(3n); allow 5 of them.
  EXPECT_NEAR(mean, 0.0, 5.0 * limit / std::sqrt(3.0 * n));
  // The variance's relative standard error is about sqrt(0.8 / n).
  EXPECT_NEAR(variance / expected_variance, 1.0, 5.0 * std::sqrt(0.8 / n));
  // The draws cover the range.
  EXPECT_LT(lo, -0.99 * limit);
  EXPECT_GT(hi, 0.99 * limit);
}

INSTANTIATE_TEST_SUITE_P(Shapes, GlorotMoments,
                         ::testing::Values(Shape{3, 3, 64, 64}, Shape{1600, 128},
                                           Shape{5, 5, 3, 200}));

TEST(Initializers, SameSeedSameValuesDifferentSeedsDiffer) {
  const Shape shape{3, 3, 16, 16};
  const std::vector<float> a = glorot_uniform(shape, 42);
  const std::vector<float> b = glorot_uniform(shape, 42);
  const std::vector<float> c = glorot_uniform(shape, 43);
  EXPECT_EQ(a, b);
  ASSERT_EQ(a.size(), c.size());
  std::size_t equal = 0;
  for (std::size_t i = 0; i < a.size(); ++i) equal += a[i] == c[i];
  EXPECT_LT(equal, a.size() / 100);
}

// The mapping is ours and the engine is fully specified by the standard, so
// the values are fixed for all time; a change here changes every model's
// starting point and must be deliberate.
TEST(Initializers, ValuesArePinned) {
  const std::vector<float> v = glorot_uniform(Shape{2, 3}, 7);
  std::mt19937_64 engine(7);
  const double limit = std::sqrt(6.0 / 5.0);
  for (float x : v) {
    const double u = static_cast<double>(engine() >> 40) / 16777216.0;
    EXPECT_EQ(x, static_cast<float>(limit * (2.0 * u - 1.0)));
  }
  // mt19937_64's 10000th output for the default seed is fixed by the standard.
  std::mt19937_64 reference;
  reference.discard(9999);
  EXPECT_EQ(reference(), 9981545732273789042ull);
}

TEST(Initializers, ModelParameters) {
  const Architecture arch = Architecture::build(course_model(16));
  const std::vector<std::vector<float>> values = initial_parameters(arch, 5);
  const std::vector<ParameterSpec> specs = arch.parameters();
  ASSERT_EQ(values.size(), specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    SCOPED_TRACE(specs[i].name);
    ASSERT_EQ(static_cast<std::int64_t>(values[i].size()), specs[i].size());
    if (specs[i].role == ParameterRole::bias) {
      for (float v : values[i]) EXPECT_EQ(v, 0.0f);
    } else {
      const double limit = glorot_uniform_limit(specs[i].shape);
      for (float v : values[i]) EXPECT_LE(std::abs(static_cast<double>(v)), limit);
      EXPECT_EQ(values[i], glorot_uniform(specs[i].shape, tensor_seed(5, specs[i].name)));
    }
  }
  EXPECT_EQ(initial_parameters(arch, 5), values);
  EXPECT_NE(initial_parameters(arch, 6)[0], values[0]);
  // Two kernels of one shape in one model still get different values.
  const Architecture twins = Architecture::build(
      {Flatten(Shape{8}), Dense(8), Dense(8)});
  const std::vector<std::vector<float>> t = initial_parameters(twins, 1);
  EXPECT_NE(t[0], t[2]);
}

TEST(Initializers, SizeMismatchIsAnError) {
  std::vector<float> out(5);
  testing::expect_error([&] { glorot_uniform(out, Shape{2, 3}, 1); },
                        {"glorot_uniform", "(2, 3)", "6 elements", "holds 5"});
}

}  // namespace
}  // namespace vknn::model

// model/seeding.hpp's functions are pinned: each one's value decides the
// initial weights, the dropout masks or the sample order of every run, and
// so every figure the README and the tests compare against. The expected
// values were computed apart from vknn (Python, from the formulas).
TEST(Seeding, EverySeedIsPinned) {
  using namespace vknn::model;
  EXPECT_EQ(splitmix64(0), 0xe220a8397b1dcdafull);  // SplitMix64's published first output
  EXPECT_EQ(dropout_seed(0, 0), 0x8209b480faed1b10ull);
  EXPECT_EQ(dropout_seed(42, 3), 0xbe111852ad02f51dull);
  EXPECT_EQ(shuffle_seed(7, 2), 0x538454127b096496ull);
  EXPECT_NE(dropout_seed(0, 0), dropout_seed(0, 1));
  EXPECT_NE(dropout_seed(0, 0), dropout_seed(1, 0));
}
