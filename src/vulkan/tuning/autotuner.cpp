#include "vulkan/tuning/autotuner.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <limits>
#include <string_view>

#include "vknn/error.hpp"
#include "vulkan/command.hpp"
#include "vulkan/device.hpp"

namespace vknn::vk {

bool autotune_enabled() {
  const char* value = std::getenv("VKNN_AUTOTUNE");
  return value && *value && std::string_view(value) != "0";
}

double measure_device_ns(Device& device, const std::function<void(Recording&)>& record,
                         int replays, double give_up_above_ns) {
  const DeviceCounters counters = device.counters();
  const bool timed = device.info().timestamps_supported;
  std::unique_ptr<TimestampPool> timestamps;
  Recording recording(device, "autotuner measurement", RecordingUse::replay);
  if (timed) {
    timestamps = std::make_unique<TimestampPool>(device, 2);
    recording.reset_timestamps(*timestamps);
    recording.timestamp(*timestamps, 0);
  }
  record(recording);
  if (timed) recording.timestamp(*timestamps, 1);
  recording.finish();
  submit(device, recording).wait();  // warm-up: first-touch costs, caches
  double best = std::numeric_limits<double>::infinity();
  for (int i = 0; i < std::max(replays, 1); ++i) {
    const auto start = std::chrono::steady_clock::now();
    submit(device, recording).wait();
    const double wall =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    best = std::min(best, timed ? timestamps->elapsed_ns(0, 1) : wall);
    if (best > give_up_above_ns) break;
  }
  device.counters() = counters;
  return best;
}

Autotuner::Autotuner(Device& device, TuningCache cache, int replays)
    : device_(device), cache_(std::move(cache)), replays_(replays) {}

std::string Autotuner::choose(const std::string& op, const std::string& shape,
                              const std::vector<TuningCandidate>& candidates) {
  if (candidates.empty()) {
    throw Error("autotuner: no candidates for " + op + " at " + shape);
  }
  if (candidates.size() == 1) return candidates.front().name;
  if (const auto cached = cache_.find(op, shape)) {
    for (const TuningCandidate& c : candidates) {
      if (c.name == *cached) return c.name;
    }
    // A variant this build no longer offers for the shape: measure again.
  }
  const TuningCandidate* best = nullptr;
  double best_ns = std::numeric_limits<double>::infinity();
  for (const TuningCandidate& c : candidates) {
    const double ns = measure_device_ns(device_, c.record, replays_, 2 * best_ns);
    ++measurements_;
    if (ns < best_ns) {
      best_ns = ns;
      best = &c;
    }
  }
  cache_.store(op, shape, best->name);
  return best->name;
}

}  // namespace vknn::vk
