// How N ranks split a dataset walked in global batches (Keras's
// MultiWorkerMirroredStrategy): step s takes global batch s of the epoch's
// order (batch_size samples, the last one possibly fewer), and rank r takes
// a contiguous slice of it, the first (count % N) ranks one sample more
// (batch 32 on 3 ranks: 11, 11, 10). A pure function of (samples,
// batch_size, ranks): every rank computes every rank's slices alike.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace vknn::distributed {

struct Slice {
  std::int64_t start = 0;  // within the global batch
  std::int64_t count = 0;
};

// Rank `rank`'s slice of a global batch of `batch_count` samples.
Slice slice_of(std::int64_t batch_count, int rank, int ranks);

class Shard {
 public:
  // batch_size is the global batch (at most `samples`, at least 1).
  Shard(std::int64_t samples, int batch_size, int rank, int ranks);

  std::int64_t steps() const { return steps_; }
  int batch_size() const { return batch_size_; }
  int rank() const { return rank_; }
  int ranks() const { return ranks_; }
  // Samples in global batch `step` (batch_size, or fewer in the last).
  std::int64_t global_count(std::int64_t step) const;
  // This rank's slice of global batch `step`.
  Slice slice(std::int64_t step) const { return slice_of(global_count(step), rank_, ranks_); }
  Slice slice(std::int64_t step, int rank) const { return slice_of(global_count(step), rank, ranks_); }
  // This rank's samples per full step: the stride of its local order, which
  // the gather reads as order[batch_index * local_stride + i].
  int local_stride() const { return int(slice_of(batch_size_, rank_, ranks_).count); }
  // Samples `rank` takes over the whole epoch.
  std::int64_t local_samples(int rank) const;
  // This rank's slices of `global_order`, concatenated step by step: what
  // its device's order buffer holds.
  std::vector<std::uint32_t> local_order(std::span<const std::uint32_t> global_order) const;

 private:
  std::int64_t samples_;
  int batch_size_, rank_, ranks_;
  std::int64_t steps_;
};

}  // namespace vknn::distributed
