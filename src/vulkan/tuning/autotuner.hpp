// Kernel variants chosen by measurement (issue 9): the first time an op
// meets a shape on a device, each valid variant is timed on the device with
// timestamp queries over a few replays and the fastest is used; the choice
// is kept in a TuningCache, so a later run, or a second Context, times
// nothing. conv2d and dense resolve KernelVariant::automatic through it
// (vulkan/ops/variant_choice.hpp).
//
// On by default: VKNN_AUTOTUNE unset (or 1/on) measures; VKNN_AUTOTUNE=0
// (or off) uses the device profile's choice and measures nothing. The same
// switch keeps the VkPipelineCache (pipeline_cache_file.hpp).
// docs/performance.md ("Kernel variants chosen by measurement") has the
// design and what tuning costs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "vulkan/tuning/tuning_cache.hpp"

namespace vknn::vk {

class Device;
class Recording;

// False where VKNN_AUTOTUNE is 0/off/false/no; true where it is unset, empty
// or 1/on/true/yes. Any other value is a vknn::Error naming the variable.
bool autotune_enabled();

// A challenger replaces the first candidate (the device profile's choice)
// only when its time is below (1 - kReplaceMargin) of the first's. Why: on a
// loaded machine (CI runners, a desktop doing other work) two variants within
// a few percent of each other swap places from run to run, and a choice made
// by noise stays cached until the driver or vknn changes; the profile's pick
// is the better bet then, and a few percent is not worth a wrong cache.
// The variants differ by far more than 10% where the choice matters
// (lavapipe: register_blocked several times faster than shared_tiled).
inline constexpr double kReplaceMargin = 0.10;

// True where `challenger_ns` beats `incumbent_ns` by more than the margin.
bool clearly_faster(double challenger_ns, double incumbent_ns);

struct TuningCandidate {
  std::string name;                         // stored in the cache, e.g. "register_blocked"
  std::function<void(Recording&)> record;  // records the op in this variant
};

// The tuning cache's key for a shape: the shape and the names of the
// candidates the choice is made among, sorted (whatever order they are
// measured in), e.g. "b32_among_register_blocked_
// shared_tiled_winograd". When a build offers a variant more (winograd
// joined conv2d's), the shape is measured again rather than left with the
// winner of the old field.
std::string tuning_key(const std::string& shape, const std::vector<TuningCandidate>& candidates);

// Device time of what `record` records: the minimum over `replays`
// submissions after one warm-up, from timestamp queries (host wall time on
// devices without them). The device's counters are left as they were:
// tuning is a one-time cost of compiling, not work of the program being
// recorded, whose counters tests and users read.
// Stops early, after the first timed replay, once it is above
// `give_up_above_ns`: a variant that slow has lost already; after the
// warm-up alone (returning the warm-up's time) where that took more than
// twice `give_up_above_ns`.
double measure_device_ns(Device& device, const std::function<void(Recording&)>& record,
                         int replays, double give_up_above_ns = 1e300);

// What the tuner did for one op and shape in this process: kept for
// `vknn-bench --tune` and tests, never written to the cache file.
struct TuningDecision {
  struct Time {
    std::string name;
    double ns = 0;          // minimum device time over the replays measured
    bool gave_up = false;   // stopped early (after the warm-up or one replay): more than twice the best
    double seconds = 0;     // host time: compiling its pipelines, recording, the replays
  };
  std::string op, shape, chosen;
  bool cached = false;      // read from the cache file: nothing measured
  bool adopted = false;     // measured, but another process had stored a choice meanwhile,
                            // which was taken (Autotuner::choose says why)
  std::vector<Time> times;  // each candidate measured, in the order measured
  double seconds = 0;       // host time measuring took, compiling the candidates included
};

class Autotuner {
 public:
  // How one candidate is timed, in ns; `give_up_above_ns` as in
  // measure_device_ns. Tests pass made-up times to check the choice rule.
  using Measure = std::function<double(const TuningCandidate&, double give_up_above_ns)>;

  // Times candidates on `device`: measure_device_ns over `replays` replays.
  Autotuner(Device& device, TuningCache cache, int replays = 5);
  Autotuner(TuningCache cache, Measure measure);

  // The name of the fastest of `candidates` for `op` at `shape`: the cached
  // choice if it names one of them, else each is measured and the choice
  // stored. The first candidate is the default (the device profile's
  // choice): another replaces it only when clearly_faster. One candidate is
  // returned without measuring. A candidate more than twice as slow as the
  // best so far is given up after one timed replay, which keeps tuning cheap.
  // Where another process stored a choice for the shape while this one
  // measured, that choice is taken: processes sharing a folder agree.
  std::string choose(const std::string& op, const std::string& shape,
                     const std::vector<TuningCandidate>& candidates);

  // Candidates measured so far.
  std::uint32_t measurements() const { return measurements_; }
  // Each op and shape this tuner was asked about, in the order asked.
  const std::vector<TuningDecision>& decisions() const { return decisions_; }
  const TuningCache& cache() const { return cache_; }

 private:
  void remember(TuningDecision decision);

  TuningCache cache_;
  Measure measure_;
  std::uint32_t measurements_ = 0;
  std::vector<TuningDecision> decisions_;
};

}  // namespace vknn::vk
