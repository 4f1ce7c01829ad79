// Argument checks and launch sizes shared by every Vulkan op dispatcher
// (private to src/ops/vulkan).
//
// A shader cannot report a too-small buffer: it would read or write past the
// end. So every dispatcher checks each buffer before recording, and the
// message names the op, the buffer (by role and by its own name), the bytes
// it needs and has, and what those bytes hold, so a wrongly planned model
// fails at record time with something a person can act on.
//
// Launch sizes: workgroup widths and group counts follow named policies,
// chosen per op family in one place (`grid_policy` below), because the same
// rule measured faster for one op and slower for another on lavapipe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <sstream>
#include <string>
#include <utility>

#include "vknn/error.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "vulkan/device.hpp"
#include "ops/vulkan/device_profile.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk::ops::detail {

// ---- buffer and argument checks ----

// Shaders index elements with 32-bit signed integers.
inline constexpr std::int64_t kMaxElements = 0x7fffffff;

// Throws unless `buffer` holds `bytes_needed` bytes. `role` is the
// parameter name ("x", "step state"), `what` says what the bytes hold,
// e.g. "32 x 10 floats (batch 32, classes 10)".
inline void require_bytes(const char* op, const char* role, const Buffer& buffer,
                          std::uint64_t bytes_needed, const std::string& what) {
  if (buffer.size() < bytes_needed) {
    std::ostringstream msg;
    msg << op << ": buffer '" << buffer.name() << "' passed as " << role << " holds "
        << buffer.size() << " bytes but needs " << bytes_needed << " bytes (" << what << ")";
    throw Error(msg.str());
  }
}

// Throws unless `buffer` holds `elements` floats and the shaders can index
// them. `shapes` is the geometry's describe().
inline void require_floats(const char* op, const char* role, const Buffer& buffer,
                           std::int64_t elements, const std::string& shapes) {
  if (elements > kMaxElements) {
    std::ostringstream msg;
    msg << op << ": " << role << " would hold " << elements << " floats (" << shapes
        << "); vknn's shaders index with 32-bit integers, so at most " << kMaxElements
        << " are supported; split the batch";
    throw Error(msg.str());
  }
  require_bytes(op, role, buffer, std::uint64_t(elements) * sizeof(float),
                std::to_string(elements) + " floats for " + shapes);
}

inline void require_positive(const char* op, const char* name, std::int64_t value,
                             const std::string& context) {
  if (value <= 0) {
    std::ostringstream msg;
    msg << op << ": " << name << " must be positive, got " << value << " (" << context << ")";
    throw Error(msg.str());
  }
}

// An element count the shaders can index: in [1, kMaxElements].
inline void require_element_count(const char* op, std::int64_t count) {
  if (count <= 0 || count > kMaxElements) {
    std::ostringstream msg;
    msg << op << ": count must be in [1, " << kMaxElements << "], got " << count;
    throw Error(msg.str());
  }
}

// Counts go to shaders as 32-bit unsigned push constants.
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

// ---- launch sizes ----

inline std::uint32_t div_up(std::int64_t a, std::int64_t b) {
  return static_cast<std::uint32_t>((a + b - 1) / b);
}

// Workgroup width for a one-dimensional op: `gpu_width` or `cpu_width` by
// device kind, within what the device allows. CPU drivers run a workgroup
// as 8-wide SIMD loops, where more invocations per group only lengthen the
// loop; GPUs want full groups.
inline std::uint32_t workgroup_width(const Device& device, std::uint32_t gpu_width,
                                     std::uint32_t cpu_width) {
  const DeviceProfile profile = DeviceProfile::of(device.info());
  std::uint32_t width = profile.cpu_like ? cpu_width : gpu_width;
  width = std::min(width, std::max<std::uint32_t>(profile.max_workgroup_invocations, 1));
  width = std::min(width, std::max<std::uint32_t>(device.info().max_workgroup_size[0], 1));
  return width;
}

// Element-wise ops (optimizers, batch gather and store): full 256-wide
// groups on GPUs; on CPU drivers 64 (8 SIMD iterations).
inline std::uint32_t elementwise_width(const Device& device) {
  return workgroup_width(device, 256, 64);
}

