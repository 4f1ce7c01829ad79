// The gradient exchange of data-parallel training (src/distributed/
// rank_order_allreduce.hpp) on N ranks in one process: each rank a thread,
// the collectives an in-process stand-in for MPI that moves bytes as MPI
// does. What is pinned: every rank gets exactly the bits of the
// straightforward rank-order sum of every rank's whole row (the exchange it
// replaced: allgather, then sum_in_rank_order), for uneven segments and 1
// to 7 ranks, and each rank receives about 2 (N - 1) / N of the row, not
// N - 1 rows. tests/distributed/ runs the same exchange on MPI.
#include <gtest/gtest.h>

#include <barrier>
#include <cmath>
#include <cstring>
#include <exception>
#include <functional>
#include <random>
#include <thread>
#include <vector>

#include "distributed/communicator.hpp"
#include "distributed/rank_order_allreduce.hpp"
#include "distributed/rank_order_sum.hpp"

namespace vknn::distributed {
namespace {

// What the ranks of an in-process job share: a board where each rank posts
// what it sends, and a barrier around every read of the board.
struct Board {
  explicit Board(int ranks)
      : sync(ranks), sends(std::size_t(ranks)), counts(std::size_t(ranks)), bits(std::size_t(ranks)) {}
  std::barrier<> sync;
  std::vector<std::span<const std::byte>> sends;
  std::vector<std::span<const std::size_t>> counts;
  std::vector<std::uint32_t> bits;
};

class ThreadCommunicator final : public Communicator {
 public:
  ThreadCommunicator(Board& board, int rank) : board_(board), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return int(board_.sends.size()); }

  void allgather(std::span<const std::byte> send, std::span<std::byte> receive) override {
    std::vector<std::size_t> counts(board_.sends.size(), send.size());
    allgatherv(send, counts, receive);
  }

  void allgatherv(std::span<const std::byte> send, std::span<const std::size_t> counts,
                  std::span<std::byte> receive) override {
    post(send, counts);
    std::size_t at = 0;
    for (std::size_t q = 0; q < board_.sends.size(); ++q) {
      EXPECT_EQ(board_.sends[q].size(), counts[q]) << "rank " << q << "'s allgatherv send";
      take(q, board_.sends[q].first(std::min(board_.sends[q].size(), counts[q])), receive.subspan(at, counts[q]));
      at += counts[q];
    }
    EXPECT_EQ(at, receive.size());
    board_.sync.arrive_and_wait();
  }

  void alltoallv(std::span<const std::byte> send, std::span<const std::size_t> send_counts,
                 std::span<std::byte> receive, std::span<const std::size_t> receive_counts) override {
    post(send, send_counts);
    std::size_t at = 0;
    for (std::size_t q = 0; q < board_.sends.size(); ++q) {
      // Rank q's piece for this rank: after its pieces for ranks 0..rank-1.
      std::size_t offset = 0;
      for (int r = 0; r < rank_; ++r) offset += board_.counts[q][std::size_t(r)];
      const std::size_t bytes = board_.counts[q][std::size_t(rank_)];
      EXPECT_EQ(bytes, receive_counts[q]) << "rank " << rank_ << " expects another size from rank " << q;
      take(q, board_.sends[q].subspan(offset, std::min(bytes, receive_counts[q])),
           receive.subspan(at, receive_counts[q]));
      at += receive_counts[q];
    }
    EXPECT_EQ(at, receive.size());
    board_.sync.arrive_and_wait();
  }

  std::uint32_t allreduce_or(std::uint32_t bits) override {
    board_.bits[std::size_t(rank_)] = bits;
    board_.sync.arrive_and_wait();
    std::uint32_t all = 0;
    for (const std::uint32_t b : board_.bits) all |= b;
    board_.sync.arrive_and_wait();
    return all;
  }

  [[noreturn]] void abort(int /*exit_status*/) override { std::abort(); }

  // Bytes this rank received from other ranks (what crosses a link).
  std::size_t received_from_others() const { return received_; }

