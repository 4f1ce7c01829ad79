// Kernel variants chosen by measurement (issue 9): the first time an op
// meets a shape on a device, each valid variant is timed on the device with
// timestamp queries over a few replays and the fastest is used; the choice
// is kept in a TuningCache, so a later run, or a second Context, times
// nothing. VKNN_AUTOTUNE=0 turns measuring off (callers then ask the device
// profile, as before).
//
// State: the tuner and its cache are finished and tested
// (tests/vulkan/autotuner_test.cpp); the ops do not call it yet (see
// docs/notes-autotune.md for the hook into conv2d and dense and the
// persisted VkPipelineCache).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "vulkan/tuning/tuning_cache.hpp"

namespace vknn::vk {

class Device;
class Recording;

// False where VKNN_AUTOTUNE is "0".
bool autotune_enabled();

struct TuningCandidate {
  std::string name;                         // stored in the cache, e.g. "register_blocked"
  std::function<void(Recording&)> record;  // records the op in this variant
};

// Device time of what `record` records: the minimum over `replays`
// submissions after one warm-up, from timestamp queries (host wall time on
// devices without them).
double measure_device_ns(Device& device, const std::function<void(Recording&)>& record,
                         int replays);

class Autotuner {
 public:
  Autotuner(Device& device, TuningCache cache, int replays = 5);

  // The name of the fastest of `candidates` for `op` at `shape`: the cached
  // choice if it names one of them, else each is measured and the fastest
  // stored. One candidate is returned without measuring.
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
