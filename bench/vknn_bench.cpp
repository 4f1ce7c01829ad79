// vknn-bench: every op of the course model forward and backward, the whole
// training step and predict, what a checkpoint costs, on every Vulkan
// device present (or the one named by --device) and on the CPU reference.
//
//   build/bench/vknn-bench                       # everything, every device
//   build/bench/vknn-bench --device 0 --benchmark_filter=conv
//   build/bench/vknn-bench --benchmark_format=json > results.json
//   build/bench/vknn-bench --quick               # tiny shapes (CI)
//   build/bench/vknn-bench --tune                # the autotuner's choices per device
//   build/bench/vknn-bench --data data/fashion-mnist --iterations 40 \
//       --benchmark_filter='^train_step/course_model/vulkan0/batch:32$'
//
// Times: on Vulkan devices the reported time is device time from timestamp
// queries around the recorded work; wall_ms (submit + wait, host side) is a
// counter alongside, and cpu_ms (CPU time of the whole process per
// iteration: on lavapipe the device's work itself, which other programs on a
// shared machine do not inflate). On the CPU reference both are wall time. Counters:
// FLOP/s (2 x multiply-adds) and bytes/s (tensors read + written once);
// on Vulkan devices also of_fma_peak and of_bandwidth_peak (the op's rates
// as fractions of the device's two rooflines, measured at startup, best of
// five runs each) and of_roofline, the larger of the two: the fraction of
// what the roofline model allows at the op's arithmetic intensity.
// train_step and predict also count the dispatches and pipeline barriers
// recorded in their program (dispatches, barriers).
//
// --model course,cats_vs_dogs,horses_or_humans (or all): whose train_step
// and predict to time (bench/bench_models.hpp); the course model's ops and
// checkpoint cases come with the course model, the default. --batch N,M:
// the batch sizes instead of 32 and 256. A batch a model cannot be planned
// at on a device (a tensor over its maxStorageBufferRange, say) is an error
// of that benchmark alone, with the library's message.
//
// --data DIR: train_step and predict run on the Fashion-MNIST training
// images in DIR (IDX files), in a shuffled order, instead of four
// synthetic batches replayed. --iterations N: they time exactly N steps
// (after three warm-up steps) instead of as many as Google Benchmark
// chooses, so a comparison can time the same number of steps each round.
#include <benchmark/benchmark.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench_backups.hpp"
#include "bench_cases.hpp"
#include "bench_flags.hpp"
#include "bench_models.hpp"
#include "model/architecture.hpp"
#include "model/trainer.hpp"
#include "rooflines.hpp"
#include "tune_report.hpp"
#include "vknn/data/idx.hpp"
#include "vknn/device.hpp"
#include "vknn/error.hpp"
#include "vknn/model/sequential.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "vulkan/context_access.hpp"
#include "vulkan/device.hpp"
#include "vulkan/pipeline.hpp"

