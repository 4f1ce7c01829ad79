// relu and softmax on Vulkan, forward and backward.
//
// Same contracts as the CPU reference (vknn/cpu/reference_ops.hpp):
//   relu_forward      y = x < 0 ? 0 : x                  (relu.comp)
//   relu_backward     dx = y > 0 ? dy : 0                (y is relu's output)
//   softmax_forward   y = exp(x - max) / sum, per row    (softmax_*.comp)
//   softmax_backward  dx = y * (dy - sum(dy * y)), per row
// softmax_forward may run in place (x and y the same buffer).
//
// Each function validates its arguments (count > 0, the geometry), checks
// every buffer is large enough (vknn::Error naming the op, buffer, bytes
// needed and present), records its dispatch and ends with
// recording.barrier(). Outputs are overwritten.
#pragma once

#include <cstdint>

#include "vknn/ops/geometry.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"

namespace vknn::vk::ops {

// How a softmax workgroup reduces over a row. subgroup needs
// DeviceProfile::subgroup_arithmetic (vknn::Error otherwise); shared_memory
// runs everywhere; automatic takes subgroup where the device offers it.
enum class ReductionVariant { automatic, subgroup, shared_memory };

void relu_forward(Recording& recording, std::int64_t count, const Buffer& x, const Buffer& y);
void relu_backward(Recording& recording, std::int64_t count, const Buffer& y, const Buffer& dy,
                   const Buffer& dx);

void softmax_forward(Recording& recording, const ClassesGeometry& g, const Buffer& x,
                     const Buffer& y, ReductionVariant variant = ReductionVariant::automatic);
void softmax_backward(Recording& recording, const ClassesGeometry& g, const Buffer& y,
                      const Buffer& dy, const Buffer& dx,
                      ReductionVariant variant = ReductionVariant::automatic);

}  // namespace vknn::vk::ops