// How many workgroups a grid-stride shader (one item per invocation per
// pass, looping over the rest) is launched with.
enum class GridPolicy {
  // Enough groups for one pass over the items, up to the device's
  // group-count limit.
  one_pass,
  // One pass on GPUs; on CPU drivers at most kCpuDriverMaxGroups groups
  // that loop, since lavapipe pays a fixed cost per workgroup.
  few_groups_on_cpu_drivers,
};

inline constexpr std::uint32_t kCpuDriverMaxGroups = 64;

// The grid-stride op families, each with the policy measured for it.
enum class GridStrideOp { pooling, relu, elementwise, optimizer, batch_copy, rows, resample };

// The one place the policies are chosen. Measured as the minimum of 40
// replays on the 2-core development machine (lavapipe):
// - optimizer: Adam over the seed model's 243,786 parameters in 64-wide
//   groups, 3.3 ms with 3810 groups, 0.8 ms with 64.
// - pooling: the course model's pool1 forward/backward, 3.0/5.1 ms in one
//   pass, 5.0/9.9 ms with 64 looping groups.
// - relu: one pass (its behaviour before the policies were named; not
//   measured with the cap). elementwise (op.hpp's elementwise functions):
//   as relu, the same work per item.
// - batch_copy (gather_batch, store_batch) and rows (loss, metrics: one row
//   per invocation, a batch is a few dozen rows): as the optimizer, little
//   work per item.
// - resample (gather_augmented_batch: a Philox draw, a matrix and a bilinear
//   sample per output pixel): as pooling, one pass (not measured with the cap).
constexpr GridPolicy grid_policy(GridStrideOp op) {
  switch (op) {
    case GridStrideOp::pooling:
    case GridStrideOp::relu:
    case GridStrideOp::elementwise:
    case GridStrideOp::resample:
      return GridPolicy::one_pass;
    case GridStrideOp::optimizer:
    case GridStrideOp::batch_copy:
    case GridStrideOp::rows:
      return GridPolicy::few_groups_on_cpu_drivers;
  }
  return GridPolicy::one_pass;
}

// Group count along x for `items` items in groups of `width` invocations.
inline std::uint32_t grid_groups(const Device& device, GridStrideOp op, std::uint64_t items,
                                 std::uint32_t width) {
  const std::uint64_t wanted = std::max<std::uint64_t>((items + width - 1) / width, 1);
  std::uint64_t limit = std::max<std::uint32_t>(device.info().max_workgroup_count[0], 1);
  if (grid_policy(op) == GridPolicy::few_groups_on_cpu_drivers &&
      DeviceProfile::of(device.info()).cpu_like) {
    limit = std::min<std::uint64_t>(limit, kCpuDriverMaxGroups);
  }
  return std::uint32_t(std::min(wanted, limit));
}

// A pipeline with one-dimensional workgroups `width` wide and a push block of
// `push_bytes`; its buffers are the shader's bindings (pipeline.hpp).
inline PipelineDesc pipeline_1d(const char* shader, std::uint32_t push_bytes, std::uint32_t width,
                                SpecConstants constants = {}) {
  PipelineDesc desc;
  desc.shader = shader;
  desc.push_constant_bytes = push_bytes;
  desc.workgroup = {width, 1, 1};
  desc.constants = std::move(constants);
  return desc;
}

// For a shader that includes texel_reads.glsl: its _texel build where the
// device profile reads through texels. That build declares its VKNN_INPUT
// bindings as uniform texel buffers, and the pipeline binds them so.
inline PipelineDesc read_inputs(PipelineDesc desc, const Device& device) {
  if (DeviceProfile::of(device.info()).texel_reads) desc.shader += "_texel";
  return desc;
}

// Records `desc` over `items` items with the grid policy of `op`, then a
// barrier, so the next op recorded may read the outputs.
template <class Push>
void record_grid_stride(Recording& recording, const PipelineDesc& desc, GridStrideOp op,
                        std::uint64_t items, std::initializer_list<const Buffer*> buffers,
                        const Push& push) {
  Device& device = recording.device();
  recording.dispatch(device.pipeline(desc), buffers, push,
                     {grid_groups(device, op, items, desc.workgroup[0]), 1, 1});
  recording.barrier();
}

}  // namespace vknn::vk::ops::detail
