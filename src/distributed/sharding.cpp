#include "distributed/sharding.hpp"

#include <algorithm>

#include "vknn/error.hpp"

namespace vknn::distributed {

Slice slice_of(std::int64_t batch_count, int rank, int ranks) {
  const std::int64_t base = batch_count / ranks, extra = batch_count % ranks;
  return {rank * base + std::min<std::int64_t>(rank, extra), base + (rank < extra ? 1 : 0)};
}

Shard::Shard(std::int64_t samples, int batch_size, int rank, int ranks)
    : samples_(samples), batch_size_(batch_size), rank_(rank), ranks_(ranks),
      steps_((samples + batch_size - 1) / batch_size) {
  if (samples < 1 || batch_size < 1 || batch_size > samples || ranks < 1 || rank < 0 || rank >= ranks) {
    throw Error("distributed: no shard of " + std::to_string(samples) + " samples in batches of " +
                std::to_string(batch_size) + " for rank " + std::to_string(rank) + " of " +
                std::to_string(ranks));
  }
}

std::int64_t Shard::global_count(std::int64_t step) const {
  return std::min<std::int64_t>(batch_size_, samples_ - step * batch_size_);
}

std::int64_t Shard::local_samples(int rank) const {
  std::int64_t total = 0;
  // Full steps share one slice size; only the last may differ.
  total += (steps_ - 1) * slice_of(batch_size_, rank, ranks_).count;
  total += slice(steps_ - 1, rank).count;
  return total;
}

std::vector<std::uint32_t> Shard::local_order(std::span<const std::uint32_t> global_order) const {
  std::vector<std::uint32_t> local;
  local.reserve(std::size_t(local_samples(rank_)));
  for (std::int64_t step = 0; step < steps_; ++step) {
    const Slice s = slice(step);
    const auto first = global_order.begin() + step * batch_size_ + s.start;
    local.insert(local.end(), first, first + s.count);
  }
  return local;
}

}  // namespace vknn::distributed