namespace {

using namespace vknn;
using Clock = std::chrono::steady_clock;

struct Target {
  std::string label;                 // "vulkan0" or "cpu"
  std::shared_ptr<Context> context;  // null: the CPU reference
  bench::Rooflines rooflines;        // Vulkan devices only
};

// Real training images for the step benchmarks (--data), loaded once.
using TrainingSet = std::shared_ptr<const data::LabeledImages>;

std::unique_ptr<backend::Backend> backend_for(const Target& target) {
  return target.context ? backend::make_vulkan_backend(*target.context) : backend::make_cpu_backend();
}

// What a timed run measured: the seconds each iteration was charged
// (device time where there is one) and the host's wall seconds.
struct Timing {
  double seconds = 0;
  double wall_seconds = 0;
  double cpu_seconds = 0;  // this process, every thread (a CPU driver's workers too)
  std::int64_t runs = 0;
};

// CPU time of the whole process. On a CPU device (lavapipe) the device's
// work runs on the process's own threads, so this counts the work done,
// however much other programs on a shared machine slow the wall clock.
double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

// Rates from the iterations' own times, so the roofline fractions use the
// same seconds as FLOP/s and bytes/s.
void set_rate_counters(benchmark::State& state, const Target& target, double flops, double bytes,
                       const Timing& t) {
  const double flop_rate = t.seconds > 0 ? flops * double(t.runs) / t.seconds : 0.0;
  const double byte_rate = t.seconds > 0 ? bytes * double(t.runs) / t.seconds : 0.0;
  state.counters["FLOP/s"] = benchmark::Counter(flop_rate, benchmark::Counter::kDefaults,
                                                benchmark::Counter::kIs1000);
  state.counters["bytes/s"] = benchmark::Counter(byte_rate, benchmark::Counter::kDefaults,
                                                 benchmark::Counter::kIs1024);
  state.counters["wall_ms"] = t.runs ? t.wall_seconds * 1e3 / double(t.runs) : 0.0;
  state.counters["cpu_ms"] = t.runs ? t.cpu_seconds * 1e3 / double(t.runs) : 0.0;
  const bench::Rooflines& r = target.rooflines;
  if (r.flops_per_second > 0 && r.bytes_per_second > 0) {
    const double of_fma = flop_rate / r.flops_per_second, of_bandwidth = byte_rate / r.bytes_per_second;
    state.counters["of_fma_peak"] = of_fma;
    state.counters["of_bandwidth_peak"] = of_bandwidth;
    state.counters["of_roofline"] = std::max(of_fma, of_bandwidth);
  }
}

// Launches `program` once per iteration and waits; charges device time
// where the program has it.
Timing time_program(benchmark::State& state, backend::Backend& backend, backend::Program& program,
                    int warm_up) {
  for (int i = 0; i < warm_up; ++i) {  // pipeline compilation, first touch
    program.launch(true);
    backend.synchronize();
  }
  Timing t;
  for (auto _ : state) {
    const double cpu_start = process_cpu_seconds();
    const auto start = Clock::now();
    program.launch(true);
    backend.synchronize();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    t.cpu_seconds += process_cpu_seconds() - cpu_start;
    const double device_ns = program.device_time_ns();
    const double charged = device_ns > 0 ? device_ns * 1e-9 : seconds;
    state.SetIterationTime(charged);
    t.seconds += charged;
    t.wall_seconds += seconds;
    ++t.runs;
  }
  return t;
}

void bench_op(benchmark::State& state, Target target, bench::OpCase op) {
  auto backend = backend_for(target);
  bench::Tensors keep;
  std::unique_ptr<backend::Program> program;
  try {
    auto builder = backend->build(op.name, /*timed=*/true);
    op.record(*backend, *builder, keep);
    program = builder->finish();
  } catch (const std::exception& e) {
    // An op the device cannot hold at this batch (horses or humans' conv1
    // map at batch 32 is over lavapipe's buffer range unless fused) fails
    // this benchmark, not the run.
    state.SkipWithError(e.what());
    for (auto _ : state) {}
    return;
  }
  const Timing t = time_program(state, *backend, *program, 1);
  set_rate_counters(state, target, op.flops, op.bytes, t);
}

// FLOPs of one image through the model: the forward layers' multiply-adds
// x2; a training step is about 3x that (forward, input and kernel grads).
double forward_flops_per_image(const model::Architecture& a) {
  double flops = 0;
  for (const auto& layer : a.layers()) {
    if (auto g = layer.conv2d()) flops += double(g->forward_flops());
    if (auto g = layer.dense()) flops += double(g->forward_flops());
  }
  return flops;
}

enum class StepKind { train, predict };

// The samples a step benchmark replays: the real training set in a
// shuffled order (--data, the course model only), or up to four synthetic
// batches of the model's input shape (uint8 pixels, labels cycling through
// its classes): as many as fit 128 MiB, the storage buffer range of lavapipe
// and of many GPUs, so that the uint8 dataset is one buffer (the
// horses-or-humans model's batch of 128 is 34.6 MB: three batches).
struct StepData {
  std::vector<std::uint8_t> synthetic_pixels, synthetic_labels;
  Samples x;
  std::span<const std::uint8_t> y;
  std::vector<std::uint32_t> order;
};

StepData step_data(const TrainingSet& training, int batch, const Shape& input, int label_classes) {
  StepData d;
  if (training) {
    d.x = Samples::of(training->images);
    d.y = training->labels;
  } else {
    constexpr std::int64_t kMaxDatasetBytes = 128ll << 20;
    const std::int64_t batch_bytes = std::int64_t(batch) * model::element_count(input);
    const std::int64_t count = std::int64_t(batch) * std::clamp<std::int64_t>(kMaxDatasetBytes / batch_bytes, 1, 4);
    d.synthetic_pixels.resize(static_cast<std::size_t>(count * model::element_count(input)));
    d.synthetic_labels.resize(static_cast<std::size_t>(count));
    for (std::size_t i = 0; i < d.synthetic_pixels.size(); ++i)
      d.synthetic_pixels[i] = std::uint8_t((i * 2654435761u) >> 24);
    for (std::size_t i = 0; i < d.synthetic_labels.size(); ++i) d.synthetic_labels[i] = std::uint8_t(i % std::size_t(label_classes));
    d.x = Samples{d.synthetic_pixels, count, input};
    d.y = d.synthetic_labels;
  }
  d.order.resize(static_cast<std::size_t>(d.x.count));
  for (std::size_t i = 0; i < d.order.size(); ++i) d.order[i] = std::uint32_t(i);
  // As fit shuffles: batches are not in the file's class-interleaved order.
  if (training) std::shuffle(d.order.begin(), d.order.end(), std::mt19937{2026});
  return d;
}

// A model's training step or predict program, recorded once on a target as
// fit and predict record it, over the step data.
struct ModelStep {
  ModelStep(const Target& target, int batch, const bench::BenchModel& m, StepKind kind,
            const TrainingSet& training)
      : architecture(model::Architecture::build(m.layers)),
        d(step_data(training, batch, architecture.input_shape(), m.label_classes)) {
    CompileOptions options;
    options.backend = target.context ? BackendKind::vulkan : BackendKind::cpu;
    options.context = target.context;
    options.loss = m.loss;
    trainer = std::make_unique<model::Trainer>(architecture, m.optimizer, options);
    trainer->set_timed_programs(true);
    data = trainer->upload(d.x, d.y, "benchmark");
    trainer->set_order(data, d.order);
    auto& backend = trainer->backend();
    model::Workspace& ws = trainer->workspace(batch);
    output = backend.tensor("predictions", backend::ElementType::f32,
                            d.x.count * model::element_count(architecture.output_shape()));
    // batches_per_epoch wraps the batch index on the device, so the same
    // program can be replayed forever over the whole batches of the data.
    const backend::DeviceTensor& step_state = kind == StepKind::train ? trainer->state() : trainer->eval_state();
    backend::StepState s = backend.read_state(step_state);
    s.batches_per_epoch = std::uint32_t(d.x.count / batch);
    s.learning_rate = 0.001f;
    backend.write_state(step_state, s);
    // Commands recorded into the step's program, from the device's counts
    // before and after recording it.
    const vk::DeviceCounters before =
        target.context ? vk::device_of(*target.context).counters() : vk::DeviceCounters{};
    program = kind == StepKind::train ? trainer->record_train_step(ws, data, batch, batch)
                                      : trainer->record_predict_step(ws, data, batch, batch, *output);
    if (target.context) {
      const vk::DeviceCounters& after = vk::device_of(*target.context).counters();
      dispatches = after.dispatches_recorded - before.dispatches_recorded;
      barriers = after.barriers_recorded - before.barriers_recorded;
    }
  }

