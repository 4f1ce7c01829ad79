// Sequential::fit: the training loop. It uploads the data and records the
// step programs once, then per epoch uploads the sample order, launches the
// steps and reads the metrics back only at progress refreshes and the epoch
// end; callbacks, stop requests, a resume point and several ranks are all
// decided at step boundaries.
#include <algorithm>
#include <functional>
#include <chrono>
#include <cstdio>
#include <memory>

#include "model/batch_programs.hpp"
#include "model/byte_size_text.hpp"
#include "model/call_checks.hpp"
#include "model/checkpoint.hpp"
#include "model/data_parallel.hpp"
#include "model/device_failure_report.hpp"
#include "model/model_description.hpp"
#include "model/progress_bar.hpp"
#include "model/sample_order.hpp"
#include "model/sample_weights.hpp"
#include "model/streamed_dataset.hpp"
#include "model/trainer.hpp"
#include "vknn/distributed.hpp"
#include "vknn/error.hpp"
#include "vknn/model/sequential.hpp"

namespace vknn {

using model::BatchPrograms;
using model::DeviceDataset;
using model::Trainer;
using model::check_batch_size;
using model::check_samples;
using model::epoch_order;
using model::model_text;
using model::record_batches;
using model::require_compiled;
using model::run_evaluation;

namespace {

constexpr double kCallbackRefreshSeconds = 0.2;

Logs logs_of(const model::MetricValues& values) {
  Logs logs;
  for (const auto& [name, value] : values) logs[name] = value;
  return logs;
}

class Clock {
 public:
  bool due(double seconds) const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - last_).count() >= seconds;
  }
  void reset() { last_ = std::chrono::steady_clock::now(); }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// Keras's validation_batch_size, which defaults to batch_size.
int validation_batch_size(const FitOptions& options) {
  return options.validation_batch_size > 0 ? options.validation_batch_size : options.batch_size;
}

}  // namespace

History Sequential::fit(const data::LabeledImages& data, FitOptions options) {
  return fit(Samples::of(data.images), data.labels, std::move(options));
}

History Sequential::fit(const Samples& x, std::span<const std::uint8_t> y, FitOptions options) {
  model::FitPlace place;
  place.epochs = options.epochs;
  try {
    return run_fit(x, y, options, place);
  } catch (const DeviceFailure& failure) {
    // No backup is written now: the device's state is gone, and the last
    // backup on disk (if any) is what a new fit resumes from.
    throw model::fit_device_failure(failure, place, options.callbacks);
  }
}

