// vknn-startup: how long a program takes from its start to the end of its
// first training step, and where that time goes (issue 22). It does what a
// user's program does, through the public API only: create a Context,
// compile one of the bench models, make its data, fit one step.
//
// It prints one line per phase, "mark <phase> <unix time in ns>", taken as
// the phase ends; bench/startup_time.py starts it, knows when it started it,
// and turns the marks into the phases' durations (empty vs warm tuning
// cache, interleaved rounds). Run alone it also prints the durations from
// main's entry, which leaves out the dynamic loading before main.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench_models.hpp"
#include "vknn/device.hpp"
#include "vknn/error.hpp"
#include "vknn/model/callbacks.hpp"
#include "vknn/model/sequential.hpp"

namespace {

using Clock = std::chrono::system_clock;  // comparable with the parent's clock

struct Marks {
  Clock::time_point main_entered = Clock::now();
  Clock::time_point last = main_entered;
  std::vector<std::pair<std::string, double>> phases;  // seconds

  void mark(const char* phase) {
    const auto now = Clock::now();
    std::printf("mark %s %lld\n", phase,
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count()));
    phases.emplace_back(phase, std::chrono::duration<double>(now - last).count());
    last = now;
  }
};

// Marks the end of fit's preparation (the dataset uploaded, every step
// program recorded: pipelines compiled, kernel variants tuned) and stops
// fit after its first step, which fit then waits for before returning.
class FirstStepOnly : public vknn::Callback {
 public:
  explicit FirstStepOnly(Marks& marks) : marks_(marks) {}
  void on_train_begin(vknn::Sequential&) override { marks_.mark("fit_prepared"); }
  void on_train_batch_end(vknn::Sequential& model, int) override { model.stop_training = true; }

 private:
  Marks& marks_;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "vknn-startup: %s\n(vknn-startup --help tells the flags)\n", message.c_str());
  std::exit(2);
}

int parse_batch(const std::string& text) {
  char* end = nullptr;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < 1 || value > 4096) {
    usage_error("--batch needs a whole number from 1 to 4096, not '" + text + "'");
  }
  return int(value);
}

}  // namespace

int main(int argc, char** argv) {
  Marks marks;
  std::string model_name = "course";
  int batch = 32;
  // CLI11 reads the command line, as in vknn-bench and the examples; the
  // batch's range and the messages are ours.
  CLI::App app{"vknn-startup"};
  app.set_help_flag("-h,--help");
  std::string batch_text;
  app.add_option("--model", model_name);
  app.add_option("--batch", batch_text);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::printf(
        "vknn-startup [--model course|cats_vs_dogs|horses_or_humans] [--batch N]\n"
        "  Times one program's start: Context, compile, data, fit's preparation (upload,\n"
        "  recording, pipelines, tuning) and the first training step. Prints\n"
        "  \"mark <phase> <unix ns>\" lines as each ends, then each phase's seconds.\n"
        "  The tuning and pipeline caches are VKNN_CACHE_DIR's (else ~/.cache/vknn):\n"
        "  bench/startup_time.py runs it with an empty and with a warm cache.\n");
    return 0;
  } catch (const CLI::ArgumentMismatch& e) {
    usage_error(std::string(e.what()) + " (--model and --batch each need a value)");
  } catch (const CLI::ParseError& e) {
    usage_error(e.what());
  }
  if (app.count("--batch")) batch = parse_batch(batch_text);
  try {
    const vknn::bench::BenchModel spec = vknn::bench::bench_model_named(model_name, false);
    marks.mark("main");  // the flags parsed: nothing of vknn's has run yet

    auto context = std::make_shared<vknn::Context>();
    marks.mark("context");  // instance, device, pipeline-cache file read

    vknn::Sequential model(spec.layers, spec.name);
    vknn::CompileOptions compile;
    compile.loss = spec.loss;
    compile.context = context;
    model.compile(spec.optimizer, compile);
    marks.mark("compile");  // parameters allocated and initialised on the device

    // Synthetic pixels and labels, one batch (what a program's data loading
    // would do; not vknn's time, kept apart).
    const vknn::Shape shape = model.input_shape();
    std::int64_t sample = 1;
    for (int extent : shape) sample *= extent;
    std::vector<std::uint8_t> pixels(std::size_t(sample * batch));
    for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = std::uint8_t((i * 2654435761u) >> 24);
    std::vector<std::uint8_t> labels(static_cast<std::size_t>(batch));
    for (int i = 0; i < batch; ++i) labels[std::size_t(i)] = std::uint8_t(i % spec.label_classes);
    vknn::Samples x;
    x.pixels = pixels;
    x.count = batch;
    x.shape = shape;
    marks.mark("data");

    vknn::FitOptions fit;
    fit.batch_size = batch;
    fit.verbose = 0;
    fit.callbacks.push_back(std::make_shared<FirstStepOnly>(marks));
    model.fit(x, labels, fit);
    marks.mark("first_step");  // the step ran to its end on the device
  } catch (const vknn::Error& e) {
    std::fprintf(stderr, "vknn-startup: error: %s\n", e.what());
    return 1;
  }
  double total = 0.0;
  for (const auto& [phase, seconds] : marks.phases) {
    total += seconds;
    std::printf("%-12s %8.3f s\n", phase.c_str(), seconds);
  }
  std::printf("%-12s %8.3f s (from main's entry)\n", "total", total);
  return 0;
}
