// Kernel variants chosen by measurement (issue 9): the first time an op
// meets a shape on a device, each valid variant is timed on the device with
// timestamp queries over a few replays and the fastest is used; the choice
// is kept in a TuningCache, so a later run, or a second Context, times
// nothing. conv2d and dense resolve KernelVariant::automatic through it
// (vulkan/ops/variant_choice.hpp).
//
// For now measuring is opt-in, VKNN_AUTOTUNE=1; unset or 0 uses the device
// profile, as before. docs/notes-autotune.md says what turning it on by
// default still needs (the test suite's cache folder, the tuning cost).
// The same switch keeps the VkPipelineCache (pipeline_cache_file.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "vulkan/tuning/tuning_cache.hpp"

namespace vknn::vk {

class Device;
class Recording;

// True where VKNN_AUTOTUNE is set and not "0".
bool autotune_enabled();

struct TuningCandidate {
  std::string name;                         // stored in the cache, e.g. "register_blocked"
  std::function<void(Recording&)> record;  // records the op in this variant
};

// Device time of what `record` records: the minimum over `replays`
// submissions after one warm-up, from timestamp queries (host wall time on
// devices without them). The device's counters are left as they were:
// tuning is a one-time cost of compiling, not work of the program being
// recorded, whose counters tests and users read.
// Stops early, after the first timed replay, once it is above
// `give_up_above_ns`: a variant that slow has lost already.
double measure_device_ns(Device& device, const std::function<void(Recording&)>& record,
                         int replays, double give_up_above_ns = 1e300);

class Autotuner {
 public:
  Autotuner(Device& device, TuningCache cache, int replays = 5);

  // The name of the fastest of `candidates` for `op` at `shape`: the cached
  // choice if it names one of them, else each is measured and the fastest
  // stored. One candidate is returned without measuring. List the likely
  // winner first: a candidate more than twice as slow as the best so far
  // is given up after one timed replay, which keeps tuning cheap.
  std::string choose(const std::string& op, const std::string& shape,
                     const std::vector<TuningCandidate>& candidates);

  // Candidates measured so far (what tests and `vknn-bench --tune` report).
  std::uint32_t measurements() const { return measurements_; }
  const TuningCache& cache() const { return cache_; }

 private:
  Device& device_;
  TuningCache cache_;
  int replays_;
  std::uint32_t measurements_ = 0;
};

}  // namespace vknn::vk
