// Where KernelVariant::automatic is resolved for the ops with variants
// (conv2d, dense): by measurement (Device::autotuner(),
// vulkan/tuning/autotuner.hpp; on unless VKNN_AUTOTUNE=0), else by the
// device profile's choice.
//
// Measurements run the op on zeroed scratch buffers of the op's sizes,
// never on the caller's, which a program in flight may be using.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "vulkan/fwd.hpp"
#include "ops/vulkan/kernel_variant.hpp"

namespace vknn::vk {
struct DeviceProfile;
}

namespace vknn::vk::ops {

// Records the op in `variant` on `scratch` (one buffer per entry of the
// scratch_floats given to resolve_automatic, in that order).
using RecordOnScratch =
    std::function<void(Recording&, KernelVariant, const std::vector<Buffer>& scratch)>;

// The variants of `valid` the tuner measures on a device of `profile`: on
// CPU drivers not shared_tiled (unless the profile chose it), which emulates
// a GPU's shared memory and workgroup barriers that a CPU thread pays for in
// full. On lavapipe it lost every shape measured, by 10-70x, and its
// warm-ups were most of the tuning time: vknn-bench --tune --model
// cats_vs_dogs on an empty cache took 47.2 s, 37.3 s of it on the losing
// candidates, almost all shared_tiled (2.4-7.1 s each at 150x150 and
// 74x74). GPUs measure every variant.
std::vector<KernelVariant> worth_measuring(const DeviceProfile& profile, KernelVariant profile_choice,
                                           const std::vector<KernelVariant>& valid);

// `profile_choice` where autotuning is off (VKNN_AUTOTUNE=0) or
// worth_measuring leaves one variant of `valid`; else the variant measured
// fastest for `op` at `shape` (a token without spaces), from the tuning
// cache when it has one, where it beats `profile_choice` by more than the
// tuner's noise margin.
KernelVariant resolve_automatic(Device& device, const std::string& op, const std::string& shape,
                                KernelVariant profile_choice,
                                const std::vector<KernelVariant>& all_valid,
                                const std::vector<std::int64_t>& scratch_floats,
                                const RecordOnScratch& record);

// Zeroed buffers of the sizes given (floats) for the tuner's measurements,
// allocated on the first use only: a cached choice needs none. Never the
// caller's buffers, which a program in flight may be using.
class TuningScratch {
 public:
  TuningScratch(Device& device, std::string op, std::vector<std::int64_t> floats);
  ~TuningScratch();
  const std::vector<Buffer>& buffers();

 private:
  Device& device_;
  std::string op_;
  std::vector<std::int64_t> floats_;
  std::unique_ptr<std::vector<Buffer>> buffers_;
};

// `describe` text as a cache token: spaces become '_', commas go.
std::string shape_token(const std::string& describe);

}  // namespace vknn::vk::ops
