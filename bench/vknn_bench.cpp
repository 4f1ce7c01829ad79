// vknn-bench: every op of the course model forward and backward, the whole
// training step and predict, what a checkpoint costs, on every Vulkan
// device present (or the one named by --device) and on the CPU reference.
//
//   build/bench/vknn-bench                       # everything, every device
//   build/bench/vknn-bench --device 0 --benchmark_filter=conv
//   build/bench/vknn-bench --benchmark_format=json > results.json
//   build/bench/vknn-bench --quick               # tiny shapes (CI)
//
// Times: on Vulkan devices the reported time is device time from timestamp
// queries around the recorded work; wall_ms (submit + wait, host side) is a
// counter alongside. On the CPU reference both are wall time. Counters:
// FLOP/s (2 x multiply-adds) and bytes/s (tensors read + written once).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench_backups.hpp"
#include "bench_cases.hpp"
#include "model/architecture.hpp"
#include "model/trainer.hpp"
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
  std::string label;                 // "vulkan0:llvmpipe..." or "cpu-reference"
  std::shared_ptr<Context> context;  // null: the CPU reference
};

std::unique_ptr<backend::Backend> backend_for(const Target& target) {
  return target.context ? backend::make_vulkan_backend(*target.context) : backend::make_cpu_backend();
}

void set_rate_counters(benchmark::State& state, double flops, double bytes, double wall_seconds,
                       std::int64_t runs) {
  state.counters["FLOP/s"] =
      benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
  state.counters["bytes/s"] =
      benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1024);
  state.counters["wall_ms"] = runs ? wall_seconds * 1e3 / double(runs) : 0.0;
}

// Launches `program` once per iteration and waits; reports device time
// where the program has it.
void time_program(benchmark::State& state, backend::Backend& backend, backend::Program& program,
                  double flops, double bytes) {
  program.launch(true);  // warm-up: pipeline compilation, first touch
  backend.synchronize();
  double wall = 0;
  std::int64_t runs = 0;
  for (auto _ : state) {
    const auto start = Clock::now();
    program.launch(true);
    backend.synchronize();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const double device_ns = program.device_time_ns();
    state.SetIterationTime(device_ns > 0 ? device_ns * 1e-9 : seconds);
    wall += seconds;
    ++runs;
  }
  set_rate_counters(state, flops, bytes, wall, runs);
}

void bench_op(benchmark::State& state, Target target, bench::OpCase op) {
  auto backend = backend_for(target);
  bench::Tensors keep;
  auto builder = backend->build(op.name, /*timed=*/true);
  op.record(*backend, *builder, keep);
  auto program = builder->finish();
  time_program(state, *backend, *program, op.flops, op.bytes);
}