  const model::Architecture architecture;  // the trainer keeps a reference
  const StepData d;
  std::unique_ptr<model::Trainer> trainer;
  model::DeviceDataset data;
  std::unique_ptr<backend::DeviceTensor> output;
  std::unique_ptr<backend::Program> program;
  std::uint64_t dispatches = 0, barriers = 0;
};

void bench_model_step(benchmark::State& state, Target target, int batch, bench::BenchModel m,
                      StepKind kind, TrainingSet training) {
  std::unique_ptr<ModelStep> recorded;
  try {
    recorded = std::make_unique<ModelStep>(target, batch, m, kind, training);
  } catch (const std::exception& e) {
    // A model the device cannot hold at this batch (a buffer over its
    // range, say) fails this benchmark, not the run.
    state.SkipWithError(e.what());
    for (auto _ : state) {}
    return;
  }
  ModelStep& step = *recorded;
  if (target.context) {
    state.counters["dispatches"] = double(step.dispatches);
    state.counters["barriers"] = double(step.barriers);
  }
  const double image_flops = forward_flops_per_image(step.architecture);
  const double flops = (kind == StepKind::train ? 3.0 : 1.0) * image_flops * batch;
  const Timing t = time_program(state, step.trainer->backend(), *step.program, 3);
  set_rate_counters(state, target, flops,
                    double(batch) * double(model::element_count(step.architecture.input_shape())), t);
  state.counters["images/s"] =
      benchmark::Counter(t.seconds > 0 ? double(batch) * double(t.runs) / t.seconds : 0.0);
}

// --profile: each dispatch's device time inside the training step and
// predict (timestamps after every dispatch of the real program), median
// over `launches` launches, as Markdown tables. Attributes the step's time
// to its dispatches where vknn-bench's ops, timed alone, cannot.
void profile_steps(const std::vector<Target>& targets, const std::vector<int>& batches,
                   const std::vector<bench::BenchModel>& models, const TrainingSet& training,
                   int launches) {
  for (const bench::BenchModel& m : models)
  for (const Target& target : targets) {
    if (!target.context) continue;
    vk::Device& device = vk::device_of(*target.context);
    if (!device.info().timestamps_supported) {
      std::printf("%s: no timestamp queries; nothing to profile\n", target.label.c_str());
      continue;
    }
    for (int batch : batches) {
      for (StepKind kind : {StepKind::train, StepKind::predict}) {
        vk::DispatchProfiler profiler(device, 256);
        device.set_dispatch_profiler(&profiler);
        std::unique_ptr<ModelStep> step;
        try {
          step = std::make_unique<ModelStep>(target, batch, m, kind,
                                             m.name == "course_model" ? training : TrainingSet{});
        } catch (...) {
          device.set_dispatch_profiler(nullptr);
          throw;
        }
        device.set_dispatch_profiler(nullptr);
        auto& backend = step->trainer->backend();
        std::vector<std::vector<double>> per_dispatch;
        std::vector<double> totals;
        for (int i = 0; i < 3 + launches; ++i) {  // 3 warm-up launches
          step->program->launch(true);
          backend.synchronize();
          if (i < 3) continue;
          const auto timings = profiler.timings();
          per_dispatch.resize(timings.size());
          for (std::size_t k = 0; k < timings.size(); ++k) per_dispatch[k].push_back(timings[k].ns);
          totals.push_back(step->program->device_time_ns());
        }
        const auto labels = profiler.timings();
        auto median = [](std::vector<double> v) {
          std::sort(v.begin(), v.end());
          return v.empty() ? 0.0 : (v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]));
        };
        double sum = 0;
        std::vector<double> medians;
        for (const auto& v : per_dispatch) {
          medians.push_back(median(v));
          sum += medians.back();
        }
        std::printf("\n%s, %s, %s, batch %d: %zu dispatches, %d launches; step device time median %.3f ms, "
                    "dispatch medians sum to %.3f ms\n\n",
                    m.name.c_str(), target.label.c_str(), kind == StepKind::train ? "training step" : "predict", batch,
                    labels.size(), launches, median(totals) * 1e-6, sum * 1e-6);
        std::printf("| # | dispatch (shader [groups]) | ms, median (min-max) | share |\n|---|---|---|---|\n");
        for (std::size_t k = 0; k < labels.size(); ++k) {
          const auto [lo, hi] = std::minmax_element(per_dispatch[k].begin(), per_dispatch[k].end());
          std::printf("| %zu | %s | %.3f (%.3f-%.3f) | %.1f%% |\n", k + 1, labels[k].label.c_str(),
                      medians[k] * 1e-6, *lo * 1e-6, *hi * 1e-6, sum > 0 ? 100.0 * medians[k] / sum : 0.0);
        }
      }
    }
  }
}

