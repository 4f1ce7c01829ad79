#include "bench_backups.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "vknn/model/sequential.hpp"

namespace vknn::bench {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::vector<Layer> course_model(int side, int filters) {
  return {Conv2D(filters, {3, 3}, Activation::relu, Shape{side, side, 1}), MaxPooling2D(2, 2),
          Conv2D(filters, {3, 3}, Activation::relu), MaxPooling2D(2, 2), Flatten(),
          Dense(128, Activation::relu), Dense(10, Activation::softmax)};
}

Sequential compiled_course_model(const std::shared_ptr<Context>& context, int side, int filters) {
  Sequential model(course_model(side, filters));
  CompileOptions options;
  options.backend = context ? BackendKind::vulkan : BackendKind::cpu;
  options.context = context;
  model.compile(Adam(), options);
  return model;
}

// A folder of its own under the temporary folder, removed at the end.
struct ScratchDir {
  fs::path path = fs::temp_directory_path() / ("vknn_bench_" + std::to_string(::getpid()));
  ScratchDir() { fs::create_directories(path); }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

void bench_checkpoint_save(benchmark::State& state, std::shared_ptr<Context> context, int side,
                           int filters) {
  Sequential model = compiled_course_model(context, side, filters);
  ScratchDir dir;
  const fs::path file = dir.path / "checkpoint.safetensors";
  for (auto _ : state) model.save_checkpoint(file);
  state.counters["params"] = double(model.count_params());
  state.counters["file_MB"] = double(fs::file_size(file)) / 1e6;
}

void bench_checkpoint_load(benchmark::State& state, std::shared_ptr<Context> context, int side,
                           int filters) {
  Sequential model = compiled_course_model(context, side, filters);
  ScratchDir dir;
  const fs::path file = dir.path / "checkpoint.safetensors";
  model.save_checkpoint(file);
  for (auto _ : state) model.load_checkpoint(file);
}

void bench_fit_with_backups(benchmark::State& state, std::shared_ptr<Context> context, int side,
                            int filters, int steps, int backup_every) {
  constexpr int kBatch = 32;
  const std::int64_t count = std::int64_t(steps) * kBatch;
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(count * side * side));
  std::vector<std::uint8_t> labels(static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = std::uint8_t((i * 2654435761u) >> 24);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = std::uint8_t(i % 10);
  const Samples x{pixels, count, {side, side, 1}};
  ScratchDir dir;
  double fit_seconds = 0;
  int backups = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Sequential model = compiled_course_model(context, side, filters);
    FitOptions fit;
    fit.epochs = 1;
    fit.batch_size = kBatch;
    fit.verbose = 0;
    std::shared_ptr<BackupAndRestore> backup;
    if (backup_every > 0) {
      backup = std::make_shared<BackupAndRestore>(dir.path / "backup", SaveFreq::every_steps(backup_every));
      fit.callbacks.push_back(backup);
    }
    state.ResumeTiming();
    const auto start = Clock::now();
    model.fit(x, labels, fit);  // uploads and records once, then the steps
    fit_seconds += std::chrono::duration<double>(Clock::now() - start).count();
    if (backup) backups += backup->backups_written();
  }
  state.counters["steps/s"] = double(steps) * double(state.iterations()) / fit_seconds;
  state.counters["backups"] = double(backups) / double(state.iterations());
}

}  // namespace vknn::bench
