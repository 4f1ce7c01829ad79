// fit, evaluate and predict across the ranks of an MPI job (docs/distributed.md):
// the pieces fit_loop.cpp and inference.cpp call where a communicator is present. In one
// process none of this runs.
//
// Training: each step, every rank runs its slice of the global batch
// through the first program (gather, forward, loss and metrics, backward),
// the host sums the gradients over the ranks in rank order (every rank gets
// the same bits; distributed/rank_order_allreduce.hpp), writes them back,
// and runs the second program (the optimizer update and the step advance).
// The metric totals travel with the gradients, so every rank knows the
// global totals after every step.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "distributed/communicator.hpp"
#include "distributed/rank_order_allreduce.hpp"
#include "distributed/same_on_every_rank.hpp"
#include "distributed/sharding.hpp"
#include "model/progress_bar.hpp"
#include "model/trainer.hpp"

namespace vknn::model {

// A global batch smaller than the ranks leaves a rank without samples in
// every step; refused with the numbers and what would do (`call`: "fit").
void require_batch_for_every_rank(const std::string& call, int batch_size, int ranks);

// The facts ranks must agree on before fit, evaluate or predict.
distributed::Fact model_fact(const std::string& architecture_text);
distributed::Fact weights_fact(Trainer& trainer);
distributed::Fact data_fact(const std::string& name, const Samples& x, std::span<const std::uint8_t> y);
// The per-sample weights (sample_weights_of), "none" when empty.
distributed::Fact sample_weights_fact(const std::string& name, std::span<const float> weights);

// What every rank decides at a step boundary, made one decision: a stop
// wanted by any rank (a callback's stop_training, a stop request) stops
// all; whether to refresh the progress bar and the batch callbacks is rank
// 0's (it prints; its clock decides).
struct StepDecision {
  bool stop_training = false;
  bool stop_requested = false;
  bool refresh_bar = false;
  bool refresh_callbacks = false;
};
StepDecision agree(distributed::Communicator& communicator, StepDecision mine);

class DataParallelTraining {
 public:
  // batch_size: the global batch (the fit's, clamped to the samples).
  DataParallelTraining(distributed::Communicator& communicator, Trainer& trainer,
                       const DeviceDataset& data, int batch_size);
  std::int64_t steps() const { return shard_.steps(); }
  // This rank's part of the epoch's order, for Trainer::set_order.
  std::vector<std::uint32_t> local_order(std::span<const std::uint32_t> global) const {
    return shard_.local_order(global);
  }
  // Before an epoch's first step: the running totals start at `first` (a
  // resumed epoch's totals so far, else zero). Rank 0's device holds
  // them, the others' zero, so that their sum is `first`.
  void start_epoch(const MetricTotals& first);
  // Runs global step `step` (this rank's slice, the gradient sum, the
  // update). Returns when the update is launched.
  void run(std::int64_t step);
  // The global running totals of the epoch as of the last step.
  const MetricTotals& totals() const { return totals_; }

  // Where the time of the steps went, for VKNN_DISTRIBUTED_TIMING.
  struct Timing {
    std::int64_t steps = 0;
    double step_seconds = 0;      // whole steps, from launch to update launch
    double exchange_seconds = 0;  // gradient read, wait, the exchange's phases, write back
    // Of which: waiting for the slowest rank to finish its backward (an
    // extra barrier, only when timing, so that the phases after it are the
    // exchange alone), and the exchange's three phases (MPI_Alltoallv, the
    // rank-order sum of this rank's segment, MPI_Allgatherv).
    double wait_seconds = 0;
    distributed::RankOrderAllreduce::Phases phases;
  };
  Timing timing() const {
    Timing timing = timing_;
    timing.phases = exchange_.phases();
    return timing;
  }

 private:
  distributed::Communicator& communicator_;
  Trainer& trainer_;
  distributed::Shard shard_;
  std::unique_ptr<Program> full_, partial_, update_;
  distributed::RankOrderAllreduce exchange_;
  MetricTotals totals_;
  bool timing_asked_ = false;  // VKNN_DISTRIBUTED_TIMING
  Timing timing_;  // all but the phases, which exchange_ keeps
};

// With VKNN_DISTRIBUTED_TIMING=1 in its environment, rank 0 prints to
// stderr at the end of fit where the steps' time went (docs/distributed.md).
void report_timing_if_asked(const DataParallelTraining::Timing& timing);

// evaluate (and fit's validation) on this rank's slices: the recorded
// programs; the totals are summed over the ranks when read.
class DataParallelEvaluation {
 public:
  DataParallelEvaluation(distributed::Communicator& communicator, Trainer& trainer,
                         DeviceDataset& data, int batch_size);
  std::int64_t steps() const { return shard_.steps(); }
  // Runs every step (the first `steps` when > 0, fit's validation_steps);
  // `bar` (rank 0's, or null) is refreshed with global figures when rank 0
  // wants it.
  MetricTotals run(ProgressBar* bar, std::int64_t* steps_done = nullptr, std::int64_t steps = 0);

 private:
  distributed::Communicator& communicator_;
  Trainer& trainer_;
  distributed::Shard shard_;
  bool weighted_;  // the data has sample weights: the bar shows weighted accuracy
  std::unique_ptr<Program> full_, partial_;
};

// predict on this rank's slices, then every rank gathers all the outputs in
// sample order.
std::vector<float> predict_data_parallel(distributed::Communicator& communicator, Trainer& trainer,
                                         DeviceDataset& data, int batch_size, int classes,
                                         ProgressBar& bar, std::int64_t& steps_done);

// The sum over ranks of each rank's totals.
MetricTotals global_totals(distributed::Communicator& communicator, const MetricTotals& mine);

}  // namespace vknn::model
