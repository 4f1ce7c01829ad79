// Argument checks and grid arithmetic shared by the Vulkan op dispatchers
// (private to src/vulkan/ops).
//
// A shader cannot report a too-small buffer: it would read or write past the
// end. So every dispatcher checks each buffer against the element count its
// geometry implies before recording, and says which op, which buffer and how
// many bytes it needed and got.
#pragma once

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <string>

#include "vknn/error.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/device.hpp"

namespace vknn::vk::ops::detail {

// Shaders index with 32-bit signed integers.
inline constexpr std::int64_t kMaxElements = 0x7fffffff;

// Throws unless `buffer` holds at least `elements` floats. `role` is the
// parameter name ("x", "kernel"), `shapes` the geometry's describe().
inline void require_floats(const char* op, const char* role, const Buffer& buffer,
                           std::int64_t elements, const std::string& shapes) {
  if (elements > kMaxElements) {
    std::ostringstream msg;
    msg << op << ": " << role << " would hold " << elements << " floats (" << shapes
        << "); vknn's shaders index with 32-bit integers, so at most " << kMaxElements
        << " are supported; split the batch";
    throw Error(msg.str());
  }
  const std::uint64_t needed = std::uint64_t(elements) * sizeof(float);
  if (buffer.size() < needed) {
    std::ostringstream msg;
    msg << op << ": buffer '" << buffer.name() << "' passed as " << role << " holds "
        << buffer.size() << " bytes but needs " << needed << " bytes (" << elements
        << " floats for " << shapes << ")";
    throw Error(msg.str());
  }
}

inline void require_positive_count(const char* op, std::int64_t count) {
  if (count <= 0 || count > kMaxElements) {
    std::ostringstream msg;
    msg << op << ": count must be in [1, " << kMaxElements << "], got " << count;
    throw Error(msg.str());
  }
}

inline std::uint32_t div_up(std::int64_t a, std::int64_t b) {
  return static_cast<std::uint32_t>((a + b - 1) / b);
}

// Workgroups along x for a grid-stride shader over `items` elements: enough
// to cover them, at most what the device allows (the shader loops over the rest).
inline std::uint32_t grid_groups(const Device& device, std::int64_t items,
                                 std::uint32_t workgroup) {
  return std::min(div_up(items, workgroup), device.info().max_workgroup_count[0]);
}

}  // namespace vknn::vk::ops::detail
