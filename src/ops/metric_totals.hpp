// Running metric totals (summed loss, correct predictions, samples), as both
// backends keep them between host reads.
//
// One layout for both: shaders/metrics_accumulate.comp's (std430, 16
// bytes). The loss sum is a float with Kahan compensation (the running sum
// is loss_sum - loss_compensation): an epoch adds ~2000 batch sums into one
// float, and the compensation keeps the low bits a plain float sum drops.
// The CPU backend accumulates in the same layout, the same way, so the two
// backends report the same totals for the same per-sample values.
#pragma once

#include <cstddef>
#include <cstdint>

namespace vknn {

struct MetricTotals {
  float loss_sum = 0.0f;
  float loss_compensation = 0.0f;
  std::uint32_t correct = 0;
  std::uint32_t samples = 0;

  double summed_loss() const { return double(loss_sum) - double(loss_compensation); }
  double mean_loss() const { return samples ? summed_loss() / double(samples) : 0.0; }
  double accuracy() const { return samples ? double(correct) / double(samples) : 0.0; }

  // What metrics_accumulate.comp does for one batch whose per-sample values
  // summed to batch_loss and batch_correct.
  void add_batch(float batch_loss, std::uint32_t batch_correct, std::uint32_t count) {
    const float sum = loss_sum;
    const volatile float y = batch_loss - loss_compensation;  // volatile: no reassociation
    const volatile float t = sum + y;
    loss_compensation = (t - sum) - y;
    loss_sum = t;
    correct += batch_correct;
    samples += count;
  }
};

static_assert(sizeof(MetricTotals) == 16, "MetricTotals must match metrics_accumulate.comp");
static_assert(offsetof(MetricTotals, correct) == 8);
static_assert(offsetof(MetricTotals, samples) == 12);

inline constexpr std::uint64_t kMetricTotalsBytes = sizeof(MetricTotals);

}  // namespace vknn