 private:
  void post(std::span<const std::byte> send, std::span<const std::size_t> counts) {
    board_.sends[std::size_t(rank_)] = send;
    board_.counts[std::size_t(rank_)] = counts;
    board_.sync.arrive_and_wait();
  }
  void take(std::size_t from, std::span<const std::byte> piece, std::span<std::byte> into) {
    // memcpy wants real pointers even for 0 bytes (an empty segment's are null).
    if (const std::size_t bytes = std::min(piece.size(), into.size()); bytes > 0) {
      std::memcpy(into.data(), piece.data(), bytes);
    }
    if (from != std::size_t(rank_)) received_ += piece.size();
  }

  Board& board_;
  int rank_;
  std::size_t received_ = 0;
};

// Runs body(communicator) on `ranks` threads, one per rank; rethrows the
// first rank's exception.
void run_ranks(int ranks, const std::function<void(ThreadCommunicator&)>& body) {
  Board board(ranks);
  std::vector<std::exception_ptr> failures(static_cast<std::size_t>(ranks));
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r) {
    threads.emplace_back([&, r] {
      ThreadCommunicator communicator(board, r);
      try {
        body(communicator);
      } catch (...) {
        failures[std::size_t(r)] = std::current_exception();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::exception_ptr& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }
}

// Gradients whose sums depend on the order of the additions: magnitudes from
// 2^-20 to 2^20 and both signs, so most additions round.
std::vector<float> rows_for(int ranks, std::size_t gradients, unsigned seed) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<float> mantissa(1.0f, 2.0f);
  std::uniform_int_distribution<int> exponent(-20, 20), sign(0, 1);
  std::vector<float> rows(std::size_t(ranks) * gradients);
  for (float& v : rows) v = (sign(random) ? -1.0f : 1.0f) * std::ldexp(mantissa(random), exponent(random));
  return rows;
}

std::vector<MetricTotals> totals_for(int ranks, unsigned seed) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<float> value(0.0f, 100.0f);
  std::vector<MetricTotals> totals(static_cast<std::size_t>(ranks));
  for (MetricTotals& t : totals) {
    t.loss_sum = value(random);
    t.loss_compensation = value(random) * 1e-7f;
    t.correct = std::uint32_t(random() % 1000);
    t.samples = std::uint32_t(random() % 1000);
    t.weighted_correct = value(random);
    t.weight_sum = value(random);
  }
  return totals;
}

bool same_bits(const MetricTotals& a, const MetricTotals& b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST(RankOrderAllreduce, EveryRankGetsTheBitsOfTheRankOrderSumOfEveryWholeRow) {
  // 243,786: the course model's gradients; the others leave uneven
  // segments, fewer gradients than ranks, or none.
  for (const int ranks : {1, 2, 3, 4, 5, 7}) {
    for (const std::size_t gradients : {std::size_t(0), std::size_t(1), std::size_t(2), std::size_t(6),
                                        std::size_t(1001), std::size_t(243786)}) {
      const unsigned seed = unsigned(ranks * 1000003 + int(gradients));
      const std::vector<float> rows = rows_for(ranks, gradients, seed);
      const std::vector<MetricTotals> totals = totals_for(ranks, seed);
      // The exchange it replaced: every whole row, added in rank order.
      std::vector<float> expected(gradients);
      sum_in_rank_order(rows.data(), gradients, ranks, expected);
      const MetricTotals expected_totals = sum_in_rank_order(totals);

      std::vector<std::vector<float>> got(static_cast<std::size_t>(ranks));
      std::vector<MetricTotals> got_totals(static_cast<std::size_t>(ranks));
      run_ranks(ranks, [&](ThreadCommunicator& communicator) {
        const std::size_t r = std::size_t(communicator.rank());
        RankOrderAllreduce exchange(communicator.rank(), ranks, gradients);
        if (gradients > 0) {  // no pointers to copy from or to otherwise
          std::memcpy(exchange.gradients().data(), rows.data() + r * gradients, gradients * sizeof(float));
        }
        got_totals[r] = exchange.run(communicator, totals[r]);
        got[r].assign(exchange.summed().begin(), exchange.summed().end());
      });
      for (std::size_t r = 0; r < std::size_t(ranks); ++r) {
        ASSERT_EQ(got[r].size(), gradients);
        EXPECT_TRUE(gradients == 0 || std::memcmp(got[r].data(), expected.data(), gradients * sizeof(float)) == 0)
            << "rank " << r << " of " << ranks << ", " << gradients << " gradients";
        EXPECT_TRUE(same_bits(got_totals[r], expected_totals)) << "rank " << r << " of " << ranks;
      }
    }
  }
}

TEST(RankOrderAllreduce, TheTestsDataTellsSummationOrdersApart) {
  // The test above can only catch a wrong order (say, a segment's copies
  // added last rank first, or pairwise) if its data sums differently in
  // another order. Checked here, on its data for 4 ranks.
  const int ranks = 4;
  const std::size_t gradients = 1001;
  const std::vector<float> rows = rows_for(ranks, gradients, unsigned(ranks * 1000003 + int(gradients)));
  std::vector<float> in_order(gradients);
  sum_in_rank_order(rows.data(), gradients, ranks, in_order);
  std::size_t reversed_differs = 0, pairwise_differs = 0;
  for (std::size_t i = 0; i < gradients; ++i) {
    const auto at = [&](int r) { return rows[std::size_t(r) * gradients + i]; };
    const float reversed = ((at(3) + at(2)) + at(1)) + at(0);
    const float pairwise = (at(0) + at(1)) + (at(2) + at(3));
    reversed_differs += reversed != in_order[i];
    pairwise_differs += pairwise != in_order[i];
  }
  EXPECT_GT(reversed_differs, gradients / 10);
  EXPECT_GT(pairwise_differs, gradients / 10);
}

TEST(RankOrderAllreduce, SegmentsCoverTheRowEvenlyWithTheTotalsLast) {
  for (const int ranks : {1, 2, 3, 7}) {
    for (const std::size_t gradients : {std::size_t(0), std::size_t(5), std::size_t(243786)}) {
      std::size_t at = 0, smallest = gradients, largest = 0;
      for (int r = 0; r < ranks; ++r) {
        const RankOrderAllreduce::Segment s = RankOrderAllreduce::segment(gradients, r, ranks);
        EXPECT_EQ(s.begin, at) << "segment " << r << " of " << ranks;
        at += s.count;
        const std::size_t values = s.count - (r == ranks - 1 ? RankOrderAllreduce::kTotalsFloats : 0);
        smallest = std::min(smallest, values);
        largest = std::max(largest, values);
      }
      EXPECT_EQ(at, gradients + RankOrderAllreduce::kTotalsFloats);
      EXPECT_LE(largest - smallest, 1u) << ranks << " ranks, " << gradients << " gradients";
    }
  }
}

TEST(RankOrderAllreduce, EachRankReceivesAboutTwiceItsShareNotEveryRow) {
  // A ring all-reduce moves 2 (N - 1) / N of the row per rank; the
  // allgather exchange it replaced moved N - 1 rows.
  const std::size_t gradients = 243786;
  const std::size_t row_bytes = (gradients + RankOrderAllreduce::kTotalsFloats) * sizeof(float);
  for (const int ranks : {2, 3, 4, 7}) {
    std::vector<std::size_t> received(static_cast<std::size_t>(ranks));
    run_ranks(ranks, [&](ThreadCommunicator& communicator) {
      RankOrderAllreduce exchange(communicator.rank(), ranks, gradients);
      exchange.run(communicator, MetricTotals{});
      received[std::size_t(communicator.rank())] = communicator.received_from_others();
    });
    const double ring = 2.0 * double(ranks - 1) / double(ranks) * double(row_bytes);
    for (std::size_t r = 0; r < received.size(); ++r) {
      // The segments differ by one float and the last holds the totals:
      // within a few dozen bytes of the ring's figure.
      EXPECT_NEAR(double(received[r]), ring, 64.0 * double(ranks)) << "rank " << r << " of " << ranks;
    }
  }
}

TEST(RankOrderAllreduce, RefusesARankOutsideTheJob) {
  EXPECT_THROW(RankOrderAllreduce(2, 2, 10), std::exception);
  EXPECT_THROW(RankOrderAllreduce(0, 0, 10), std::exception);
}

}  // namespace
}  // namespace vknn::distributed
