#include "model/data_parallel.hpp"

#include "model/sample_weights.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "distributed/rank_order_sum.hpp"
#include "model/checkpoint.hpp"
#include "model/sample_weights.hpp"
#include "vknn/error.hpp"

namespace vknn::model {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string shape_text(const Shape& shape) {
  std::string text = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + (shape.size() == 1 ? ",)" : ")");
}

bool timing_asked() {
  const char* asked = std::getenv("VKNN_DISTRIBUTED_TIMING");
  return asked && *asked && std::string(asked) != "0";
}

std::vector<MetricTotals> gather_totals(distributed::Communicator& communicator, const MetricTotals& mine) {
  std::vector<MetricTotals> all(std::size_t(communicator.size()));
  communicator.allgather(std::as_bytes(std::span(&mine, 1)), std::as_writable_bytes(std::span(all)));
  return all;
}

std::size_t gradient_count(Trainer& trainer) {
  std::size_t count = 0;
  for (const Parameter& p : trainer.parameters()) count += std::size_t(p.spec.size());
  return count;
}

}  // namespace

MetricTotals global_totals(distributed::Communicator& communicator, const MetricTotals& mine) {
  return distributed::sum_in_rank_order(gather_totals(communicator, mine));
}

void require_batch_for_every_rank(const std::string& call, int batch_size, int ranks) {
  if (batch_size < ranks) {
    throw Error(call + ": more ranks than samples in a batch: the global batch of " +
                std::to_string(batch_size) + " samples cannot give each of the " + std::to_string(ranks) +
                " ranks one; use batch_size >= " + std::to_string(ranks) + " (or fewer ranks)");
  }
}

distributed::Fact model_fact(const std::string& architecture_text) { return {"model", architecture_text}; }

distributed::Fact weights_fact(Trainer& trainer) {
  // The weights and the optimizer state as they are now (initialised from
  // the compile seed, or loaded), so a rank compiled with another seed or
  // loaded from other files is told apart.
  auto& backend = trainer.backend();
  backend.synchronize();
  std::uint64_t hash = distributed::content_hash(nullptr, 0);
  std::vector<float> values;
  for (const Parameter& p : trainer.parameters()) {
    for (const DeviceTensor* t : {p.value.get(), p.m.get(), p.v.get(), p.velocity.get(), p.momentum.get()}) {
      if (!t) continue;
      values.resize(std::size_t(p.spec.size()));
      backend.read(*t, values.data(), values.size() * sizeof(float));
      hash = distributed::content_hash(values.data(), values.size() * sizeof(float), hash);
    }
  }
  const StepState state = backend.read_state(trainer.state());
  return {"weights and optimizer state",
          std::string(optimizer_text(trainer.optimizer())) + ", learning rate " +
              std::to_string(state.learning_rate) + ", " + std::to_string(state.iterations) +
              " updates so far, content hash " + distributed::hex(hash)};
}

distributed::Fact data_fact(const std::string& name, const Samples& x, std::span<const std::uint8_t> y) {
  std::uint64_t hash = x.pixels.empty()
                           ? distributed::content_hash(x.values.data(), x.values.size_bytes())
                           : distributed::content_hash(x.pixels.data(), x.pixels.size());
  hash = distributed::content_hash(y.data(), y.size(), hash);
  return {name, std::to_string(x.count) + " samples of shape " + shape_text(x.shape) +
                    (x.pixels.empty() ? " (float32)" : " (uint8)") + ", " + std::to_string(y.size()) +
                    " labels, content hash " + distributed::hex(hash)};
}

distributed::Fact sample_weights_fact(const std::string& name, std::span<const float> weights) {
  if (weights.empty()) return {name, "none"};
  return {name, std::to_string(weights.size()) + " weights, content hash " +
                    distributed::hex(distributed::content_hash(weights.data(), weights.size_bytes()))};
}

StepDecision agree(distributed::Communicator& communicator, StepDecision mine) {
  constexpr std::uint32_t stop_training = 1, stop_requested = 2, refresh_bar = 4, refresh_callbacks = 8;
  std::uint32_t bits = (mine.stop_training ? stop_training : 0u) | (mine.stop_requested ? stop_requested : 0u);
  // Only rank 0's refresh wishes count: it prints, and its clock decides.
  if (communicator.rank() == 0) {
    bits |= (mine.refresh_bar ? refresh_bar : 0u) | (mine.refresh_callbacks ? refresh_callbacks : 0u);
  }
  bits = communicator.allreduce_or(bits);
  return {(bits & stop_training) != 0, (bits & stop_requested) != 0, (bits & refresh_bar) != 0,
          (bits & refresh_callbacks) != 0};
}

