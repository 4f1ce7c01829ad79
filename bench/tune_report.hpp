// vknn-bench --tune: what the autotuner chooses on each device. Compiles
// the course model (and its one-convolution exercise variant) as a user's
// first fit and predict would, on each Vulkan device, and prints per device
// the tuner's choice for every op and shape it was asked about, with each
// candidate's measured device time ("cached" where the choice came from the
// cache file), and the seconds tuning took.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "vknn/device.hpp"

namespace vknn::bench {

struct TuneTarget {
  std::string label;  // "vulkan0"
  std::shared_ptr<Context> context;
};

// `batch`, `side` and `filters` shape the models (the course model: 32, 28,
// 64). Returns the process exit status: 0, or 3 after validation errors.
int print_tuning_report(const std::vector<TuneTarget>& targets, int batch, int side, int filters,
                        std::FILE* out = stdout);

}  // namespace vknn::bench
