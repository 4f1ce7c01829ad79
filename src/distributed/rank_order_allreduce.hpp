// The gradient exchange of data-parallel training: every rank's gradients
// and metric totals summed over the ranks, with the bits of a rank-order sum
// (rank_order_sum.hpp) on every rank, at the cost of a ring all-reduce.
//
// Why not MPI_Allreduce or MPI_Reduce_scatter: MPI chooses the order in
// which it adds the ranks' values (by algorithm, message size, segmenting,
// even by rank), and float addition is not associative, so ranks could end
// a step an ulp apart and drift. Why not an allgather of every rank's whole
// gradient and a sum on every rank (vknn's first exchange): each rank then
// receives N - 1 gradients, which grows with the ranks.
//
// So the exchange is a reduce-scatter done by vknn, then an allgather:
//  1. The row (the gradients, then the totals) is cut into N segments, one
//     per rank. An MPI_Alltoallv gives rank r every rank's copy of segment
//     r, bytes unchanged.
//  2. Rank r adds those copies in rank order 0, 1, ..., N-1, per element,
//     as sum_in_rank_order does: the same operations on the same bits as
//     the allgather-and-sum, so the same result, bit for bit.
//  3. An MPI_Allgatherv gives every rank every segment's sum.
// Each rank sends and receives about 2 (N - 1) / N of the row, as a ring
// all-reduce does; the latency is two collectives, not 2 (N - 1) ring steps.
//
// The metric totals are not a vector of floats to add element by element
// (their loss is a Kahan pair, summed in double): they ride at the end of
// the last segment, whole, and its rank combines them with
// sum_in_rank_order(MetricTotals), as the allgather exchange did.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "distributed/communicator.hpp"
#include "ops/metric_totals.hpp"

namespace vknn::distributed {

class RankOrderAllreduce {
 public:
  // The metric totals' room at the end of the row, in floats.
  static constexpr std::size_t kTotalsFloats = sizeof(MetricTotals) / sizeof(float);
  static_assert(sizeof(MetricTotals) % sizeof(float) == 0, "the totals travel as whole floats");

  // A part of the row, in floats.
  struct Segment {
    std::size_t begin = 0;
    std::size_t count = 0;
  };
  // Segment `rank` of a row of `gradients` floats plus the totals, for
  // `ranks` ranks: the gradients split as evenly as they go (the first
  // gradients % ranks segments one float longer), the totals at the end of
  // the last segment. Segments can be empty (fewer gradients than ranks).
  static Segment segment(std::size_t gradients, int rank, int ranks);

  // Seconds spent in each phase, summed over the calls to run().
  struct Phases {
    double reduce_scatter = 0;  // the MPI_Alltoallv
    double sum = 0;             // adding this rank's segment in rank order
    double allgather = 0;       // the MPI_Allgatherv of the sums
  };

  // `gradients`: the length of the gradient vector every rank gives.
  RankOrderAllreduce(int rank, int ranks, std::size_t gradients);

  // Where this rank writes its gradients before run().
  std::span<float> gradients() { return std::span(row_).first(gradients_); }
  // Sums every rank's gradients() and `totals` over the ranks (a
  // collective: every rank calls it, with the same gradient length).
  // Returns the summed totals; summed() holds the summed gradients.
  MetricTotals run(Communicator& communicator, const MetricTotals& totals);
  // The gradients summed in rank order, after run(): the same on every rank.
  std::span<const float> summed() const { return std::span(sum_).first(gradients_); }

  const Phases& phases() const { return phases_; }

 private:
  int rank_, ranks_;
  std::size_t gradients_;
  std::vector<float> row_;       // this rank's gradients, then its totals
  std::vector<float> received_;  // every rank's copy of this rank's segment, rank after rank
  std::vector<float> segment_sum_;  // this rank's segment, summed (MPI wants it apart from sum_)
  std::vector<float> sum_;       // the summed row, every segment
  std::vector<std::size_t> segment_bytes_;  // per rank
  std::vector<std::size_t> received_bytes_;  // per rank: this rank's segment, from each rank
  Phases phases_;
};

}  // namespace vknn::distributed