std::vector<Layer> course_model(int side, int filters) {
  return {Conv2D(filters, {3, 3}, Activation::relu, Shape{side, side, 1}), MaxPooling2D(2, 2),
          Conv2D(filters, {3, 3}, Activation::relu), MaxPooling2D(2, 2), Flatten(),
          Dense(128, Activation::relu), Dense(10, Activation::softmax)};
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

void bench_model_step(benchmark::State& state, Target target, int batch, int side, int filters,
                      StepKind kind) {
  const auto architecture = model::Architecture::build(course_model(side, filters));
  CompileOptions options;
  options.backend = target.context ? BackendKind::vulkan : BackendKind::cpu;
  options.context = target.context;
  model::Trainer trainer(architecture, Adam(), options);
  trainer.set_timed_programs(true);

  // A synthetic dataset of a few batches, resident on the device.
  const std::int64_t count = std::int64_t(batch) * 4;
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(count * side * side));
  std::vector<std::uint8_t> labels(static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = std::uint8_t((i * 2654435761u) >> 24);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = std::uint8_t(i % 10);
  Samples x{pixels, count, {side, side, 1}};
  model::DeviceDataset data = trainer.upload(x, labels, "benchmark");
  std::vector<std::uint32_t> order(static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = std::uint32_t(i);
  trainer.set_order(data, order);
  auto& backend = trainer.backend();
  model::Workspace& ws = trainer.workspace(batch);
  auto output = backend.tensor("predictions", backend::ElementType::f32, count * 10);

  // batches_per_epoch wraps the batch index on the device, so the same
  // program can be replayed forever over the 4 batches.
  const backend::DeviceTensor& step_state = kind == StepKind::train ? trainer.state() : trainer.eval_state();
  backend::StepState s = backend.read_state(step_state);
  s.batches_per_epoch = 4;
  s.learning_rate = 0.001f;
  backend.write_state(step_state, s);
  auto program = kind == StepKind::train ? trainer.record_train_step(ws, data, batch, batch)
                                         : trainer.record_predict_step(ws, data, batch, batch, *output);
  const double image_flops = forward_flops_per_image(architecture);
  const double flops = (kind == StepKind::train ? 3.0 : 1.0) * image_flops * batch;
  time_program(state, backend, *program, flops, double(batch) * side * side);
  state.counters["images/s"] =
      benchmark::Counter(double(batch), benchmark::Counter::kIsIterationInvariantRate);
}

// The device's FMA roofline: many independent vec4 multiply-add chains per
// invocation, enough workgroups for every core or compute unit. Ops are
// judged against this (an op's GFLOP/s divided by it).
void bench_fma_peak(benchmark::State& state, Target target, bool quick) {
  vk::Device& device = vk::device_of(*target.context);
  constexpr std::uint32_t kWorkgroup = 64, kChains = 16;
  const std::uint32_t groups = quick ? 16 : 1024, iterations = quick ? 64 : 4096;
  vk::Buffer out(device, std::uint64_t(groups) * kWorkgroup * 4, "fma peak output");
  vk::PipelineDesc desc;
  desc.shader = "fma_peak";
  desc.buffer_count = 1;
  desc.push_constant_bytes = sizeof(std::uint32_t);
  desc.workgroup = {kWorkgroup, 1, 1};
  desc.constants = {kChains};
  const bool timed = device.info().timestamps_supported;
  std::unique_ptr<vk::TimestampPool> timestamps;
  vk::Recording recording(device, "fma peak");
  if (timed) {
    timestamps = std::make_unique<vk::TimestampPool>(device, 2);
    recording.reset_timestamps(*timestamps);
    recording.timestamp(*timestamps, 0);
  }
  recording.dispatch(device.pipeline(desc), {&out}, iterations, {groups, 1, 1});
  if (timed) recording.timestamp(*timestamps, 1);
  recording.finish();
  vk::submit(device, recording).wait();  // warm-up
  double wall = 0;
  std::int64_t runs = 0;
  for (auto _ : state) {
    const auto start = Clock::now();
    vk::submit(device, recording).wait();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    state.SetIterationTime(timed ? timestamps->elapsed_ns(0, 1) * 1e-9 : seconds);
    wall += seconds;
    ++runs;
  }
  const double flops = double(groups) * kWorkgroup * iterations * kChains * 4 * 2;
  set_rate_counters(state, flops, double(groups) * kWorkgroup * 4, wall, runs);
}

struct Options {
  std::string device = "all";
  bool quick = false;
};

// Takes vknn's own flags out of argv before Google Benchmark sees it.
Options parse_own_flags(int& argc, char** argv) {
  Options options;
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") {
      options.quick = true;
    } else if (arg == "--device" && i + 1 < argc) {
      options.device = argv[++i];
    } else if (arg.rfind("--device=", 0) == 0) {
      options.device = arg.substr(9);
    } else if (arg == "--device") {
      throw Error("--device needs a value: all, cpu, an index from vknn-info, or part of a name");
    } else if (arg == "--help" || arg == "-h") {
      std::printf(
          "vknn-bench [--device all|cpu|INDEX|NAME] [--quick] [Google Benchmark flags]\n"
          "  --device  which targets: every Vulkan device and the CPU reference (all, default),\n"
          "            the CPU reference only (cpu), or one Vulkan device (index or name part)\n"
          "  --quick   tiny shapes and batch sizes, for a smoke run\n\n");
      argv[out++] = argv[i];
    } else {
      argv[out++] = argv[i];
    }
  }
  argc = out;
  return options;
}

std::vector<Target> targets_for(const Options& options) {
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
      targets.push_back({"vulkan" + std::to_string(d.index), context});
      const std::string key = "device" + std::to_string(d.index);
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
    const Options options = parse_own_flags(argc, argv);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    const std::vector<Target> targets = targets_for(options);
    const std::vector<int> batches = options.quick ? std::vector<int>{4} : std::vector<int>{32, 256};
    const int filters = options.quick ? 8 : 64;
    const int side = options.quick ? 10 : 28;
    for (const Target& target : targets) {
      if (target.context) {
        benchmark::RegisterBenchmark(("fma_peak/" + target.label).c_str(), bench_fma_peak, target,
                                     options.quick)
            ->UseManualTime()->Unit(benchmark::kMillisecond);
      }
      // The CPU reference is scalar loops: one batch size is enough to
      // compare against, and keeps the full run short.
      const std::vector<int> target_batches =
          target.context || options.quick ? batches : std::vector<int>{32};
      for (int batch : target_batches) {
        const std::string suffix = "/" + target.label + "/batch:" + std::to_string(batch);
        for (const auto& op : bench::course_model_ops(batch, filters, options.quick)) {
          benchmark::RegisterBenchmark((op.name + suffix).c_str(), bench_op, target, op)
              ->UseManualTime()->Unit(benchmark::kMicrosecond);
        }
        benchmark::RegisterBenchmark(("train_step/course_model" + suffix).c_str(), bench_model_step,
                                     target, batch, side, filters, StepKind::train)
            ->UseManualTime()->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(("predict/course_model" + suffix).c_str(), bench_model_step,
                                     target, batch, side, filters, StepKind::predict)
            ->UseManualTime()->Unit(benchmark::kMillisecond);
      }
    }
    // Backups: the course model saved and loaded, and a fit of a few
    // hundred steps with a backup every 100 steps against none (3 runs each;
    // the median is the figure to quote on a shared machine).
    const int fit_steps = options.quick ? 6 : 300, backup_every = options.quick ? 2 : 100;
    for (const Target& target : targets) {
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
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vknn-bench: %s\n", e.what());
    return 1;
  }
}
