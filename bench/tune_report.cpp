#include "tune_report.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "vknn/model/sequential.hpp"
#include "vulkan/context_access.hpp"
#include "vulkan/device.hpp"
#include "vulkan/tuning/autotuner.hpp"

namespace vknn::bench {
namespace {

using Clock = std::chrono::steady_clock;

// What a user's first fit and predict compile: one epoch of a single batch
// (fit records the training step, and the tuner resolves every variant
// there), then predict on it. Wall seconds.
double first_fit_and_predict(const std::shared_ptr<Context>& context, const BenchModel& tuned,
                             int batch) {
  const auto start = Clock::now();
  Sequential model(tuned.layers, tuned.name);
  std::int64_t sample = 1;
  for (int extent : model.input_shape()) sample *= extent;
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(batch * sample));
  std::vector<std::uint8_t> labels(static_cast<std::size_t>(batch));
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = std::uint8_t((i * 2654435761u) >> 24);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = std::uint8_t(int(i) % tuned.label_classes);
  const Samples x{pixels, batch, model.input_shape()};
  CompileOptions compile;
  compile.context = context;
  compile.loss = tuned.loss;
  model.compile(tuned.optimizer, compile);
  FitOptions fit;
  fit.batch_size = batch;
  fit.verbose = 0;
  model.fit(x, labels, fit);
  PredictOptions predict;
  predict.batch_size = batch;
  model.predict(x, predict);
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string milliseconds(double ns) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f ms", ns * 1e-6);
  return text;
}

std::string candidates_of(const vk::TuningDecision& d) {
  if (d.cached) return "cached";
  std::string text;
  for (const auto& t : d.times) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.2f s", t.seconds);
    if (!text.empty()) text += ", ";
    text += t.name + " " + milliseconds(t.ns) + " (" + (t.gave_up ? "given up, " : "") + seconds + ")";
  }
  if (d.adopted) text += "; another process stored its choice first";
  return text;
}

// Host seconds spent on the candidates that lost: mostly compiling their
// pipelines, which a run without tuning never does.
double losers_seconds(const vk::TuningDecision& d) {
  double seconds = 0;
  for (const auto& t : d.times) seconds += t.name == d.chosen ? 0.0 : t.seconds;
  return seconds;
}

}  // namespace

std::vector<BenchModel> models_to_tune(const std::vector<BenchModel>& models) {
  std::vector<BenchModel> tuned;
  for (const BenchModel& m : models) {
    tuned.push_back(m);
    if (m.name != "course_model") continue;
    // The exercise that removes the second Conv2D + MaxPooling2D pair
    // (examples/common/course_models.hpp).
    BenchModel one_conv = m;
    one_conv.name = "course_model_one_conv";
    one_conv.layers = {m.layers[0], m.layers[1], Flatten(), Dense(128, Activation::relu),
                       Dense(10, Activation::softmax)};
    tuned.push_back(one_conv);
  }
  return tuned;
}

int print_tuning_report(const std::vector<TuneTarget>& targets, const std::vector<BenchModel>& models,
                        int batch, std::FILE* out) {
  if (!vk::autotune_enabled()) {
    std::fprintf(out,
                 "VKNN_AUTOTUNE is off: every kernel variant is the device profile's choice and "
                 "nothing is measured. Unset it to see what the tuner chooses.\n");
    return 0;
  }
  int status = 0;
  for (const TuneTarget& target : targets) {
    vk::Device& device = vk::device_of(*target.context);
    const DeviceInfo& info = target.context->device_info();
    vk::Autotuner& tuner = device.autotuner();
    const auto& file = tuner.cache().file();
    std::fprintf(out, "%s: %s (%s %s)\n  cache: %s\n", target.label.c_str(), info.name.c_str(),
                 info.driver_name.c_str(), info.driver_info.c_str(),
                 tuner.cache().enabled() ? file.string().c_str() : "none (choices kept for this run only)");
    for (const BenchModel& model : models) {
      const std::size_t first = tuner.decisions().size();
      const std::uint32_t measured_before = tuner.measurements();
      const double seconds = first_fit_and_predict(target.context, model, batch);
      double tuning_seconds = 0, losing_seconds = 0;
      std::size_t cached = 0;
      std::fprintf(out, "\n  %s, batch %d: first fit and predict %.2f s\n", model.name.c_str(),
                   batch, seconds);
      std::fprintf(out, "  | op | shape | chosen | candidates: device time, min of the replays "
                        "(host seconds: compiling, recording, replays) |\n"
                        "  |---|---|---|---|\n");
      for (std::size_t i = first; i < tuner.decisions().size(); ++i) {
        const vk::TuningDecision& d = tuner.decisions()[i];
        tuning_seconds += d.seconds;
        losing_seconds += losers_seconds(d);
        cached += d.cached ? 1 : 0;
        std::fprintf(out, "  | %s | %s | %s | %s |\n", d.op.c_str(), d.shape.c_str(),
                     d.chosen.c_str(), candidates_of(d).c_str());
      }
      const std::size_t shapes = tuner.decisions().size() - first;
      std::fprintf(out,
                   "  %zu new op shapes (shapes met before in this run are not repeated): %zu "
                   "cached, %zu measured (%u candidates); tuning took %.2f s, %.2f s of it on the "
                   "candidates that lost\n",
                   shapes, cached, shapes - cached, tuner.measurements() - measured_before,
                   tuning_seconds, losing_seconds);
    }
    std::fprintf(out, "\n");
    if (target.context->validation_error_count() > 0) {
      std::fprintf(stderr, "vknn-bench: %llu Vulkan validation error(s) on %s\n",
                   static_cast<unsigned long long>(target.context->validation_error_count()),
                   info.name.c_str());
      status = 3;
    }
  }
  return status;
}

}  // namespace vknn::bench