History Sequential::run_fit(const Samples& x, std::span<const std::uint8_t> y,
                            const FitOptions& options, model::FitPlace& place) {
  require_compiled(trainer_, "fit");
  // Before the upload and the recording (which can take seconds): a request
  // made from here on stops this fit at its first step.
  stop_request_->store(false, std::memory_order_relaxed);
  check_batch_size("fit", options.batch_size);
  if (options.epochs < 0) throw Error("fit: epochs must be >= 0, got " + std::to_string(options.epochs));
  if (options.initial_epoch < 0) {
    throw Error("fit: initial_epoch must be >= 0, got " + std::to_string(options.initial_epoch));
  }
  if (options.validation_batch_size < 0) {
    throw Error("fit: validation_batch_size must be >= 0 (0: batch_size), got " +
                std::to_string(options.validation_batch_size));
  }
  if (options.steps_per_epoch < 0 || options.validation_steps < 0) {
    throw Error("fit: steps_per_epoch and validation_steps must be >= 0 (0: every batch), got " +
                std::to_string(options.steps_per_epoch) + " and " + std::to_string(options.validation_steps));
  }
  check_samples("fit", input_shape(), x, y, true, trainer_->label_classes());
  const std::vector<float> train_weights = model::sample_weights_of(
      "fit", y, options.class_weight, options.sample_weight, trainer_->label_classes());
  std::vector<float> validation_weights;
  if (options.validation_data) {
    check_samples("fit (validation_data)", input_shape(), options.validation_data->x,
                  options.validation_data->y, true, trainer_->label_classes());
    validation_weights = model::sample_weights_of("fit (validation_data)", options.validation_data->y, {},
                                                  options.validation_data->sample_weight,
                                                  trainer_->label_classes());
  }
  Trainer& trainer = *trainer_;
  auto& backend = trainer.backend();
  const int batch_size = int(std::min<std::int64_t>(options.batch_size, x.count));
  const auto require_steps = [](const char* name, std::int64_t wanted, std::int64_t samples, int batch) {
    const std::int64_t batches = (samples + batch - 1) / batch;
    if (wanted > batches) {
      throw Error("fit: " + std::string(name) + " " + std::to_string(wanted) + " is more than the " +
                  std::to_string(batches) + " batches of " + std::to_string(samples) +
                  " samples at batch_size " + std::to_string(batch) +
                  " (Keras would run out of data); use at most " + std::to_string(batches));
    }
  };
  require_steps("steps_per_epoch", options.steps_per_epoch, x.count, batch_size);
  if (options.validation_data) {
    const std::int64_t count = options.validation_data->x.count;
    require_steps("validation_steps", options.validation_steps, count,
                  int(std::min<std::int64_t>(validation_batch_size(options), count)));
  }
  // Several ranks (vknn::distributed::initialize under mpirun): data-parallel,
  // once every rank is known to start alike. Only rank 0 prints.
  distributed::Communicator* const ranks = distributed::communicator();
  const int verbose = distributed::is_primary() ? options.verbose : 0;
  if (ranks) {
    model::require_batch_for_every_rank("fit", batch_size, ranks->size());
    const auto& v = options.validation_data;
    distributed::require_same_on_every_rank(
        *ranks, "fit",
        {model::model_fact(model_text(*this, trainer)), model::weights_fact(trainer),
         {"fit options", "batch_size " + std::to_string(options.batch_size) + ", epochs " +
                             std::to_string(options.epochs) + ", initial_epoch " +
                             std::to_string(options.initial_epoch) + ", shuffle " +
                             (options.shuffle ? "on" : "off") + ", seed " + std::to_string(options.seed) +
                             ", steps_per_epoch " + std::to_string(options.steps_per_epoch) +
                             ", validation_steps " + std::to_string(options.validation_steps) +
                             ", validation_batch_size " + std::to_string(options.validation_batch_size) +
                             ", augmentation " +
                             (options.augmentation ? options.augmentation->describe() : std::string("none"))},
         {"resume point", resume_pending_ ? "a checkpoint at epoch " + std::to_string(progress_->epoch + 1) +
                                                ", step " + std::to_string(progress_->step)
                                          : "none"},
         model::data_fact("training data", x, y),
         model::sample_weights_fact("training sample weights", train_weights),
         v ? model::data_fact("validation data", v->x, v->y) : distributed::Fact{"validation data", "none"},
         model::sample_weights_fact("validation sample weights", validation_weights)});
  }

  // Upload once, record once; or, where the training data does not fit
  // the device beside the model and the validation data, stream it through
  // a window (one process only).
  const bool weighted = !train_weights.empty();
  std::optional<DeviceDataset> resident_validation;
  std::unique_ptr<model::StreamedDataset> streamed_validation;
  int vb = 0;
  if (options.validation_data) {
    const auto& v = *options.validation_data;
    vb = int(std::min<std::int64_t>(validation_batch_size(options), v.x.count));
    // The validation data may take half of what the device has left beside
    // the model; beyond that it is streamed too (one process only), so that
    // the training data keeps room for its own window.
    const model::StreamingChoice choice =
        ranks ? model::StreamingChoice{}
              : model::choose_streaming(trainer, v.x, !validation_weights.empty(), batch_size, vb,
                                        "fit: the validation data", 0.5);
    if (choice.window_batches > 0) {
      streamed_validation = std::make_unique<model::StreamedDataset>(
          trainer, v.x, v.y, validation_weights, vb, choice.window_batches, "validation");
      streamed_validation->start_epoch(epoch_order(v.x.count, false, 0, 0), 0);
      if (verbose && options.output) {
        std::fprintf(options.output,
                     "Streaming the validation data (%lld samples, %s on the device) in windows of "
                     "%lld batch%s\n",
                     (long long)v.x.count, model::byte_size_text(choice.data_bytes).c_str(),
                     (long long)choice.window_batches, choice.window_batches == 1 ? "" : "es");
      }
    } else {
      resident_validation = trainer.upload(v.x, v.y, "validation", validation_weights);
    }
  }
  DeviceDataset* const validation = streamed_validation ? &streamed_validation->device()
                                    : resident_validation ? &*resident_validation
                                                          : nullptr;
  std::unique_ptr<model::StreamedDataset> streamed;
  DeviceDataset resident;
  if (const model::StreamingChoice choice =
          ranks ? model::StreamingChoice{}
                : model::choose_streaming(trainer, x, weighted, batch_size, vb > 0 ? vb : batch_size);
      choice.window_batches > 0) {
    streamed = std::make_unique<model::StreamedDataset>(trainer, x, y, train_weights, batch_size,
                                                        choice.window_batches);
    if (verbose && options.output) {
      std::fprintf(options.output,
                   "Streaming the training data (%lld samples, %s on the device; %s left beside the "
                   "model) in windows of %lld batch%s\n",
                   (long long)x.count, model::byte_size_text(choice.data_bytes).c_str(),
                   model::byte_size_text(choice.free_bytes).c_str(), (long long)choice.window_batches,
                   choice.window_batches == 1 ? "" : "es");
    }
  } else {
    resident = trainer.upload(x, y, "training", train_weights);
  }
  DeviceDataset& train = streamed ? streamed->device() : resident;
  if (options.augmentation) trainer.set_augmentation(train, *options.augmentation);
  BatchPrograms steps;
  std::unique_ptr<model::DataParallelTraining> parallel;
  if (ranks) {
    parallel = std::make_unique<model::DataParallelTraining>(*ranks, trainer, train, batch_size);
    steps.steps = parallel->steps();
  } else {
    model::Workspace& ws = trainer.workspace(batch_size);
    steps = record_batches(x.count, batch_size, [&](int count) {
      return trainer.record_train_step(ws, train, batch_size, count);
    });
  }
  // This rank's part of an epoch's order (all of it in one process).
  // Streamed, the order is the host's: the window is assembled in it.
  std::vector<std::uint32_t> streamed_order;
  const auto set_train_order = [&](const std::vector<std::uint32_t>& order) {
    if (streamed) {
      streamed_order = order;
      return;
    }
    trainer.set_order(train, parallel ? parallel->local_order(order) : order);
  };
  BatchPrograms validation_steps;
  std::unique_ptr<model::DataParallelEvaluation> parallel_validation;
  if (options.validation_data) {
    const auto& v = *options.validation_data;
    if (ranks) {
      parallel_validation = std::make_unique<model::DataParallelEvaluation>(*ranks, trainer, *validation, vb);
    } else {
      model::Workspace& vws = trainer.workspace(vb);
      validation_steps = record_batches(v.x.count, vb, [&](int count) {
        return trainer.record_eval_step(vws, *validation, vb, count);
      });
      if (!streamed_validation) trainer.set_order(*validation, epoch_order(v.x.count, false, 0, 0));
    }
  }
  // The epoch's running totals: this device's, or (data-parallel) the sum
  // over the ranks, which every rank has after every step.
  const auto running_totals = [&] {
    return parallel ? parallel->totals() : backend.read_totals(trainer.totals());
  };
  // A step boundary's decisions, made one over the ranks.
  const auto decide = [&](model::StepDecision mine) {
    return ranks ? model::agree(*ranks, mine) : mine;
  };

  // Keras's steps_per_epoch: the first batches of each epoch's order.
  const std::int64_t epoch_steps = options.steps_per_epoch > 0 ? options.steps_per_epoch : steps.steps;
  place.steps_per_epoch = epoch_steps;
  History history;
  stop_training = false;
  for (auto& callback : options.callbacks) callback->on_train_begin(*this);

  // Where this fit starts: epoch 0, or where a checkpoint loaded before it
  // (load_checkpoint, or BackupAndRestore in on_train_begin) stood. The
  // shuffle order is a function of (seed, epoch), so the fit identity and
  // the position say exactly which samples every remaining step takes.
  const model::FitIdentity identity{
      options.seed, options.shuffle, batch_size, x.count,
      options.augmentation && !options.augmentation->is_identity() ? options.augmentation->describe()
                                                                   : std::string()};
  model::TrainingProgress& progress = *progress_;
  if (resume_pending_) {
    // Refused, the resume point stays: a fit with the right options resumes.
    if (progress.fit.samples != 0 && !(progress.fit == identity)) {
      throw Error("fit: the checkpoint " + resume_source_ + " continues a fit with " +
                  model::describe(progress.fit) + ", but this fit has " + model::describe(identity) +
                  "; resume with the same data, batch_size, shuffle, seed and augmentation (or compile() again "
                  "to start over)");
    }
    resume_pending_ = false;
    history.epoch = progress.history.epoch;
    history.history = progress.history.history;
  } else {
    progress = {};
    progress.epoch = options.initial_epoch;
  }
  progress.fit = identity;
  const int first_epoch = progress.epoch;
  const std::int64_t first_step = progress.step;
  const MetricTotals first_totals = progress.totals;
  if (!options.shuffle) set_train_order(epoch_order(x.count, false, 0, 0));

  for (int epoch = first_epoch; epoch < options.epochs && !stop_training; ++epoch) {
    place.stage = model::FitStage::training;
    place.epoch = epoch;
    place.steps_done = epoch == first_epoch ? first_step : 0;
    if (verbose && options.output) {
      std::fprintf(options.output, "Epoch %d/%d\n", epoch + 1, options.epochs);
    }
    backend.synchronize();
    if (options.shuffle) set_train_order(epoch_order(x.count, true, options.seed, epoch));
    // A resumed epoch starts at its next step with the totals of the steps
    // already taken; any other at step 0 with zero totals.
    const std::int64_t start = epoch == first_epoch ? first_step : 0;
    StepState state = backend.read_state(trainer.state());
    state.batch_index = std::uint32_t(start);
    backend.write_state(trainer.state(), state);
    if (parallel) {
      parallel->start_epoch(start > 0 ? first_totals : MetricTotals{});
    } else if (start > 0) {
      backend.write(trainer.totals(), &first_totals, sizeof first_totals);
    } else {
      backend.zero(trainer.totals());
    }
    if (streamed) streamed->start_epoch(streamed_order, start);
    progress.epoch = epoch;
    progress.step = start;
    place.steps_done = start;
    for (auto& callback : options.callbacks) callback->on_epoch_begin(*this, epoch);

    model::ProgressBar bar(long(epoch_steps), verbose, options.output);
    Clock callback_clock;
    const bool batch_callbacks = !options.callbacks.empty();
    // Per-step logs when a callback asks for them (a host wait per step).
    bool every_step_logs = false;
    for (const auto& callback : options.callbacks) every_step_logs |= callback->wants_batch_logs();
    // Data-parallel, a stop request seen by any rank stops every rank at the
    // same step boundary: the request is agreed on with each step's other
    // decisions, and before the first.
    bool stop_agreed = ranks && decide({.stop_requested = stop_requested()}).stop_requested;
    for (std::int64_t step = start; step < epoch_steps; ++step) {
      if (ranks ? stop_agreed : stop_requested()) {
        history.interrupted = true;
        break;
      }
      if (parallel) {
        parallel->run(step);
        // What a backup written now records as the epoch's running totals:
        // the sum over the ranks (a device holds only its rank's part).
        progress.totals = parallel->totals();
      } else {
        if (streamed) streamed->before_step(step);
        steps.at(step).launch(false);
      }
      progress.step = step + 1;
      place.steps_done = step + 1;
      for (auto& callback : options.callbacks) callback->on_train_batch_end(*this, int(step));
      const model::StepDecision decision = decide(
          {.stop_training = stop_training,
           .stop_requested = ranks && stop_requested(),
           .refresh_bar = bar.wants_refresh(),
           .refresh_callbacks =
               batch_callbacks && (every_step_logs || callback_clock.due(kCallbackRefreshSeconds))});
      stop_training = decision.stop_training;
      stop_agreed = decision.stop_requested;
      if (stop_training) break;  // honoured at this step boundary
      if (decision.refresh_bar || decision.refresh_callbacks) {
        backend.synchronize();
        const auto values = model::metric_values(running_totals(), weighted);
        if (decision.refresh_bar) bar.update(long(step + 1), values);
        if (decision.refresh_callbacks) {
          callback_clock.reset();
          for (auto& callback : options.callbacks) {
            callback->on_batch_end(*this, int(step), logs_of(values));
          }
          if (ranks) stop_training = decide({.stop_training = stop_training}).stop_training;
          if (stop_training) break;  // honoured at this step boundary
        }
      }
    }
    // A stop asked for during the epoch's last step is honoured at that
    // step boundary too, before the epoch end's validation and callbacks.
    if (!stop_training && (ranks ? stop_agreed : stop_requested())) history.interrupted = true;
    backend.synchronize();
    if (history.interrupted) {
      // The partial epoch is not an epoch of the history; end the bar's line.
      // progress keeps (epoch, step) and the device keeps its totals, which
      // save_checkpoint reads.
      if (verbose == 1 && options.output) std::fputc('\n', options.output);
      break;
    }
    auto values = model::metric_values(running_totals(), weighted);
    if (validation) {
      place.stage = model::FitStage::validating;
      const bool validation_weighted = !validation_weights.empty();
      const MetricTotals v =
          parallel_validation
              ? parallel_validation->run(nullptr, nullptr, options.validation_steps)
              : run_evaluation(trainer, validation_steps, validation_weighted, nullptr, nullptr,
                               options.validation_steps,
                               streamed_validation ? std::function<void(std::int64_t)>([&](std::int64_t step) {
                                 streamed_validation->before_step(step);
                               })
                                                   : nullptr);
      // The next epoch's first window is assembled while it trains.
      if (streamed_validation) {
        streamed_validation->start_epoch(epoch_order(options.validation_data->x.count, false, 0, 0), 0);
      }
      for (auto& value : model::metric_values(v, validation_weighted, "val_")) values.push_back(value);
    }
    bar.finish(values);
    Logs logs = logs_of(values);
    history.epoch.push_back(epoch);
    for (const auto& [name, value] : values) history.history[name].push_back(value);
    progress.epoch = epoch + 1;
    progress.step = 0;
    progress.totals = {};
    progress.history.epoch = history.epoch;
    progress.history.history = history.history;
    place.stage = model::FitStage::epoch_end;
    for (auto& callback : options.callbacks) callback->on_epoch_end(*this, epoch, logs);
    if (ranks) stop_training = decide({.stop_training = stop_training}).stop_training;
  }
  if (parallel) model::report_timing_if_asked(parallel->timing());
  history.stopped_early = stop_training || history.interrupted;
  place.stage = model::FitStage::train_end;
  for (auto& callback : options.callbacks) callback->on_train_end(*this);
  return history;
}

}  // namespace vknn
