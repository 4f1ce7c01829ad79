// vknn-bench --tune: what the autotuner chooses on each device. Compiles
// the --model models (the course model, with its one-convolution exercise
// variant, by default) as a user's first fit and predict would, on each
// Vulkan device, and prints per device
// the tuner's choice for every op and shape it was asked about, with each
// candidate's measured device time ("cached" where the choice came from the
// cache file), and the seconds tuning took.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bench_models.hpp"
#include "vknn/device.hpp"

namespace vknn::bench {

struct TuneTarget {
  std::string label;  // "vulkan0"
  std::shared_ptr<Context> context;
};

// The models --tune compiles for the --model list: the course model comes
// with its one-convolution exercise (same side and filters).
std::vector<BenchModel> models_to_tune(const std::vector<BenchModel>& models);

// `models` at `batch`. Returns the process exit status: 0, or 3 after
// validation errors.
int print_tuning_report(const std::vector<TuneTarget>& targets, const std::vector<BenchModel>& models,
                        int batch, std::FILE* out = stdout);

}  // namespace vknn::bench
