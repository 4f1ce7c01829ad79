// The pure parts of data-parallel training (src/distributed/): how ranks
// split a global batch, and the rank-order sums. The runs under mpirun are
// tests/distributed/.
#include <gtest/gtest.h>

#include <numeric>

#include "distributed/rank_order_sum.hpp"
#include "distributed/sharding.hpp"

namespace vknn::distributed {
namespace {

TEST(Sharding, SplitsABatchAsKerasDoesFirstRanksTakeTheRemainder) {
  // Batch 32 on 3 ranks: 11, 11, 10, contiguous.
  EXPECT_EQ(slice_of(32, 0, 3).start, 0);
  EXPECT_EQ(slice_of(32, 0, 3).count, 11);
  EXPECT_EQ(slice_of(32, 1, 3).start, 11);
  EXPECT_EQ(slice_of(32, 1, 3).count, 11);
  EXPECT_EQ(slice_of(32, 2, 3).start, 22);
  EXPECT_EQ(slice_of(32, 2, 3).count, 10);
  // A batch smaller than the ranks leaves the last ones empty.
  EXPECT_EQ(slice_of(1, 1, 3).count, 0);
}

TEST(Sharding, EveryRankTakesEachSampleOfTheEpochExactlyOnceInItsGlobalBatch) {
  for (const int ranks : {1, 2, 3, 5}) {
    const std::int64_t samples = 330;  // 10 batches of 32 and one of 10
    const int batch = 32;
    std::vector<std::uint32_t> order(samples);
    std::iota(order.rbegin(), order.rend(), 0u);  // any permutation
    std::vector<int> seen(samples, 0);
    for (int r = 0; r < ranks; ++r) {
      const Shard shard(samples, batch, r, ranks);
      ASSERT_EQ(shard.steps(), 11);
      const auto local = shard.local_order(order);
      ASSERT_EQ(std::int64_t(local.size()), shard.local_samples(r));
      // The gather reads local[step * local_stride + i]: the slice of that
      // step's global batch, for full and partial steps alike.
      for (std::int64_t step = 0; step < shard.steps(); ++step) {
        const Slice s = shard.slice(step);
        for (std::int64_t i = 0; i < s.count; ++i) {
          const std::uint32_t sample = local[std::size_t(step * shard.local_stride() + i)];
          EXPECT_EQ(sample, order[std::size_t(step * batch + s.start + i)]);
          ++seen[sample];
        }
      }
    }
    for (int count : seen) ASSERT_EQ(count, 1) << ranks << " ranks";
  }
}

TEST(Sharding, RefusesABatchLargerThanTheSamples) {
  EXPECT_THROW(Shard(10, 11, 0, 2), std::exception);
  EXPECT_THROW(Shard(10, 5, 2, 2), std::exception);
}

TEST(RankOrderSum, AddsRowsInRankOrder) {
  // 1e8 + 1 - 1e8 in float: rank order gives 0 (1 is lost in the first
  // addition), another order would give 1. The sum must be the first.
  const float rows[] = {1e8f, 1.0f, -1e8f};
  float out[1];
  sum_in_rank_order(rows, 1, 3, out);
  EXPECT_EQ(out[0], (1e8f + 1.0f) + -1e8f);
  EXPECT_EQ(out[0], 0.0f);
}

TEST(RankOrderSum, CombinesMetricTotals) {
  MetricTotals a, b;
  a.add_batch(3.0f, 2, 4);
  b.add_batch(1.0f, 1, 3);
  const MetricTotals both[] = {a, b};
  const MetricTotals total = sum_in_rank_order(both);
  EXPECT_EQ(total.correct, 3u);
  EXPECT_EQ(total.samples, 7u);
  EXPECT_DOUBLE_EQ(total.summed_loss(), 4.0);
}

}  // namespace
}  // namespace vknn::distributed
