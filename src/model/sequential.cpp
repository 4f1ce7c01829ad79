// Sequential: the Keras-like API over the Trainer. fit/evaluate/predict
// upload their data once, record their step programs once, and then only
// launch them; the host reads metrics back at progress refreshes and epoch
// ends.
#include "vknn/model/sequential.hpp"

#include <chrono>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <sstream>

#include "io/safetensors.hpp"
#include "model/architecture.hpp"
#include "model/checkpoint.hpp"
#include "model/data_parallel.hpp"
#include "model/device_failure_report.hpp"
#include "model/progress_bar.hpp"
#include "model/sample_weights.hpp"
#include "model/seeding.hpp"
#include "model/trainer.hpp"
#include "vknn/distributed.hpp"
#include "vknn/error.hpp"

namespace vknn {

using model::DeviceDataset;
using vknn::MetricTotals;
using model::Program;
using model::Trainer;

namespace {

constexpr double kCallbackRefreshSeconds = 0.2;

std::string shape_text(const Shape& shape) {
  std::ostringstream s;
  s << "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
  if (shape.size() == 1) s << ",";
  s << ")";
  return s.str();
}

Shape without_trailing_ones(Shape shape) {
  while (shape.size() > 1 && shape.back() == 1) shape.pop_back();
  return shape;
}

// A uniform integer in [0, bound) without modulo bias.
std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t bound) {
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() -
                              std::numeric_limits<std::uint64_t>::max() % bound;
  std::uint64_t r;
  do r = rng(); while (r >= limit);
  return r % bound;
}

// The sample order of one epoch: a Fisher-Yates shuffle seeded by (seed,
// epoch), identical on every platform (std::shuffle's is not specified).
std::vector<std::uint32_t> epoch_order(std::int64_t count, bool shuffle, std::uint64_t seed,
                                       int epoch) {
  std::vector<std::uint32_t> order(static_cast<std::size_t>(count));
  std::iota(order.begin(), order.end(), 0u);
  if (!shuffle) return order;
  std::mt19937_64 rng(model::shuffle_seed(seed, epoch));
  for (std::size_t i = order.size(); i > 1; --i) {
    std::swap(order[i - 1], order[uniform_below(rng, i)]);
  }
  return order;
}

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

}  // namespace

const char* to_string(BackendKind kind) { return kind == BackendKind::vulkan ? "vulkan" : "cpu"; }

Optimizer Adam(float learning_rate, float beta_1, float beta_2, float epsilon) {
  Optimizer o;
  o.kind = Optimizer::Kind::adam;
  o.adam = {learning_rate, beta_1, beta_2, epsilon};
  return o;
}

Optimizer SGD(float learning_rate, float momentum) {
  Optimizer o;
  o.kind = Optimizer::Kind::sgd;
  o.sgd = {learning_rate, momentum};
  return o;
}

Optimizer RMSprop(float learning_rate, float rho, float momentum, float epsilon) {
  Optimizer o;
  o.kind = Optimizer::Kind::rmsprop;
  o.rmsprop = {learning_rate, rho, momentum, epsilon};
  return o;
}

Samples Samples::of(const data::ImageSet& images) {
  return {images.pixels, images.count, {images.rows, images.cols, 1}, {}};
}

Samples Samples::of_pixels(std::span<const std::uint8_t> pixels, std::int64_t count,
                           Shape shape) {
  return {pixels, count, std::move(shape), {}};
}

Samples Samples::of_values(std::span<const float> values, std::int64_t count, Shape shape) {
  return {{}, count, std::move(shape), values};
}

Sequential::Sequential(std::vector<Layer> layers, std::string name)
    : name_(std::move(name)),
      layer_specs_(layers),
      architecture_(std::make_unique<model::Architecture>(model::Architecture::build(layers))),
      progress_(std::make_unique<model::TrainingProgress>()),
      stop_request_(std::make_unique<std::atomic<bool>>(false)) {
  static_assert(std::atomic<bool>::is_always_lock_free,
                "request_stop() must be a lock-free store to be safe in a signal handler");
}
Sequential::~Sequential() = default;
Sequential::Sequential(Sequential&&) noexcept = default;
Sequential& Sequential::operator=(Sequential&&) noexcept = default;

