#include "ops/vulkan/variant_choice.hpp"

#include <algorithm>
#include <utility>

#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "vulkan/device.hpp"
#include "ops/vulkan/device_profile.hpp"
#include "vulkan/tuning/autotuner.hpp"

namespace vknn::vk::ops {

std::string shape_token(const std::string& describe) {
  std::string token;
  for (char c : describe) {
    if (c == ',') continue;
    token.push_back(c == ' ' || c == '\t' || c == '\n' ? '_' : c);
  }
  return token;
}

TuningScratch::TuningScratch(Device& device, std::string op, std::vector<std::int64_t> floats)
    : device_(device), op_(std::move(op)), floats_(std::move(floats)) {}

TuningScratch::~TuningScratch() = default;

const std::vector<Buffer>& TuningScratch::buffers() {
  if (!buffers_) {
    buffers_ = std::make_unique<std::vector<Buffer>>();
    buffers_->reserve(floats_.size());
    for (std::int64_t floats : floats_) {
      buffers_->emplace_back(device_, std::uint64_t(std::max<std::int64_t>(floats, 1)) * 4,
                             "autotuner scratch for " + op_);
      // Garbage could hold NaNs or denormals, which time differently.
      buffers_->back().fill_zero();
    }
  }
  return *buffers_;
}

std::vector<KernelVariant> worth_measuring(const DeviceProfile& profile, KernelVariant profile_choice,
                                           const std::vector<KernelVariant>& valid) {
  std::vector<KernelVariant> kept;
  for (KernelVariant v : valid) {
    if (profile.cpu_like && v == KernelVariant::shared_tiled && v != profile_choice) continue;
    kept.push_back(v);
  }
  return kept;
}

KernelVariant resolve_automatic(Device& device, const std::string& op, const std::string& shape,
                                KernelVariant profile_choice,
                                const std::vector<KernelVariant>& all_valid,
                                const std::vector<std::int64_t>& scratch_floats,
                                const RecordOnScratch& record) {
  if (!autotune_enabled()) return profile_choice;
  const std::vector<KernelVariant> valid =
      worth_measuring(DeviceProfile::of(device.info()), profile_choice, all_valid);
  if (valid.size() < 2) return profile_choice;
  TuningScratch scratch(device, op, scratch_floats);
  // The profile's choice first: the tuner keeps the first candidate unless
  // another is clearly faster (kReplaceMargin), and as the usual winner it
  // lets a much slower variant be given up early (Autotuner::choose).
  std::vector<KernelVariant> order = valid;
  std::stable_partition(order.begin(), order.end(),
                        [&](KernelVariant v) { return v == profile_choice; });
  std::vector<TuningCandidate> candidates;
  for (KernelVariant v : order) {
    candidates.push_back(
        {variant_name(v), [&, v](Recording& r) { record(r, v, scratch.buffers()); }});
  }
  const std::string chosen = device.autotuner().choose(op, shape, candidates);
  for (KernelVariant v : valid) {
    if (chosen == variant_name(v)) return v;
  }
  return profile_choice;
}

}  // namespace vknn::vk::ops
