// Sums over ranks that give the same bits on every rank and in every run.
//
// MPI_Allreduce may add the ranks' values in a different order on
// different ranks (its algorithm and segmenting are the library's choice,
// and may change with the message size or the network), and float addition
// is not associative: ranks could drift apart by an ulp per step. So the
// ranks' values are moved unchanged (an allgather, or for the gradients
// rank_order_allreduce.hpp's alltoallv) and vknn adds them itself, rank 0
// first, then rank 1, ...: the same operations on the same bits everywhere.
#pragma once

#include <cstddef>
#include <span>

#include "ops/metric_totals.hpp"

namespace vknn::distributed {

// out[i] = ((rows[0][i] + rows[1][i]) + rows[2][i]) + ..., where row r
// starts at rows + r * row_stride floats.
void sum_in_rank_order(const float* rows, std::size_t row_stride, int ranks, std::span<float> out);

// The ranks' metric totals as one: losses summed in double in rank order
// (each rank's Kahan-compensated sum taken whole), counts added.
MetricTotals sum_in_rank_order(std::span<const MetricTotals> per_rank);

}  // namespace vknn::distributed