void Sequential::request_stop() noexcept {
  if (stop_request_) stop_request_->store(true, std::memory_order_relaxed);
}
bool Sequential::stop_requested() const noexcept {
  return stop_request_ && stop_request_->load(std::memory_order_relaxed);
}

std::string Sequential::summary_text() const { return architecture_->summary(name_); }
void Sequential::summary(std::FILE* out) const {
  std::fputs(summary_text().c_str(), out);
  std::fflush(out);
}

void Sequential::compile(const Optimizer& optimizer, CompileOptions options) {
  validate_learning_rate("compile", optimizer.learning_rate());
  if (optimizer.kind == Optimizer::Kind::adam) optimizer.adam.validate("compile");
  if (optimizer.kind == Optimizer::Kind::rmsprop) optimizer.rmsprop.validate("compile");
  trainer_.reset();  // a recompile starts from fresh weights, as in Keras
  *progress_ = {};
  resume_pending_ = false;
  trainer_ = std::make_unique<Trainer>(*architecture_, optimizer, options);
  compile_options_ = std::move(options);
}

std::vector<Layer> Sequential::layer_configs() const {
  std::vector<Layer> layers = layer_specs_;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    std::visit(
        [&](auto& l) {
          l.name = (*architecture_)[i].name;
          l.input_shape = i == 0 ? std::optional<Shape>(architecture_->input_shape()) : std::nullopt;
        },
        layers[i]);
  }
  return layers;
}

const Optimizer& Sequential::optimizer() const {
  if (!trainer_) throw Error("optimizer: the model is not compiled; call compile() first");
  return trainer_->optimizer();
}

const CompileOptions& Sequential::compile_options() const {
  if (!trainer_) throw Error("compile_options: the model is not compiled; call compile() first");
  return compile_options_;
}

std::vector<LayerSummary> Sequential::layers() const {
  std::vector<LayerSummary> result;
  for (const auto& layer : architecture_->layers()) {
    result.push_back(
        {layer.name, layer.type_name(), layer.output_shape, layer.params, layer.trainable});
  }
  return result;
}

void Sequential::set_trainable(std::size_t layer, bool trainable) {
  architecture_->set_trainable(layer, trainable);
}

bool Sequential::compiled() const { return trainer_ != nullptr; }
int Sequential::num_classes() const { return architecture_->output_shape().at(0); }
Shape Sequential::input_shape() const { return architecture_->input_shape(); }
std::int64_t Sequential::count_params() const { return architecture_->total_params(); }

namespace {

void require_compiled(const std::unique_ptr<Trainer>& trainer, const char* call) {
  if (!trainer) {
    throw Error(std::string(call) + ": the model is not compiled; call compile() first");
  }
}

void check_samples(const char* call, const Shape& input_shape, const Samples& x,
                   std::span<const std::uint8_t> y, bool need_labels, int classes) {
  if (x.count <= 0) throw Error(std::string(call) + ": no samples (count is " + std::to_string(x.count) + ")");
  if (without_trailing_ones(x.shape) != without_trailing_ones(input_shape)) {
    throw Error(std::string(call) + ": samples have shape " + shape_text(x.shape) +
                " but the model's input shape is " + shape_text(input_shape));
  }
  std::int64_t sample_size = 1;
  for (int d : input_shape) sample_size *= d;
  const bool has_pixels = !x.pixels.empty(), has_values = !x.values.empty();
  if (has_pixels == has_values) {
    throw Error(std::string(call) + ": samples need exactly one of `pixels` (uint8) and `values` " +
                "(float32), but " + (has_pixels ? "both were" : "neither was") + " given");
  }
  const std::int64_t given = has_pixels ? std::int64_t(x.pixels.size()) : std::int64_t(x.values.size());
  if (given != x.count * sample_size) {
    const char* unit = has_pixels ? " bytes" : " floats";
    throw Error(std::string(call) + ": " + std::to_string(x.count) + " samples of shape " +
                shape_text(x.shape) + " need " + std::to_string(x.count * sample_size) + unit +
                " but " + std::to_string(given) + " were given");
  }
  if (has_values) {
    // A NaN or infinite input would turn the loss and every weight into NaN
    // without an error; refuse it here, where it can be named.
    for (std::size_t i = 0; i < x.values.size(); ++i) {
      if (!std::isfinite(x.values[i])) {
        throw Error(std::string(call) + ": value " + std::to_string(x.values[i]) + " of sample " +
                    std::to_string(std::int64_t(i) / sample_size) + " (element " +
                    std::to_string(std::int64_t(i) % sample_size) +
                    ") is not finite; inputs must be finite numbers");
      }
    }
  }
  if (!need_labels) return;
  if (std::int64_t(y.size()) != x.count) {
    throw Error(std::string(call) + ": " + std::to_string(x.count) + " samples but " +
                std::to_string(y.size()) + " labels; x and y must have the same length");
  }
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (y[i] >= classes) {
      throw Error(std::string(call) + ": label " + std::to_string(int(y[i])) + " of sample " +
                  std::to_string(i) + " is out of range for a model with " +
                  std::to_string(classes) + " classes (labels must be 0.." +
                  std::to_string(classes - 1) + ")");
    }
  }
}

