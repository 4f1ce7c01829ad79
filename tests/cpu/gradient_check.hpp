// Finite-difference gradient checks for the CPU reference backward passes.
//
// Every backward is checked the same way. Take a fixed random r shaped like
// the op's output y and the scalar objective L = sum_i y_i * r_i. Then
// dL/dy = r, so the analytic gradient of L with respect to an input p is the
// op's backward applied to dy = r, and the numeric gradient is the central
// difference (L(p + h e_j) - L(p - h e_j)) / 2h for every element j of p.
//
// Tolerance, in double with h = 1e-6: the central difference's truncation
// error is about h^2 |L'''| ~ 1e-12 for the smooth ops (softmax, the loss)
// and zero for the piecewise linear ones (conv, dense, pool, relu, away from
// their kinks), and its rounding error is about 1e-16 |L| / h ~ 1e-10 |L|
// with |L| well under 100 here. A relative error of 1e-6 is therefore a wide
// margin, while a wrong index or a missing term gives errors of order 1.
// The denominator is floored at 1 so that near-zero gradients are compared
// absolutely (their relative error is all rounding noise).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <sstream>
#include <vector>

namespace vknn::test {

inline constexpr double kGradientStep = 1e-6;
inline constexpr double kGradientTolerance = 1e-6;

// Deterministic values from SplitMix64, so every table draws the same numbers
// on every platform and standard library (std::uniform_real_distribution is
// implementation-defined).
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi).
  double uniform(double lo, double hi) {
    return lo + (hi - lo) * double(next() >> 11) * (1.0 / 9007199254740992.0);
  }

 private:
  std::uint64_t state_;
};

inline std::vector<double> random_values(std::int64_t count, std::uint64_t seed, double lo = -1.0,
                                         double hi = 1.0) {
  Random random(seed);
  std::vector<double> values(static_cast<std::size_t>(count));
  for (double& value : values) value = random.uniform(lo, hi);
  return values;
}

// Distinct values at least 1/count apart in a shuffled order: no two taps
// of a pooling window come within h of each other, so max pooling stays
// differentiable under the finite difference.
inline std::vector<double> distinct_values(std::int64_t count, std::uint64_t seed) {
  std::vector<double> values(static_cast<std::size_t>(count));
  for (std::int64_t i = 0; i < count; ++i) values[i] = -1.0 + 2.0 * double(i) / double(count);
  Random random(seed);
  for (std::int64_t i = count - 1; i > 0; --i) {
    std::swap(values[i], values[random.next() % std::uint64_t(i + 1)]);
  }
  return values;
}

// sum_i y_i * r_i: the scalar objective whose dL/dy is r.
inline double weighted_sum(const std::vector<double>& y, const std::vector<double>& r) {
  double sum = 0.0;
  for (std::size_t i = 0; i < y.size(); ++i) sum += y[i] * r[i];
  return sum;
}

// Central-difference gradient of objective() with respect to every element
// of param; objective() must read param (it is perturbed in place and
// restored).
inline std::vector<double> numeric_gradient(std::vector<double>& param,
                                            const std::function<double()>& objective,
                                            double h = kGradientStep) {
  std::vector<double> gradient(param.size());
  for (std::size_t j = 0; j < param.size(); ++j) {
    const double saved = param[j];
    param[j] = saved + h;
    const double plus = objective();
    param[j] = saved - h;
    const double minus = objective();
    param[j] = saved;
    gradient[j] = (plus - minus) / (2.0 * h);
  }
  return gradient;
}

// |analytic - numeric| <= tolerance * max(1, |analytic|, |numeric|) for
// every element; on failure names the worst element.
inline ::testing::AssertionResult gradients_match(const std::vector<double>& analytic,
                                                  const std::vector<double>& numeric,
                                                  double tolerance = kGradientTolerance) {
  if (analytic.size() != numeric.size()) {
    return ::testing::AssertionFailure() << "sizes differ: analytic " << analytic.size()
                                         << ", numeric " << numeric.size();
  }
  double worst = 0.0;
  std::size_t worst_index = 0;
  for (std::size_t i = 0; i < analytic.size(); ++i) {
    const double scale = std::max({1.0, std::abs(analytic[i]), std::abs(numeric[i])});
    const double error = std::abs(analytic[i] - numeric[i]) / scale;
    // `!(error <= worst)` so that a NaN is reported, not skipped.
    if (!(error <= worst)) {
      worst = error;
      worst_index = i;
    }
  }
  if (worst <= tolerance) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "relative error " << worst << " > " << tolerance << " at element " << worst_index
         << " of " << analytic.size() << ": analytic " << analytic[worst_index] << ", numeric "
         << numeric[worst_index];
}

// Checks that `analytic` is the gradient of objective() with respect to param.
inline ::testing::AssertionResult matches_numeric_gradient(
    const std::vector<double>& analytic, std::vector<double>& param,
    const std::function<double()>& objective) {
  return gradients_match(analytic, numeric_gradient(param, objective));
}

}  // namespace vknn::test
