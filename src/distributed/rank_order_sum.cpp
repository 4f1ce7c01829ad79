#include "distributed/rank_order_sum.hpp"

namespace vknn::distributed {

void sum_in_rank_order(const float* rows, std::size_t row_stride, int ranks, std::span<float> out) {
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = rows[i];
  // Row after row, so the inner loop is contiguous (and vectorises without
  // reordering any element's additions).
  for (int r = 1; r < ranks; ++r) {
    const float* row = rows + std::size_t(r) * row_stride;
    for (std::size_t i = 0; i < out.size(); ++i) out[i] += row[i];
  }
}

namespace {

// A double as a Kahan pair of floats: sum - compensation = value, to double
// precision.
void as_kahan_pair(double value, float& sum, float& compensation) {
  sum = float(value);
  compensation = float(double(sum) - value);
}

}  // namespace

MetricTotals sum_in_rank_order(std::span<const MetricTotals> per_rank) {
  double loss = 0.0, weighted_correct = 0.0, weights = 0.0;
  MetricTotals total;
  for (const MetricTotals& t : per_rank) {
    loss += t.summed_loss();
    weighted_correct += double(t.weighted_correct) - double(t.weighted_correct_compensation);
    weights += double(t.weight_sum) - double(t.weight_compensation);
    total.correct += t.correct;
    total.samples += t.samples;
  }
  as_kahan_pair(loss, total.loss_sum, total.loss_compensation);
  as_kahan_pair(weighted_correct, total.weighted_correct, total.weighted_correct_compensation);
  as_kahan_pair(weights, total.weight_sum, total.weight_compensation);
  return total;
}

}  // namespace vknn::distributed