void check_batch_size(const char* call, int batch_size) {
  if (batch_size <= 0) {
    throw Error(std::string(call) + ": batch_size must be positive, got " +
                std::to_string(batch_size));
  }
}

// The layers as a checkpoint records them (defined below).
std::string architecture_text(const Shape& input, const std::vector<LayerSummary>& layers);

// The model as ranks must agree on it: its layers, which are frozen, its loss.
std::string model_text(const Sequential& model, const Trainer& trainer) {
  std::string text = architecture_text(model.input_shape(), model.layers());
  for (const auto& layer : model.layers()) {
    if (!layer.trainable) text += "; " + layer.name + " frozen";
  }
  return text + (trainer.loss() == model::Loss::binary_crossentropy ? "; binary cross-entropy"
                                                                     : "; sparse categorical cross-entropy");
}

// Steps over a dataset in batches; replays the full-batch program and, if
// the count is not a multiple of the batch size, the partial one last.
struct BatchPrograms {
  std::unique_ptr<Program> full, partial;
  std::int64_t steps = 0;
  Program& at(std::int64_t step) { return (step + 1 == steps && partial) ? *partial : *full; }
};

// Callers clamp batch_size to count, so there is at least one full batch.
template <class Record>
BatchPrograms record_batches(std::int64_t count, int batch_size, Record&& record) {
  BatchPrograms p;
  p.steps = (count + batch_size - 1) / batch_size;
  p.full = record(batch_size);
  if (const int remainder = int(count % batch_size); remainder != 0) p.partial = record(remainder);
  return p;
}

// Runs recorded evaluation steps, returning their totals; shows a bar when
// `bar` is given.
// Keras's validation_batch_size, which defaults to batch_size.
int validation_batch_size(const FitOptions& options) {
  return options.validation_batch_size > 0 ? options.validation_batch_size : options.batch_size;
}

