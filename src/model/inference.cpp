// Sequential::evaluate, predict and layer_outputs: the model run forward
// over data, without training. Each uploads its data (or, evaluate and
// predict in one process, streams data past the device's memory through a
// window) and records its programs once, then only launches them.
#include <algorithm>
#include <cstdio>
#include <functional>

#include "model/batch_programs.hpp"
#include "model/byte_size_text.hpp"
#include "model/call_checks.hpp"
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

// A StreamedDataset over `x` in its own order when it does not fit the
// device beside the model (model/streamed_dataset.hpp), saying so on
// `output`; nullptr when it stays resident.
std::unique_ptr<model::StreamedDataset> stream_if_needed(Trainer& trainer, const Samples& x,
                                                         std::span<const std::uint8_t> y,
                                                         std::span<const float> weights, int batch_size,
                                                         const char* call, int verbose, std::FILE* output) {
  const model::StreamingChoice choice = model::choose_streaming(
      trainer, x, !weights.empty(), batch_size, batch_size, std::string(call) + ": the data");
  if (choice.window_batches == 0) return nullptr;
  auto streamed = std::make_unique<model::StreamedDataset>(trainer, x, y, weights, batch_size,
                                                           choice.window_batches, call);
  streamed->start_epoch(epoch_order(x.count, false, 0, 0), 0);
  if (verbose && output) {
    std::fprintf(output,
                 "Streaming the data (%lld samples, %s on the device; %s left beside the model) in "
                 "windows of %lld batch%s\n",
                 (long long)x.count, model::byte_size_text(choice.data_bytes).c_str(),
                 model::byte_size_text(choice.free_bytes).c_str(), (long long)choice.window_batches,
                 choice.window_batches == 1 ? "" : "es");
  }
  return streamed;
}

}  // namespace

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
  // Resident, or (one process) streamed through a window where the data
  // does not fit the device.
  std::unique_ptr<model::StreamedDataset> streamed =
      ranks ? nullptr : stream_if_needed(trainer, x, y, weights, batch_size, "evaluate", verbose, options.output);
  DeviceDataset resident = streamed ? DeviceDataset{} : trainer.upload(x, y, "evaluation", weights);
  DeviceDataset& data = streamed ? streamed->device() : resident;
  BatchPrograms programs;
  std::unique_ptr<model::DataParallelEvaluation> parallel;
  if (ranks) {
    parallel = std::make_unique<model::DataParallelEvaluation>(*ranks, trainer, data, batch_size);
    programs.steps = parallel->steps();
  } else {
    if (!streamed) trainer.set_order(data, epoch_order(x.count, false, 0, 0));
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
                      : run_evaluation(trainer, programs, weighted, &bar, &steps_done, 0,
                                       streamed ? std::function<void(std::int64_t)>(
                                                      [&](std::int64_t step) { streamed->before_step(step); })
                                                : nullptr);
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
  std::unique_ptr<model::StreamedDataset> streamed =
      stream_if_needed(trainer, x, {}, {}, batch_size, "predict", options.verbose, options.output);
  DeviceDataset resident = streamed ? DeviceDataset{} : trainer.upload(x, {}, "prediction");
  DeviceDataset& data = streamed ? streamed->device() : resident;
  if (!streamed) trainer.set_order(data, epoch_order(x.count, false, 0, 0));
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
      if (streamed) streamed->before_step(step);
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
  model::Workspace& ws = trainer.unsplit_workspace(count);
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

}  // namespace vknn