DataParallelTraining::DataParallelTraining(distributed::Communicator& communicator, Trainer& trainer,
                                           const DeviceDataset& data, int batch_size)
    : communicator_(communicator),
      trainer_(trainer),
      shard_(data.count, batch_size, communicator.rank(), communicator.size()),
      exchange_(communicator.rank(), communicator.size(), gradient_count(trainer)) {
  const int stride = shard_.local_stride();
  Workspace& ws = trainer.workspace(stride);
  full_ = trainer.record_train_gradients(ws, data, stride, stride, batch_size,
                                        int(shard_.slice(0).start));
  const std::int64_t last = shard_.steps() - 1;
  if (shard_.global_count(last) != batch_size) {
    // The last global batch is partial: its slice and its divisor differ.
    // A rank whose slice of it is empty runs no gradient program there.
    const int count = int(shard_.slice(last).count);
    if (count > 0) {
      partial_ = trainer.record_train_gradients(ws, data, stride, count, int(shard_.global_count(last)),
                                                int(shard_.slice(last).start));
    }
  }
  update_ = trainer.record_train_update();
  timing_asked_ = timing_asked();
}

void DataParallelTraining::start_epoch(const MetricTotals& first) {
  auto& backend = trainer_.backend();
  backend.synchronize();
  if (communicator_.rank() == 0) {
    backend.write(trainer_.totals(), &first, sizeof first);
  } else {
    backend.zero(trainer_.totals());
  }
  totals_ = first;
}

void DataParallelTraining::run(std::int64_t step) {
  const Clock::time_point start = Clock::now();
  auto& backend = trainer_.backend();
  const bool last = step + 1 == shard_.steps();
  Program* gradients = last && shard_.global_count(step) != shard_.batch_size() ? partial_.get() : full_.get();
  if (gradients) {
    gradients->launch(true);
    backend.synchronize();
  }
  const Clock::time_point exchange = Clock::now();
  const std::span<float> mine = exchange_.gradients();
  if (gradients) {
    std::size_t at = 0;
    for (const Parameter& p : trainer_.parameters()) {
      backend.read(*p.gradient, mine.data() + at, std::size_t(p.spec.size()) * sizeof(float));
      at += std::size_t(p.spec.size());
    }
  } else {
    // No samples of this step here: this rank adds nothing to the sum.
    std::fill(mine.begin(), mine.end(), 0.0f);
  }
  const MetricTotals my_totals = backend.read_totals(trainer_.totals());

  if (timing_asked_) {
    // Only when timing: a barrier, so that the exchange's phases below are
    // the transfers and the sum, not the wait for the slowest rank's
    // backward (which the alltoallv would otherwise absorb).
    const Clock::time_point wait = Clock::now();
    communicator_.allreduce_or(0);
    timing_.wait_seconds += seconds_since(wait);
  }
  totals_ = exchange_.run(communicator_, my_totals);

  std::size_t at = 0;
  const std::span<const float> summed = exchange_.summed();
  for (const Parameter& p : trainer_.parameters()) {
    backend.write(*p.gradient, summed.data() + at, std::size_t(p.spec.size()) * sizeof(float));
    at += std::size_t(p.spec.size());
  }
  timing_.exchange_seconds += seconds_since(exchange);
  update_->launch(false);
  timing_.step_seconds += seconds_since(start);
  ++timing_.steps;
}

void report_timing_if_asked(const DataParallelTraining::Timing& timing) {
  if (!timing_asked() || !distributed::is_primary() || timing.steps == 0) return;
  const double n = double(timing.steps);
  const double exchange = timing.exchange_seconds - timing.wait_seconds;
  std::fprintf(stderr,
               "vknn distributed timing (rank 0, %lld steps): step %.3f ms; waiting for the other ranks "
               "%.3f ms; gradient exchange %.3f ms (%.1f%% of the step), of which MPI_Alltoallv %.3f ms, "
               "rank-order sum %.3f ms, MPI_Allgatherv %.3f ms\n",
               static_cast<long long>(timing.steps), 1e3 * timing.step_seconds / n,
               1e3 * timing.wait_seconds / n, 1e3 * exchange / n, 100.0 * exchange / timing.step_seconds,
               1e3 * timing.phases.reduce_scatter / n, 1e3 * timing.phases.sum / n,
               1e3 * timing.phases.allgather / n);
}

