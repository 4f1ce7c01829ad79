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

MetricTotals sum_in_rank_order(std::span<const MetricTotals> per_rank) {
  double loss = 0.0;
  MetricTotals total;
  for (const MetricTotals& t : per_rank) {
    loss += t.summed_loss();
    total.correct += t.correct;
    total.samples += t.samples;
  }
  // As a Kahan pair: summed_loss() = loss_sum - loss_compensation = loss,
  // to double precision.
  total.loss_sum = float(loss);
  total.loss_compensation = float(double(total.loss_sum) - loss);
  return total;
}

}  // namespace vknn::distributed