// `steps`: the first that many (all of them when 0).
MetricTotals run_evaluation(Trainer& trainer, BatchPrograms& programs, bool weighted,
                            model::ProgressBar* bar, std::int64_t* steps_done = nullptr,
                            std::int64_t steps = 0) {
  auto& backend = trainer.backend();
  backend.synchronize();
  StepState state;
  backend.write_state(trainer.eval_state(), state);
  backend.zero(trainer.eval_totals());
  const std::int64_t last = steps > 0 ? std::min(steps, programs.steps) : programs.steps;
  for (std::int64_t step = 0; step < last; ++step) {
    programs.at(step).launch(step + 1 == last);
    if (steps_done) *steps_done = step + 1;
    if (bar && bar->wants_refresh()) {
      backend.synchronize();
      bar->update(long(step + 1), model::metric_values(backend.read_totals(trainer.eval_totals()), weighted));
    }
  }
  backend.synchronize();
  return backend.read_totals(trainer.eval_totals());
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
                             ", validation_batch_size " + std::to_string(options.validation_batch_size)},
         {"resume point", resume_pending_ ? "a checkpoint at epoch " + std::to_string(progress_->epoch + 1) +
                                                ", step " + std::to_string(progress_->step)
                                          : "none"},
         model::data_fact("training data", x, y),
         model::sample_weights_fact("training sample weights", train_weights),
         v ? model::data_fact("validation data", v->x, v->y) : distributed::Fact{"validation data", "none"},
         model::sample_weights_fact("validation sample weights", validation_weights)});
  }

  // Upload once, record once.
  DeviceDataset train = trainer.upload(x, y, "training", train_weights);
  const bool weighted = !train_weights.empty();
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
  const auto set_train_order = [&](const std::vector<std::uint32_t>& order) {
    trainer.set_order(train, parallel ? parallel->local_order(order) : order);
  };
  std::optional<DeviceDataset> validation;
  BatchPrograms validation_steps;
  std::unique_ptr<model::DataParallelEvaluation> parallel_validation;
  if (options.validation_data) {
    const auto& v = *options.validation_data;
    validation = trainer.upload(v.x, v.y, "validation", validation_weights);
    const int vb = int(std::min<std::int64_t>(validation_batch_size(options), v.x.count));
    if (ranks) {
      parallel_validation = std::make_unique<model::DataParallelEvaluation>(*ranks, trainer, *validation, vb);
    } else {
      model::Workspace& vws = trainer.workspace(vb);
      validation_steps = record_batches(v.x.count, vb, [&](int count) {
        return trainer.record_eval_step(vws, *validation, vb, count);
      });
      trainer.set_order(*validation, epoch_order(v.x.count, false, 0, 0));
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
  const model::FitIdentity identity{options.seed, options.shuffle, batch_size, x.count};
  model::TrainingProgress& progress = *progress_;
  if (resume_pending_) {
    // Refused, the resume point stays: a fit with the right options resumes.
    if (progress.fit.samples != 0 && !(progress.fit == identity)) {
      throw Error("fit: the checkpoint " + resume_source_ + " continues a fit with " +
                  model::describe(progress.fit) + ", but this fit has " + model::describe(identity) +
                  "; resume with the same data, batch_size, shuffle and seed (or compile() again "
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
                               options.validation_steps);
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

Evaluation Sequential::evaluate(const data::LabeledImages& data, EvaluateOptions options) {
  return evaluate(Samples::of(data.images), data.labels, options);
}

Evaluation Sequential::evaluate(const Samples& x, std::span<const std::uint8_t> y,
                                EvaluateOptions options) {
  require_compiled(trainer_, "evaluate");
  check_batch_size("evaluate", options.batch_size);
  check_samples("evaluate", input_shape(), x, y, true, trainer_->label_classes());
  const std::vector<float> weights =
      model::sample_weights_of("evaluate", y, {}, options.sample_weight, trainer_->label_classes());
  const bool weighted = !weights.empty();
  Trainer& trainer = *trainer_;
  const int batch_size = int(std::min<std::int64_t>(options.batch_size, x.count));
  distributed::Communicator* const ranks = distributed::communicator();
  const int verbose = distributed::is_primary() ? options.verbose : 0;
  if (ranks) {
    distributed::require_same_on_every_rank(
        *ranks, "evaluate",
        {model::model_fact(model_text(*this, trainer)), model::weights_fact(trainer),
         {"evaluate options", "batch_size " + std::to_string(options.batch_size)},
         model::data_fact("evaluation data", x, y),
         model::sample_weights_fact("evaluation sample weights", weights)});
  }
  DeviceDataset data = trainer.upload(x, y, "evaluation", weights);
  BatchPrograms programs;
  std::unique_ptr<model::DataParallelEvaluation> parallel;
  if (ranks) {
    parallel = std::make_unique<model::DataParallelEvaluation>(*ranks, trainer, data, batch_size);
    programs.steps = parallel->steps();
  } else {
    trainer.set_order(data, epoch_order(x.count, false, 0, 0));
    model::Workspace& ws = trainer.workspace(batch_size);
    programs = record_batches(x.count, batch_size, [&](int count) {
      return trainer.record_eval_step(ws, data, batch_size, count);
    });
  }
  model::ProgressBar bar(long(programs.steps), verbose, options.output);
  std::int64_t steps_done = 0;
  MetricTotals totals;
  try {
    totals = parallel ? parallel->run(&bar, &steps_done)
                      : run_evaluation(trainer, programs, weighted, &bar, &steps_done);
  } catch (const DeviceFailure& failure) {
    throw model::device_failure_in("evaluate", failure, steps_done, programs.steps);
  }
  bar.finish(model::metric_values(totals, weighted));
  return {totals.mean_loss(), totals.accuracy(weighted)};
}

std::vector<float> Sequential::predict(const Samples& x, PredictOptions options) {
  require_compiled(trainer_, "predict");
  check_batch_size("predict", options.batch_size);
  check_samples("predict", input_shape(), x, {}, false, num_classes());
  Trainer& trainer = *trainer_;
  auto& backend = trainer.backend();
  const int batch_size = int(std::min<std::int64_t>(options.batch_size, x.count));
  if (distributed::Communicator* const ranks = distributed::communicator()) {
    distributed::require_same_on_every_rank(
        *ranks, "predict",
        {model::model_fact(model_text(*this, trainer)), model::weights_fact(trainer),
         {"predict options", "batch_size " + std::to_string(options.batch_size)},
         model::data_fact("prediction data", x, {})});
    DeviceDataset data = trainer.upload(x, {}, "prediction");
    model::ProgressBar bar(long((x.count + batch_size - 1) / batch_size),
                           distributed::is_primary() ? options.verbose : 0, options.output);
    std::int64_t steps_done = 0;
    std::vector<float> result;
    try {
      result = model::predict_data_parallel(*ranks, trainer, data, batch_size, num_classes(), bar, steps_done);
    } catch (const DeviceFailure& failure) {
      throw model::device_failure_in("predict", failure, steps_done, (x.count + batch_size - 1) / batch_size);
    }
    bar.finish({});
    return result;
  }
  DeviceDataset data = trainer.upload(x, {}, "prediction");
  trainer.set_order(data, epoch_order(x.count, false, 0, 0));
  auto output = backend.tensor("predictions", backend::ElementType::f32, x.count * num_classes());
  model::Workspace& ws = trainer.workspace(batch_size);
  BatchPrograms programs = record_batches(x.count, batch_size, [&](int count) {
    return trainer.record_predict_step(ws, data, batch_size, count, *output);
  });
  model::ProgressBar bar(long(programs.steps), options.verbose, options.output);
  std::int64_t steps_done = 0;
  try {
    backend.synchronize();
    backend.write_state(trainer.eval_state(), StepState{});
    for (std::int64_t step = 0; step < programs.steps; ++step) {
      programs.at(step).launch(step + 1 == programs.steps);
      steps_done = step + 1;
      if (bar.wants_refresh()) {
        backend.synchronize();
        bar.update(long(step + 1), {});
      }
    }
    backend.synchronize();
  } catch (const DeviceFailure& failure) {
    throw model::device_failure_in("predict", failure, steps_done, programs.steps);
  }
  bar.finish({});
  std::vector<float> result(std::size_t(x.count * num_classes()));
  backend.read(*output, result.data(), result.size() * sizeof(float));
  return result;
}

std::vector<std::vector<float>> Sequential::layer_outputs(const Samples& x) {
  require_compiled(trainer_, "layer_outputs");
  check_samples("layer_outputs", input_shape(), x, {}, false, num_classes());
  constexpr std::int64_t kMaxSamples = 1024;
  if (x.count > kMaxSamples) {
    throw Error("layer_outputs: " + std::to_string(x.count) + " samples asked for; it runs them "
                "as one batch, so give at most " + std::to_string(kMaxSamples));
  }
  Trainer& trainer = *trainer_;
  auto& backend = trainer.backend();
  const int count = int(x.count);
  DeviceDataset data = trainer.upload(x, {}, "layer outputs");
  trainer.set_order(data, epoch_order(x.count, false, 0, 0));
  model::Workspace& ws = trainer.workspace(count);
  auto program = trainer.record_forward_step(ws, data, count, count);
  backend.synchronize();
  backend.write_state(trainer.eval_state(), StepState{});
  program->launch(true);
  backend.synchronize();
  // The forward step leaves every layer's output in the workspace, and the
  // probabilities where the last layer is a softmax (the plan's user_output).
  std::vector<std::vector<float>> outputs;
  for (const model::LayerPlan& lp : ws.plan.layers) {
    std::int64_t n = x.count;
    for (int d : lp.info->output_shape) n *= d;
    std::vector<float> values(static_cast<std::size_t>(n));
    backend.read(ws[lp.user_output], values.data(), values.size() * sizeof(float));
    outputs.push_back(std::move(values));
  }
  return outputs;
}

std::vector<std::string> Sequential::weight_names() const {
  std::vector<std::string> names;
  for (const auto& p : architecture_->parameters()) names.push_back(p.name);
  return names;
}

std::vector<std::vector<float>> Sequential::get_weights() {
  require_compiled(trainer_, "get_weights");
  auto& backend = trainer_->backend();
  backend.synchronize();
  std::vector<std::vector<float>> weights;
  for (auto& p : trainer_->parameters()) {
    std::vector<float> values(std::size_t(p.spec.size()));
    backend.read(*p.value, values.data(), values.size() * sizeof(float));
    weights.push_back(std::move(values));
  }
  return weights;
}

void Sequential::set_weights(const std::vector<std::vector<float>>& weights) {
  require_compiled(trainer_, "set_weights");
  auto& params = trainer_->parameters();
  if (weights.size() != params.size()) {
    throw Error("set_weights: the model has " + std::to_string(params.size()) +
                " weight tensors but " + std::to_string(weights.size()) + " were given");
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (std::int64_t(weights[i].size()) != params[i].spec.size()) {
      throw Error("set_weights: " + params[i].spec.name + " has " +
                  std::to_string(params[i].spec.size()) + " values but " +
                  std::to_string(weights[i].size()) + " were given");
    }
  }
  auto& backend = trainer_->backend();
  backend.synchronize();
  for (std::size_t i = 0; i < params.size(); ++i) {
    backend.write(*params[i].value, weights[i].data(), weights[i].size() * sizeof(float));
  }
}

void Sequential::save_weights(const std::filesystem::path& path) {
  const auto weights = get_weights();
  std::vector<io::Tensor> tensors;
  const auto& params = trainer_->parameters();
  for (std::size_t i = 0; i < params.size(); ++i) {
    tensors.push_back({params[i].spec.name, params[i].spec.tensor_spec().shape, weights[i]});
  }
  io::save_safetensors(path, tensors, {{"model", name_}, {"library", "vknn"}});
}

void Sequential::load_weights(const std::filesystem::path& path, LoadWeightsOptions options) {
  require_compiled(trainer_, "load_weights");
  const io::WeightsFile file = io::load_safetensors(path);
  io::check_tensors(file, architecture_->weight_specs());
  if (!options.allow_non_finite) io::check_finite(file);
  std::vector<std::vector<float>> weights;
  for (const auto& p : trainer_->parameters()) weights.push_back(file.find(p.spec.name)->values);
  set_weights(weights);
}

namespace {

// The layers as a checkpoint records them, to refuse another model's:
// "input (28, 28, 1); conv2d Conv2D (26, 26, 64); ...".
std::string architecture_text(const Shape& input, const std::vector<LayerSummary>& layers) {
  std::string text = "input " + shape_text(input);
  for (const auto& layer : layers) {
    text += "; " + layer.name + " " + layer.type + " " + shape_text(layer.output_shape);
  }
  return text;
}

std::vector<float> read_floats(backend::Backend& backend, const backend::DeviceTensor& tensor,
                               std::int64_t count) {
  std::vector<float> values(static_cast<std::size_t>(count));
  backend.read(tensor, values.data(), values.size() * sizeof(float));
  return values;
}

// The optimizer state tensors of a parameter, in optimizer_state_names order.
std::vector<const backend::DeviceTensor*> optimizer_state(const model::Parameter& p) {
  return p.state_tensors();
}

}  // namespace

void Sequential::save_checkpoint(const std::filesystem::path& path) {
  require_compiled(trainer_, "save_checkpoint");
  Trainer& trainer = *trainer_;
  auto& backend = trainer.backend();
  backend.synchronize();
  model::CheckpointContents c;
  c.model_name = name_;
  c.architecture = architecture_text(input_shape(), layers());
  c.optimizer = model::optimizer_text(trainer.optimizer());
  const StepState state = backend.read_state(trainer.state());
  c.iterations = state.iterations;
  c.learning_rate = state.learning_rate;
  c.progress = *progress_;
  // Mid-epoch, the totals so far live on the device (fit reads them only
  // at refreshes).
  // Data-parallel, fit keeps the global totals in progress_ after every step.
  if (c.progress.step > 0 && !resume_pending_ && !distributed::communicator()) {
    c.progress.totals = backend.read_totals(trainer.totals());
  }
  for (const auto& p : trainer.parameters()) {
    const auto shape = p.spec.tensor_spec().shape;
    c.tensors.push_back({p.spec.name, shape, read_floats(backend, *p.value, p.spec.size())});
  }
  for (const auto& p : trainer.parameters()) {
    const auto names = model::optimizer_state_names(trainer.optimizer(), p.spec.name);
    const auto tensors = optimizer_state(p);
    for (std::size_t i = 0; i < names.size(); ++i) {
      c.tensors.push_back({names[i], p.spec.tensor_spec().shape,
                           read_floats(backend, *tensors.at(i), p.spec.size())});
    }
  }
  model::write_checkpoint(path, c);
}

void Sequential::load_checkpoint(const std::filesystem::path& path) {
  require_compiled(trainer_, "load_checkpoint");
  Trainer& trainer = *trainer_;
  std::vector<model::TensorSpec> expected = architecture_->weight_specs();
  for (const auto& p : trainer.parameters()) {
    for (const auto& name : model::optimizer_state_names(trainer.optimizer(), p.spec.name)) {
      expected.push_back({name, p.spec.tensor_spec().shape});
    }
  }
  // Everything is read and checked before anything changes.
  model::CheckpointContents c =
      model::read_checkpoint(path, architecture_text(input_shape(), layers()),
                             model::optimizer_text(trainer.optimizer()), expected);
  std::map<std::string, const model::Tensor*> by_name;
  for (const auto& t : c.tensors) by_name[t.name] = &t;
  auto& backend = trainer.backend();
  backend.synchronize();
  auto put = [&](const backend::DeviceTensor& tensor, const std::string& name) {
    const auto& values = by_name.at(name)->values;
    backend.write(tensor, values.data(), values.size() * sizeof(float));
  };
  for (const auto& p : trainer.parameters()) {
    put(*p.value, p.spec.name);
    const auto names = model::optimizer_state_names(trainer.optimizer(), p.spec.name);
    const auto tensors = optimizer_state(p);
    for (std::size_t i = 0; i < names.size(); ++i) put(*tensors.at(i), names[i]);
  }
  StepState state = backend.read_state(trainer.state());
  state.iterations = c.iterations;
  state.learning_rate = c.learning_rate;
  backend.write_state(trainer.state(), state);
  *progress_ = std::move(c.progress);
  resume_pending_ = true;
  resume_source_ = path.string();
}

TrainingPosition Sequential::training_position() const {
  return {progress_->epoch, progress_->step, progress_->fit.steps_per_epoch()};
}

float Sequential::learning_rate() {
  require_compiled(trainer_, "learning_rate");
  return trainer_->learning_rate();
}

void Sequential::set_learning_rate(float learning_rate) {
  require_compiled(trainer_, "set_learning_rate");
  trainer_->set_learning_rate(learning_rate);
}

std::string Sequential::backend_description() const {
  return trainer_ ? trainer_->backend().description() : "(not compiled)";
}

ExecutionCounters Sequential::counters() const {
  if (!trainer_) return {};
  const auto c = trainer_->backend().counters();
  return {c.launches, c.host_waits, c.recordings, c.bytes_uploaded};
}

}  // namespace vknn
