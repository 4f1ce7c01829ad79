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
#include <string>
#include <vector>

#include "vulkan/fwd.hpp"
#include "vulkan/ops/kernel_variant.hpp"

namespace vknn::vk::ops {

const char* variant_name(KernelVariant variant);

// Records the op in `variant` on `scratch` (one buffer per entry of the
// scratch_floats given to resolve_automatic, in that order).
using RecordOnScratch =
    std::function<void(Recording&, KernelVariant, const std::vector<Buffer>& scratch)>;

// `profile_choice` where autotuning is off (VKNN_AUTOTUNE=0) or `valid`
// offers one variant; else the variant measured fastest for `op` at `shape`
// (a token without spaces), from the tuning cache when it has one, where it
// beats `profile_choice` by more than the tuner's noise margin.
KernelVariant resolve_automatic(Device& device, const std::string& op, const std::string& shape,
                                KernelVariant profile_choice,
                                const std::vector<KernelVariant>& valid,
                                const std::vector<std::int64_t>& scratch_floats,
                                const RecordOnScratch& record);

// `describe` text as a cache token: spaces become '_', commas go.
std::string shape_token(const std::string& describe);

}  // namespace vknn::vk::ops