DataParallelEvaluation::DataParallelEvaluation(distributed::Communicator& communicator,
                                               Trainer& trainer, DeviceDataset& data, int batch_size)
    : communicator_(communicator),
      trainer_(trainer),
      shard_(data.count, batch_size, communicator.rank(), communicator.size()),
      weighted_(data.sample_weights != nullptr) {
  std::vector<std::uint32_t> identity(std::size_t(data.count));
  for (std::size_t i = 0; i < identity.size(); ++i) identity[i] = std::uint32_t(i);
  if (const auto order = shard_.local_order(identity); !order.empty()) trainer.set_order(data, order);
  const int stride = shard_.local_stride();
  if (stride == 0) return;  // fewer samples per batch than ranks: none here
  Workspace& ws = trainer.workspace(stride);
  full_ = trainer.record_eval_step(ws, data, stride, stride);
  const std::int64_t last = shard_.steps() - 1;
  if (const int count = int(shard_.slice(last).count); count > 0 && count != stride) {
    partial_ = trainer.record_eval_step(ws, data, stride, count);
  }
}

MetricTotals DataParallelEvaluation::run(ProgressBar* bar, std::int64_t* steps_done, std::int64_t steps) {
  auto& backend = trainer_.backend();
  backend.synchronize();
  backend.write_state(trainer_.eval_state(), StepState{});
  backend.zero(trainer_.eval_totals());
  const std::int64_t last = steps > 0 ? std::min(steps, shard_.steps()) : shard_.steps();
  for (std::int64_t step = 0; step < last; ++step) {
    const std::int64_t count = shard_.slice(step).count;
    Program* program = count == shard_.local_stride() ? full_.get() : partial_.get();
    if (count > 0) program->launch(step + 1 == last);
    if (steps_done) *steps_done = step + 1;
    // Rank 0's bar asks for a refresh; then every rank reads its totals.
    const StepDecision decision = agree(communicator_, {.refresh_bar = bar && bar->wants_refresh()});
    if (decision.refresh_bar) {
      backend.synchronize();
      const MetricTotals totals = global_totals(communicator_, backend.read_totals(trainer_.eval_totals()));
      if (bar) bar->update(long(step + 1), metric_values(totals, weighted_));
    }
  }
  backend.synchronize();
  return global_totals(communicator_, backend.read_totals(trainer_.eval_totals()));
}

std::vector<float> predict_data_parallel(distributed::Communicator& communicator, Trainer& trainer,
                                         DeviceDataset& data, int batch_size, int classes,
                                         ProgressBar& bar, std::int64_t& steps_done) {
  auto& backend = trainer.backend();
  const distributed::Shard shard(data.count, batch_size, communicator.rank(), communicator.size());
  std::vector<std::uint32_t> identity(std::size_t(data.count));
  for (std::size_t i = 0; i < identity.size(); ++i) identity[i] = std::uint32_t(i);
  if (const auto order = shard.local_order(identity); !order.empty()) trainer.set_order(data, order);
  const int stride = shard.local_stride();
  const std::int64_t local = shard.local_samples(communicator.rank());
  std::vector<float> mine(std::size_t(local * classes));
  if (stride > 0) {
    auto output = backend.tensor("predictions", backend::ElementType::f32, local * classes);
    Workspace& ws = trainer.workspace(stride);
    auto full = trainer.record_predict_step(ws, data, stride, stride, *output);
    std::unique_ptr<Program> partial;
    const std::int64_t last = shard.steps() - 1;
    if (const int count = int(shard.slice(last).count); count > 0 && count != stride) {
      partial = trainer.record_predict_step(ws, data, stride, count, *output);
    }
    backend.synchronize();
    backend.write_state(trainer.eval_state(), StepState{});
    for (std::int64_t step = 0; step < shard.steps(); ++step) {
      const std::int64_t count = shard.slice(step).count;
      if (count > 0) (count == stride ? *full : *partial).launch(step + 1 == shard.steps());
      steps_done = step + 1;
      if (bar.wants_refresh()) {
        backend.synchronize();
        bar.update(long(step + 1), {});
      }
    }
    backend.synchronize();
    backend.read(*output, mine.data(), mine.size() * sizeof(float));
  }
  steps_done = shard.steps();
  // Every rank's rows, rank after rank, then put back in sample order: rank
  // r's rows of step s are samples s * batch + its slice.
  std::vector<std::size_t> counts;
  for (int r = 0; r < communicator.size(); ++r) {
    counts.push_back(std::size_t(shard.local_samples(r) * classes) * sizeof(float));
  }
  std::vector<float> gathered(std::size_t(data.count * classes));
  communicator.allgatherv(std::as_bytes(std::span(mine)), counts, std::as_writable_bytes(std::span(gathered)));
  std::vector<float> result(gathered.size());
  const float* rows = gathered.data();
  for (int r = 0; r < communicator.size(); ++r) {
    for (std::int64_t step = 0; step < shard.steps(); ++step) {
      const distributed::Slice s = shard.slice(step, r);
      const std::size_t n = std::size_t(s.count * classes);
      std::memcpy(result.data() + std::size_t((step * batch_size + s.start) * classes), rows, n * sizeof(float));
      rows += n;
    }
  }
  return result;
}

}  // namespace vknn::model
