#include "vulkan/tuning/autotuner.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <vector>
#include <memory>
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

namespace {

// What the device's timers share while any exists: the dispatch profiler
// detached, the counters to restore.
struct DeviceTuningScope {
  Device& device;
  DispatchProfiler* profiler;
  DeviceCounters counters;
  explicit DeviceTuningScope(Device& d)
      : device(d), profiler(d.dispatch_profiler()), counters(d.counters()) {
    // A candidate's recording is not part of whatever a dispatch profiler
    // attached to the device is profiling (vknn-bench --profile records the
    // step, and the step's first use of a shape tunes it); profiled, it
    // would restart the profiler's labels in the middle of the step's
    // recording.
    device.set_dispatch_profiler(nullptr);
  }
  ~DeviceTuningScope() {
    device.set_dispatch_profiler(profiler);
    device.counters() = counters;
  }
};

class DeviceTimer : public CandidateTimer {
 public:
  DeviceTimer(Device& device, std::shared_ptr<DeviceTuningScope> scope,
              const std::function<void(Recording&)>& record)
      : device_(device),
        scope_(std::move(scope)),
        recording_(device, "autotuner measurement", RecordingUse::replay) {
    if (device.info().timestamps_supported) {
      timestamps_ = std::make_unique<TimestampPool>(device, 2);
      recording_.reset_timestamps(*timestamps_);
      recording_.timestamp(*timestamps_, 0);
    }
    record(recording_);
    if (timestamps_) recording_.timestamp(*timestamps_, 1);
    recording_.finish();
  }
  double warm_up_ns() override { return replay_ns(); }
  double replay_ns() override {
    const auto start = std::chrono::steady_clock::now();
    submit(device_, recording_).wait();
    if (timestamps_) return timestamps_->elapsed_ns(0, 1);
    return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  }

 private:
  Device& device_;
  std::shared_ptr<DeviceTuningScope> scope_;  // declared before the recording: destroyed after it
  Recording recording_;
  std::unique_ptr<TimestampPool> timestamps_;
};

// Made-up times (Autotuner's test constructor).
class FixedTimer : public CandidateTimer {
 public:
  explicit FixedTimer(double ns) : ns_(ns) {}
  double warm_up_ns() override { return ns_; }
  double replay_ns() override { return ns_; }

 private:
  double ns_;
};

}  // namespace

Autotuner::Autotuner(Device& device, TuningCache cache, int replays)
    : cache_(std::move(cache)), replays_(std::max(replays, 1)) {
  // One scope while any of this tuner's timers exists (they all live
  // through one choose()).
  auto scope = std::make_shared<std::weak_ptr<DeviceTuningScope>>();
  prepare_ = [&device, scope](const TuningCandidate& c) -> std::unique_ptr<CandidateTimer> {
    std::shared_ptr<DeviceTuningScope> shared = scope->lock();
    if (!shared) {
      shared = std::make_shared<DeviceTuningScope>(device);
      *scope = shared;
    }
    return std::make_unique<DeviceTimer>(device, std::move(shared), c.record);
  };
}

Autotuner::Autotuner(TuningCache cache, Prepare prepare, int replays)
    : cache_(std::move(cache)), prepare_(std::move(prepare)), replays_(std::max(replays, 1)) {}

Autotuner::Autotuner(TuningCache cache, Measure measure, int replays)
    : cache_(std::move(cache)),
      prepare_([measure = std::move(measure)](const TuningCandidate& c) {
        return std::unique_ptr<CandidateTimer>(std::make_unique<FixedTimer>(measure(c)));
      }),
      replays_(std::max(replays, 1)) {}

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
  const std::size_t n = candidates.size();
  std::vector<std::unique_ptr<CandidateTimer>> timers(n);
  std::vector<double> best(n, std::numeric_limits<double>::infinity());
  std::vector<double> seconds(n, 0.0);
  std::vector<bool> given_up(n, false);
  const auto timed = [&](std::size_t i, auto&& run) {
    const auto t0 = std::chrono::steady_clock::now();
    const double ns = run();
    seconds[i] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return ns;
  };
  // Prepared and warmed up in order; the warm-up pays first-touch costs,
  // so it is judged leniently: over 4x the fastest warm-up has lost
  // (measured, vknn-bench --tune on lavapipe: the losing shared_tiled
  // kernels run 0.3-1.2 s each, and their warm-up and one replay were 8.2
  // of the 11.2 s tuning took).
  std::vector<double> warm(n);
  for (std::size_t i = 0; i < n; ++i) {
    warm[i] = timed(i, [&] {
      timers[i] = prepare_(candidates[i]);
      return timers[i]->warm_up_ns();
    });
    ++measurements_;
  }
  const double fastest_warm = *std::min_element(warm.begin(), warm.end());
  for (std::size_t i = 0; i < n; ++i) {
    if (warm[i] > 4 * fastest_warm) {
      given_up[i] = true;
      best[i] = warm[i];
      timers[i].reset();
    }
  }
  // Interleaved rounds, each starting one candidate later.
  for (int round = 0; round < replays_; ++round) {
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = (std::size_t(round) + k) % n;
      if (given_up[i]) continue;
      best[i] = std::min(best[i], timed(i, [&] { return timers[i]->replay_ns(); }));
    }
    if (round == 0) {
      double fastest = std::numeric_limits<double>::infinity();
      for (std::size_t i = 0; i < n; ++i) {
        if (!given_up[i]) fastest = std::min(fastest, best[i]);
      }
      for (std::size_t i = 0; i < n; ++i) {
        if (!given_up[i] && best[i] > 2 * fastest) {
          given_up[i] = true;
          timers[i].reset();
        }
      }
    }
  }
  timers.clear();
  const double incumbent_ns = best[0];
  const TuningCandidate* challenger = nullptr;  // the fastest after the first
  double challenger_ns = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < n; ++i) {
    decision.times.push_back({candidates[i].name, best[i], given_up[i], seconds[i]});
    if (i > 0 && best[i] < challenger_ns) {
      challenger_ns = best[i];
      challenger = &candidates[i];
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
