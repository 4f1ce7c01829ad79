// Kernel variants chosen by measurement (issue 9): the first time an op
// meets a shape on a device, each valid variant is timed on the device with
// timestamp queries over a few replays and the fastest is used; the choice
// is kept in a TuningCache, so a later run, or a second Context, times
// nothing. conv2d and dense resolve KernelVariant::automatic through it
// (ops/vulkan/variant_choice.hpp).
//
// On by default: VKNN_AUTOTUNE unset (or 1/on) measures; VKNN_AUTOTUNE=0
// (or off) uses the device profile's choice and measures nothing. The same
// switch keeps the VkPipelineCache (pipeline_cache_file.hpp).
// docs/performance.md ("Kernel variants chosen by measurement") has the
// design and what tuning costs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
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

// One candidate made ready for timing (recorded, its pipelines compiled):
// a warm-up first, then as many timed replays as the tuner asks for. The
// tuner warms every candidate up, then replays them in turns (interleaved),
// so that a host whose speed drifts, or that warms up while tuning, favours
// none of them.
class CandidateTimer {
 public:
  virtual ~CandidateTimer() = default;
  virtual double warm_up_ns() = 0;  // once, before any replay: first-touch costs
  virtual double replay_ns() = 0;   // one timed replay
};


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
  // A timer for one candidate.
  using Prepare = std::function<std::unique_ptr<CandidateTimer>(const TuningCandidate&)>;
  // Made-up times for tests of the choice rule: every warm-up and replay of
  // a candidate takes `measure(candidate)` ns.
  using Measure = std::function<double(const TuningCandidate&)>;

  // Times candidates on `device` (timestamp queries; host wall time
  // without them), `replays` rounds.
  Autotuner(Device& device, TuningCache cache, int replays = 5);
  Autotuner(TuningCache cache, Measure measure, int replays = 3);
  // Timers of the caller's making (tests of the measuring order).
  Autotuner(TuningCache cache, Prepare prepare, int replays);

  // The name of the fastest of `candidates` for `op` at `shape`: the cached
  // choice if it names one of them, else each is measured and the choice
  // stored. The first candidate is the default (the device profile's
  // choice): another replaces it only when clearly_faster. One candidate is
  // returned without measuring. Each candidate's time is the minimum of its
  // replays; the replays run in rounds, one per candidate each, every round
  // starting with the next candidate. A candidate whose warm-up took over 4x
  // the fastest warm-up, or whose first replay over 2x the fastest first
  // replay, is given up there, which keeps tuning cheap.
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
  Prepare prepare_;
  int replays_ = 5;
  std::uint32_t measurements_ = 0;
  std::vector<TuningDecision> decisions_;
};

}  // namespace vknn::vk
