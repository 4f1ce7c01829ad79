#include "vulkan/tuning/autotuner.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <string_view>

#include "vknn/error.hpp"
#include "vulkan/command.hpp"
#include "vulkan/device.hpp"
#include "vulkan/env_switch.hpp"

namespace vknn::vk {

bool autotune_enabled() {
  return env_switch("VKNN_AUTOTUNE", true, "measure kernel variants", "the device profile's choice");
}

bool clearly_faster(double challenger_ns, double incumbent_ns) {
  return challenger_ns < (1.0 - kReplaceMargin) * incumbent_ns;
}

double measure_device_ns(Device& device, const std::function<void(Recording&)>& record,
                         int replays, double give_up_above_ns) {
  const DeviceCounters counters = device.counters();
  const bool timed = device.info().timestamps_supported;
  std::unique_ptr<TimestampPool> timestamps;
  // A candidate's recording is not part of whatever a dispatch profiler
  // attached to the device is profiling (vknn-bench --profile records the
  // step, and the step's first use of a shape tunes it); profiled, it would
  // restart the profiler's labels in the middle of the step's recording.
  struct DetachProfiler {
    Device& device;
    DispatchProfiler* profiler = device.dispatch_profiler();
    DetachProfiler(Device& d) : device(d) { device.set_dispatch_profiler(nullptr); }
    ~DetachProfiler() { device.set_dispatch_profiler(profiler); }
  } detach_profiler(device);
  Recording recording(device, "autotuner measurement", RecordingUse::replay);
  if (timed) {
    timestamps = std::make_unique<TimestampPool>(device, 2);
    recording.reset_timestamps(*timestamps);
    recording.timestamp(*timestamps, 0);
  }
  record(recording);
  if (timed) recording.timestamp(*timestamps, 1);
  recording.finish();
  const auto warm_up_start = std::chrono::steady_clock::now();
  submit(device, recording).wait();  // warm-up: first-touch costs, caches
  const double warm_up_ns =
      timed ? timestamps->elapsed_ns(0, 1)
            : std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - warm_up_start)
                  .count();
  // The warm-up pays first-touch costs, so it is judged more leniently than
  // the replays: twice the give-up time and it has lost without a timed
  // replay. Measured (vknn-bench --tune, lavapipe, course model): the losing
  // shared_tiled kernels run 0.3-1.2 s each, and their warm-up and one replay
  // were 8.2 of the 11.2 s tuning took.
  if (warm_up_ns > 2 * give_up_above_ns) {
    device.counters() = counters;
    return warm_up_ns;
  }
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
    : Autotuner(std::move(cache),
                Measure([&device, replays](const TuningCandidate& c, double give_up_above_ns) {
                  return measure_device_ns(device, c.record, replays, give_up_above_ns);
                })) {}

Autotuner::Autotuner(TuningCache cache, Measure measure)
    : cache_(std::move(cache)), measure_(std::move(measure)) {}

void Autotuner::remember(TuningDecision decision) {
  for (const TuningDecision& d : decisions_) {
    if (d.op == decision.op && d.shape == decision.shape) return;  // the first one says what happened
  }
  decisions_.push_back(std::move(decision));
}

std::string tuning_key(const std::string& shape, const std::vector<TuningCandidate>& candidates) {
  // Sorted: the candidates come in measuring order (the device profile's
  // pick first), which must not change the key of the same field.
  std::vector<std::string> names;
  for (const TuningCandidate& c : candidates) names.push_back(c.name);
  std::sort(names.begin(), names.end());
  std::string key = shape + "_among";
  for (const std::string& name : names) key += "_" + name;
  return key;
}

std::string Autotuner::choose(const std::string& op, const std::string& shape,
                              const std::vector<TuningCandidate>& candidates) {
  if (candidates.empty()) {
    throw Error("autotuner: no candidates for " + op + " at " + shape);
  }
  if (candidates.size() == 1) return candidates.front().name;
  const std::string key = tuning_key(shape, candidates);
  if (const auto cached = cache_.find(op, key)) {
    for (const TuningCandidate& c : candidates) {
      if (c.name == *cached) {
        remember({op, shape, c.name, /*cached=*/true, /*adopted=*/false, {}, 0.0});
        return c.name;
      }
    }
    // A variant this build no longer offers for the shape: measure again.
  }
  const auto start = std::chrono::steady_clock::now();
  TuningDecision decision{op, shape, "", false, false, {}, 0.0};
  double fastest_ns = std::numeric_limits<double>::infinity();
  double incumbent_ns = 0;
  const TuningCandidate* challenger = nullptr;  // the fastest after the first
  double challenger_ns = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const TuningCandidate& c = candidates[i];
    const double give_up_above_ns = 2 * fastest_ns;
    const auto measure_start = std::chrono::steady_clock::now();
    const double ns = measure_(c, give_up_above_ns);
    ++measurements_;
    decision.times.push_back(
        {c.name, ns, ns > give_up_above_ns,
         std::chrono::duration<double>(std::chrono::steady_clock::now() - measure_start).count()});
    fastest_ns = std::min(fastest_ns, ns);
    if (i == 0) {
      incumbent_ns = ns;
    } else if (ns < challenger_ns) {
      challenger_ns = ns;
      challenger = &c;
    }
  }
  const TuningCandidate* chosen = challenger && clearly_faster(challenger_ns, incumbent_ns)
                                     ? challenger
                                     : &candidates.front();
  // Another process sharing the cache folder (a parallel test run, two
  // programs started together) may have measured this shape meanwhile: its
  // choice is taken where this build offers it, so that every process using
  // the folder runs the same kernels (a close call could otherwise go either
  // way, and results differ in the last bits between variants).
  if (const auto theirs = cache_.find_in_file(op, key)) {
    for (const TuningCandidate& c : candidates) {
      if (c.name == *theirs && &c != chosen) {
        chosen = &c;
        decision.adopted = true;
      }
    }
  }
  cache_.store(op, key, chosen->name);
  decision.chosen = chosen->name;
  decision.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  remember(std::move(decision));
  return chosen->name;
}

}  // namespace vknn::vk
