// Running metric totals (summed loss, correct predictions, samples, and
// under sample weights the weighted correct predictions and the weights'
// sum), as both backends keep them between host reads.
//
// One layout for both: shaders/metrics_accumulate.comp's (std430, 32
// bytes). The loss sum is a float with Kahan compensation (the running sum
// is loss_sum - loss_compensation): an epoch adds ~2000 batch sums into one
// float, and the compensation keeps the low bits a plain float sum drops.
// The CPU backend accumulates in the same layout, the same way, so the two
// backends report the same totals for the same per-sample values.
#pragma once

#include <cstddef>
#include <cstdint>

namespace vknn {

namespace detail {

// One Kahan step, as metrics_accumulate.comp's kahan_add: sum +=
// value, carrying the compensation (the running sum is sum - compensation).
inline void kahan_add(float& sum, float& compensation, float value) {
  const float before = sum;
  const volatile float y = value - compensation;  // volatile: no reassociation
  const volatile float t = before + y;
  compensation = (t - before) - y;
  sum = t;
}

}  // namespace detail

struct MetricTotals {
  float loss_sum = 0.0f;
  float loss_compensation = 0.0f;
  std::uint32_t correct = 0;
  std::uint32_t samples = 0;
  // Only under sample weights (weight_samples.comp); zero otherwise.
  float weighted_correct = 0.0f;
  float weighted_correct_compensation = 0.0f;
  float weight_sum = 0.0f;
  float weight_compensation = 0.0f;

  double summed_loss() const { return double(loss_sum) - double(loss_compensation); }
  // Keras's loss under sample weights is sum(w * loss) / samples too: the
  // per-sample losses summed here are already weighted.
  double mean_loss() const { return samples ? summed_loss() / double(samples) : 0.0; }
  // Keras's accuracy: the fraction correct, or under sample weights
  // sum(w * correct) / sum(w) (0 when the weights sum to 0, as Keras's
  // divide_no_nan).
  double accuracy(bool weighted = false) const {
    if (weighted) {
      const double weights = double(weight_sum) - double(weight_compensation);
      return weights != 0.0 ? (double(weighted_correct) - double(weighted_correct_compensation)) / weights
                            : 0.0;
    }
    return samples ? double(correct) / double(samples) : 0.0;
  }

  // What metrics_accumulate.comp does for one batch whose per-sample values
  // summed to batch_loss and batch_correct.
  void add_batch(float batch_loss, std::uint32_t batch_correct, std::uint32_t count) {
    detail::kahan_add(loss_sum, loss_compensation, batch_loss);
    correct += batch_correct;
    samples += count;
  }
  // ... and, for a weighted batch, its sums of w * correct and of w.
  void add_weights(float batch_weighted_correct, float batch_weight) {
    detail::kahan_add(weighted_correct, weighted_correct_compensation, batch_weighted_correct);
    detail::kahan_add(weight_sum, weight_compensation, batch_weight);
  }
};

static_assert(sizeof(MetricTotals) == 32, "MetricTotals must match metrics_accumulate.comp");
static_assert(offsetof(MetricTotals, correct) == 8);
static_assert(offsetof(MetricTotals, samples) == 12);
static_assert(offsetof(MetricTotals, weighted_correct) == 16);
static_assert(offsetof(MetricTotals, weight_compensation) == 28);

inline constexpr std::uint64_t kMetricTotalsBytes = sizeof(MetricTotals);

}  // namespace vknn