// The two rooflines as benchmarks of their own (see rooflines.hpp).
void time_peak(benchmark::State& state, const Target& target, bench::PeakKernel& kernel) {
  kernel.run();  // warm-up: pipeline compilation, first touch
  Timing t;
  for (auto _ : state) {
    double wall = 0;
    const double cpu_start = process_cpu_seconds();
    const double seconds = kernel.run(&wall);
    t.cpu_seconds += process_cpu_seconds() - cpu_start;
    state.SetIterationTime(seconds);
    t.seconds += seconds;
    t.wall_seconds += wall;
    ++t.runs;
  }
  set_rate_counters(state, target, kernel.flops(), kernel.bytes(), t);
}

void bench_fma_peak(benchmark::State& state, Target target, bool quick) {
  bench::PeakKernel kernel = bench::PeakKernel::fma(vk::device_of(*target.context), quick);
  time_peak(state, target, kernel);
}

void bench_bandwidth_peak(benchmark::State& state, Target target, std::uint32_t mebibytes) {
  bench::PeakKernel kernel = bench::PeakKernel::copy(vk::device_of(*target.context), mebibytes);
  time_peak(state, target, kernel);
}

std::vector<Target> targets_for(const bench::BenchOptions& options) {
  std::vector<Target> targets;
  const bool want_cpu = options.device == "all" || options.device == "cpu";
  if (options.device != "cpu") {
    const auto devices = list_devices();
    for (const auto& d : devices) {
      if (options.device != "all") {
        ContextOptions pick;
        pick.device = options.device;
        if (choose_device_index(devices, pick) != d.index) continue;
      }
      ContextOptions context_options;
      context_options.device = std::to_string(d.index);
      auto context = std::make_shared<Context>(context_options);
      const bench::Rooflines rooflines = options.rooflines
                                             ? bench::measure_rooflines(vk::device_of(*context), options.quick)
                                             : bench::Rooflines{};
      targets.push_back({"vulkan" + std::to_string(d.index), context, rooflines});
      const std::string key = "device" + std::to_string(d.index);
      if (options.rooflines) {
        benchmark::AddCustomContext(key + "_fma_peak_GFLOPs", std::to_string(rooflines.flops_per_second * 1e-9));
        benchmark::AddCustomContext(key + "_bandwidth_peak_GBs", std::to_string(rooflines.bytes_per_second * 1e-9));
      }
      benchmark::AddCustomContext(key + "_name", d.name);
      benchmark::AddCustomContext(key + "_vendor", d.vendor);
      benchmark::AddCustomContext(key + "_type", to_string(d.type));
      benchmark::AddCustomContext(key + "_driver", d.driver_name + " " + d.driver_info);
    }
  }
  if (want_cpu) targets.push_back({"cpu", nullptr});
  return targets;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const bench::BenchCommandLine command_line = bench::parse_bench_flags(argc, argv);
    const bench::BenchOptions& options = command_line.options;
    if (command_line.help) std::fputs(bench::bench_usage(), stdout);
    // Google Benchmark sees only what is not ours: argv[0] and its own flags.
    std::vector<char*> rest = {argv[0]};
    for (const std::string& arg : command_line.passthrough) rest.push_back(const_cast<char*>(arg.c_str()));
    int rest_count = static_cast<int>(rest.size());
    benchmark::Initialize(&rest_count, rest.data());
    if (benchmark::ReportUnrecognizedArguments(rest_count, rest.data())) return 2;
    const std::vector<Target> targets = targets_for(options);
    TrainingSet training;
    if (!options.data.empty()) {
      if (options.quick) throw Error("--data runs the course model at 28x28; it does not go with --quick");
      const std::filesystem::path dir = options.data;
      training = std::make_shared<const data::LabeledImages>(data::load_idx_pair(
          dir / "train-images-idx3-ubyte", dir / "train-labels-idx1-ubyte", 10));
      benchmark::AddCustomContext("step_data", options.data + " (training images, shuffled)");
    } else {
      benchmark::AddCustomContext("step_data", "up to 4 synthetic batches (128 MiB at most), replayed");
    }
    const std::vector<int> batches = !options.batches.empty() ? options.batches
                                     : options.quick          ? std::vector<int>{4}
                                                              : std::vector<int>{32, 256};
    const int filters = options.quick ? 8 : 64;
    const int side = options.quick ? 10 : 28;
    std::vector<bench::BenchModel> models;
    for (const auto& m : options.models) models.push_back(bench::bench_model_named(m, options.quick));
    if (options.profile > 0) {
      profile_steps(targets, batches, models, training, options.profile);
      return 0;
    }
    if (options.tune) {
      std::vector<bench::TuneTarget> devices;
      for (const Target& target : targets) {
        if (target.context) devices.push_back({target.label, target.context});
      }
      return bench::print_tuning_report(devices, bench::models_to_tune(models), batches.front());
    }
    for (const Target& target : targets) {
      if (target.context) {
        benchmark::RegisterBenchmark(("fma_peak/" + target.label).c_str(), bench_fma_peak, target,
                                     options.quick)
            ->UseManualTime()->Unit(benchmark::kMillisecond);
        std::vector<std::uint32_t> sizes(std::begin(bench::kCopyMebibytes), std::end(bench::kCopyMebibytes));
        if (options.quick) sizes = {bench::kQuickCopyMebibytes};
        for (std::uint32_t mib : sizes) {
          benchmark::RegisterBenchmark(("bandwidth_peak/" + target.label + "/MiB:" + std::to_string(mib)).c_str(),
                                       bench_bandwidth_peak, target, mib)
              ->UseManualTime()->Unit(benchmark::kMillisecond);
        }
      }
      // The CPU reference is scalar loops: one batch size is enough to
      // compare against, and keeps the full run short.
      const std::vector<int> target_batches =
          target.context || options.quick ? batches : std::vector<int>{32};
      for (int batch : target_batches) {
        const std::string suffix = "/" + target.label + "/batch:" + std::to_string(batch);
        for (const bench::BenchModel& m : models) {
          const bool course = m.name == "course_model";
          // Scalar loops take minutes per step of the bigger models: only
          // when the CPU reference is asked for by name.
          if (!course && !target.context && options.device != "cpu") continue;
          if (course) {
            for (const auto& op : bench::course_model_ops(batch, filters, options.quick)) {
              benchmark::RegisterBenchmark((op.name + suffix).c_str(), bench_op, target, op)
                  ->UseManualTime()->Unit(benchmark::kMicrosecond);
            }
          } else if (target.context && !options.quick) {
            // Every op of the bigger models' step (on the Vulkan devices:
            // the scalar loops would take minutes).
            const Conv2D& conv1 = std::get<Conv2D>(m.layers.front());
            std::vector<int> filters;
            int dense_units = 0;
            for (const Layer& layer : m.layers) {
              if (const auto* conv = std::get_if<Conv2D>(&layer)) filters.push_back(conv->filters);
              if (const auto* dense = std::get_if<Dense>(&layer); dense && dense_units == 0) {
                dense_units = dense->units;
              }
            }
            for (const auto& op : bench::picture_model_ops(m.name, batch, conv1.input_shape->at(0),
                                                           filters, dense_units)) {
              benchmark::RegisterBenchmark((op.name + suffix).c_str(), bench_op, target, op)
                  ->UseManualTime()->Unit(benchmark::kMillisecond);
            }
          }
          for (StepKind kind : {StepKind::train, StepKind::predict}) {
            const std::string name =
                (kind == StepKind::train ? "train_step/" : "predict/") + m.name + suffix;
            auto* b = benchmark::RegisterBenchmark(name.c_str(), bench_model_step, target, batch, m,
                                                   kind, course ? training : TrainingSet{});
            b->UseManualTime()->Unit(benchmark::kMillisecond);
            if (options.iterations > 0) b->Iterations(options.iterations);
          }
        }
      }
    }
    // Backups: the course model saved and loaded, and a fit of a few
    // hundred steps with a backup every 100 steps against none (3 runs each;
    // the median is the figure to quote on a shared machine).
    const int fit_steps = options.quick ? 6 : 300, backup_every = options.quick ? 2 : 100;
    const bool with_course =
        std::any_of(models.begin(), models.end(), [](const auto& m) { return m.name == "course_model"; });
    for (const Target& target : targets) {
      if (!with_course) break;
      const std::string suffix = "/" + target.label;
      benchmark::RegisterBenchmark(("checkpoint_save/course_model" + suffix).c_str(),
                                   bench::bench_checkpoint_save, target.context, side, filters)
          ->Unit(benchmark::kMillisecond)->UseRealTime();
      benchmark::RegisterBenchmark(("checkpoint_load/course_model" + suffix).c_str(),
                                   bench::bench_checkpoint_load, target.context, side, filters)
          ->Unit(benchmark::kMillisecond)->UseRealTime();
      if (!target.context && !options.quick) continue;  // scalar loops: minutes per fit
      for (int every : {0, backup_every}) {
        benchmark::RegisterBenchmark(("fit_with_backups/course_model" + suffix + "/steps:" +
                                      std::to_string(fit_steps) + "/backup_every:" + std::to_string(every))
                                         .c_str(),
                                     bench::bench_fit_with_backups, target.context, side, filters,
                                     fit_steps, every)
            ->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1)->Repetitions(3);
      }
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    // With VKNN_VALIDATION on (as in CI), a validation error fails the run.
    for (const Target& target : targets) {
      if (target.context && target.context->validation_error_count() > 0) {
        std::fprintf(stderr, "vknn-bench: %llu Vulkan validation error(s) on %s\n",
                     static_cast<unsigned long long>(target.context->validation_error_count()),
                     target.context->device_info().name.c_str());
        return 3;
      }
    }
    return 0;
  } catch (const bench::BenchUsageError& e) {
    std::fprintf(stderr, "vknn-bench: %s (see --help)\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vknn-bench: %s\n", e.what());
    return 1;
  }
}
