#include "distributed/rank_order_allreduce.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>

#include "distributed/rank_order_sum.hpp"
#include "vknn/error.hpp"

namespace vknn::distributed {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

RankOrderAllreduce::Segment RankOrderAllreduce::segment(std::size_t gradients, int rank, int ranks) {
  const std::size_t n = std::size_t(ranks), r = std::size_t(rank);
  const std::size_t base = gradients / n, extra = gradients % n;
  Segment s{r * base + std::min(r, extra), base + (r < extra ? 1 : 0)};
  if (rank == ranks - 1) s.count += kTotalsFloats;
  return s;
}

RankOrderAllreduce::RankOrderAllreduce(int rank, int ranks, std::size_t gradients)
    : rank_(rank), ranks_(ranks), gradients_(gradients) {
  if (ranks < 1 || rank < 0 || rank >= ranks) {
    throw Error("distributed: rank " + std::to_string(rank) + " of " + std::to_string(ranks) +
                " ranks is not a rank of the job");
  }
  row_.resize(gradients + kTotalsFloats);
  sum_.resize(row_.size());
  const std::size_t mine = segment(gradients, rank, ranks).count;
  segment_sum_.resize(mine);
  received_.resize(mine * std::size_t(ranks));
  for (int r = 0; r < ranks; ++r) segment_bytes_.push_back(segment(gradients, r, ranks).count * sizeof(float));
  received_bytes_.assign(std::size_t(ranks), mine * sizeof(float));
}

MetricTotals RankOrderAllreduce::run(Communicator& communicator, const MetricTotals& totals) {
  if (communicator.rank() != rank_ || communicator.size() != ranks_) {
    throw Error("distributed: the gradient exchange was set up for rank " + std::to_string(rank_) + " of " +
                std::to_string(ranks_) + ", but runs on rank " + std::to_string(communicator.rank()) + " of " +
                std::to_string(communicator.size()));
  }
  std::memcpy(row_.data() + gradients_, &totals, sizeof totals);

  // 1. Every rank's copy of this rank's segment (the row's segments are
  // consecutive, so segment_bytes_ are also the send offsets' steps).
  Clock::time_point start = Clock::now();
  communicator.alltoallv(std::as_bytes(std::span(row_)), segment_bytes_, std::as_writable_bytes(std::span(received_)),
                         received_bytes_);
  phases_.reduce_scatter += seconds_since(start);

  // 2. Their sum in rank order: the gradients element by element, the
  // totals (last segment only) whole.
  start = Clock::now();
  const std::size_t stride = segment_sum_.size();
  const bool has_totals = rank_ == ranks_ - 1;
  const std::size_t values = stride - (has_totals ? kTotalsFloats : 0);
  sum_in_rank_order(received_.data(), stride, ranks_, std::span(segment_sum_).first(values));
  if (has_totals) {
    std::vector<MetricTotals> per_rank(static_cast<std::size_t>(ranks_));
    for (std::size_t r = 0; r < per_rank.size(); ++r) {
      std::memcpy(static_cast<void*>(&per_rank[r]), received_.data() + r * stride + values, sizeof(MetricTotals));
    }
    const MetricTotals sum = sum_in_rank_order(per_rank);
    std::memcpy(segment_sum_.data() + values, &sum, sizeof sum);
  }
  phases_.sum += seconds_since(start);

  // 3. Every segment's sum on every rank.
  start = Clock::now();
  communicator.allgatherv(std::as_bytes(std::span(segment_sum_)), segment_bytes_,
                          std::as_writable_bytes(std::span(sum_)));
  phases_.allgather += seconds_since(start);

  MetricTotals summed;
  std::memcpy(static_cast<void*>(&summed), sum_.data() + gradients_, sizeof summed);
  return summed;
}

}  // namespace vknn::distributed
