// Argument checks and launch sizes shared by the training-step ops
// (loss, metrics, optimizers, gather, step state); private to these files.
//
// Every message names the op, the buffer (by role and by its own name), the
// bytes it needs and the bytes it has, so a wrongly planned model fails at
// record time with something a person can act on, not with a validation
// message or a silent out-of-bounds write at run time.
#pragma once

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <string>

#include "vknn/error.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "vulkan/device.hpp"
#include "vulkan/ops/device_profile.hpp"

namespace vknn::vk::ops::training_detail {

// `what` says what the bytes hold, e.g. "32 x 10 floats (logits 32x10)".
inline void require_bytes(const char* op, const char* role, const Buffer& buffer,
                          std::uint64_t bytes_needed, const std::string& what) {
  if (buffer.size() < bytes_needed) {
    std::ostringstream msg;
    msg << op << ": buffer '" << buffer.name() << "' (" << role << ") holds " << buffer.size()
        << " bytes but " << bytes_needed << " are needed (" << what << ")";
    throw Error(msg.str());
  }
}

inline void require_positive(const char* op, const char* name, std::int64_t value,
                             const std::string& context) {
  if (value <= 0) {
    std::ostringstream msg;
    msg << op << ": " << name << " must be positive, got " << value << " (" << context << ")";
    throw Error(msg.str());
  }
}

// Counts go to shaders as 32-bit push constants.
inline void require_fits_u32(const char* op, const char* name, std::uint64_t value) {
  if (value > 0xffffffffull) {
    std::ostringstream msg;
    msg << op << ": " << name << " " << value << " does not fit the shader's 32-bit index; "
        << "split the work into pieces of at most 4294967295";
    throw Error(msg.str());
  }
}

inline void require_recording_open(const char* op, const Recording& recording) {
  if (recording.finished()) {
    throw Error(std::string(op) + ": recording '" + recording.name() +
                "' is already finished; record the op before finish()");
  }
}

// Workgroup width for a one-dimensional op: `wanted` where the device
// allows it. CPU drivers run a workgroup as 8-wide SIMD loops, where more
// invocations per group only lengthen the loop; GPUs want full groups.
inline std::uint32_t workgroup_width(const Device& device, std::uint32_t gpu_width,
                                     std::uint32_t cpu_width) {
  const DeviceProfile profile = DeviceProfile::of(device.info());
  std::uint32_t width = profile.cpu_like ? cpu_width : gpu_width;
  width = std::min(width, std::max<std::uint32_t>(profile.max_workgroup_invocations, 1));
  width = std::min(width, std::max<std::uint32_t>(device.info().max_workgroup_size[0], 1));
  return width;
}

// Group count for a grid-stride shader over `items` (one item per
// invocation per pass). GPUs get one pass where the group-count limit
// allows. CPU drivers get at most kCpuDriverMaxGroups groups that loop:
// lavapipe pays a fixed cost per workgroup, which for an element-wise op
// over the seed model's 243,786 parameters in 64-wide groups was most of
// the time (Adam: 3.3 ms with 3810 groups, 0.8 ms with 64, measured as the
// minimum of 40 replays on the 2-core development machine).
inline constexpr std::uint32_t kCpuDriverMaxGroups = 64;

inline std::uint32_t grid_groups(const Device& device, std::uint64_t items, std::uint32_t width) {
  const std::uint64_t wanted = std::max<std::uint64_t>((items + width - 1) / width, 1);
  std::uint64_t limit = std::max<std::uint32_t>(device.info().max_workgroup_count[0], 1);
  if (DeviceProfile::of(device.info()).cpu_like) {
    limit = std::min<std::uint64_t>(limit, kCpuDriverMaxGroups);
  }
  return std::uint32_t(std::min(wanted, limit));
}

}  // namespace vknn::vk::ops::training_detail
