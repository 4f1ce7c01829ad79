#include "vulkan/ops/conv2d.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <sstream>
#include <string>

#include "vknn/error.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "vulkan/device.hpp"
#include "vulkan/ops/device_profile.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk::ops {
namespace {

// Mirrors `Conv2DPush` in shaders/conv2d_common.glsl.
struct Conv2DPush {
  std::int32_t batch;
  std::int32_t in_h, in_w, in_c;
  std::int32_t out_h, out_w, out_c;
  std::int32_t kernel_h, kernel_w;
  std::int32_t stride_h, stride_w;
  std::int32_t pad_top, pad_left;
  std::int32_t relu;
};
static_assert(sizeof(Conv2DPush) == 56, "must match shaders/conv2d_common.glsl");

Conv2DPush push_of(const Conv2DGeometry& g, Activation act = Activation::linear) {
  return {g.batch,    g.in_h,     g.in_w,     g.in_c,     g.out_h(),   g.out_w(), g.out_c,
          g.kernel_h, g.kernel_w, g.stride_h, g.stride_w, g.pad_top(), g.pad_left(),
          act == Activation::relu ? 1 : 0};
}

std::uint32_t div_up(std::int64_t a, std::int64_t b) { return std::uint32_t((a + b - 1) / b); }

// The shaders index with 32-bit signed ints.
constexpr std::int64_t kMaxElements = std::int64_t(1) << 30;

void require_buffer(const char* op, const char* role, const Buffer& buffer, std::int64_t elements,
                    const Conv2DGeometry& g) {
  const std::uint64_t needed = std::uint64_t(elements) * sizeof(float);
  if (elements > kMaxElements) {
    std::ostringstream msg;
    msg << op << ": " << role << " has " << elements << " elements (" << g.describe()
        << "); the conv2d shaders index at most " << kMaxElements << " elements per buffer";
    throw Error(msg.str());
  }
  if (buffer.size() < needed) {
    std::ostringstream msg;
    msg << op << ": buffer '" << buffer.name() << "' passed as " << role << " holds "
        << buffer.size() << " bytes, but " << needed << " bytes (" << elements
        << " floats) are needed for " << g.describe();
    throw Error(msg.str());
  }
}

// automatic: register_blocked on CPU drivers (which all offer subgroup
// shuffles; one that did not would get shared_tiled), shared_tiled elsewhere.
bool use_register_blocked(KernelVariant variant, const Device& device) {
  if (variant == KernelVariant::automatic) {
    return DeviceProfile::of(device.info()).cpu_like && device.info().subgroup_shuffle;
  }
  return variant == KernelVariant::register_blocked;
}

// Splits a block count over group axes x and z (shaders: folded_group_x()).
std::array<std::uint32_t, 2> fold_groups(std::uint32_t blocks, const Device& device) {
  const std::uint32_t limit = device.info().max_workgroup_count[0];
  if (blocks <= limit) return {blocks, 1};
  const std::uint32_t z = div_up(blocks, limit);
  return {div_up(blocks, z), z};
}

// ---- register-blocked variant (shaders/conv2d_forward.comp and friends) ----
//
// Block sizes were measured on lavapipe with the course model's shapes
// (tests/ops/conv2d_crosscheck_test.cpp, DISABLED_CourseShapesBatch32); the
// shaders' comments say why large blocks and shared loads pay there.
struct Blocked {
  std::uint32_t share_subgroup = 0;  // SHARE_SUBGROUP: 0 = every lane loads for itself
  std::uint32_t workgroup = 64;      // a multiple of share_subgroup (a power of two <= 64)
};

Blocked blocked_for(const Device& device, const char* op) {
  const DeviceInfo& info = device.info();
  if (!info.subgroup_shuffle) {
    // The shaders declare the subgroup-shuffle capability even where they
    // do not use it, so they cannot run here at all.
    throw Error(std::string(op) + ": the register_blocked variant needs subgroup shuffles, which '" +
                info.name + "' does not support; use KernelVariant::shared_tiled or automatic");
  }
  Blocked b;
  // Share loads across a subgroup only where the subgroup is known to be
  // the reported size: CPU drivers run a subgroup as one SIMD vector. (GPUs
  // may run compute with another size unless it is pinned at pipeline
  // creation; the shaders poison their outputs with NaN should that happen.)
  const std::uint32_t size = info.subgroup_size;
  if (DeviceProfile::of(info).cpu_like && size >= 1 && size <= 64 && (size & (size - 1)) == 0) {
    b.share_subgroup = info.subgroup_size;
  }
  return b;
}

// ---- shared-tiled GEMM tiles (shaders/conv2d_tiled_gemm.glsl) ----
struct Tiles {
  std::uint32_t m, n, k, thread_m, thread_n;
};

// Tiles fitted to the GEMM's shape: a narrow N (in_c = 1 in the input
// gradient, out_c = 1) or a short M (a 3x3x1 kernel's 9 rows in the kernel
// gradient) would otherwise leave most of a 64 x 64 tile idle.
Tiles tiles_for(const Device& device, std::int64_t rows, std::int64_t cols) {
  const bool wide_workgroups = DeviceProfile::of(device.info()).max_workgroup_invocations >= 256;
  if (cols <= 4) return {128, 4, 16, 4, 1};  // 4 x 32 invocations
  if (cols <= 16) return {64, 16, 16, 4, 2};  // 8 x 16
  if (!wide_workgroups) return {32, 32, 16, 4, 4};  // 8 x 8
  if (rows <= 16) return {16, 64, 16, 1, 4};  // 16 x 16
  // 64 x 64 tiles, 16 deep, 4 x 4 per invocation: 256 invocations and
  // 8 KiB of shared memory.
  return {64, 64, 16, 4, 4};
}

void dispatch_tiled(Recording& recording, const char* shader, std::uint32_t buffer_count,
                    std::initializer_list<const Buffer*> buffers, const Conv2DPush& push,
                    std::int64_t rows, std::int64_t cols, bool a_depth_fastest) {
  Device& device = recording.device();
  const Tiles t = tiles_for(device, rows, cols);
  PipelineDesc desc;
  desc.shader = shader;
  desc.buffer_count = buffer_count;
  desc.push_constant_bytes = sizeof(Conv2DPush);
  desc.workgroup = {t.n / t.thread_n, t.m / t.thread_m, 1};
  desc.constants = {t.m, t.n, t.k, t.thread_m, t.thread_n, a_depth_fastest ? 1u : 0u};
  desc.shared_memory_bytes = std::uint32_t(sizeof(float)) * t.k * (t.m + t.n);
  const auto [gx, gz] = fold_groups(div_up(rows, t.m), device);
  recording.dispatch(device.pipeline(desc), buffers, push, {gx, div_up(cols, t.n), gz});
}

}  // namespace

void conv2d_forward(Recording& recording, const Conv2DGeometry& g, const Buffer& x,
                    const Buffer& kernel, const Buffer& bias, const Buffer& y, Activation act,
                    KernelVariant variant) {
  constexpr const char* op = "conv2d_forward";
  g.validate();
  if (act == Activation::softmax) {
    throw Error(std::string(op) + ": activation 'softmax' is not supported (" + g.describe() +
                "); use 'linear' or 'relu' and apply softmax_forward separately");
  }
  require_buffer(op, "x", x, g.input_size(), g);
  require_buffer(op, "kernel", kernel, g.kernel_size(), g);
  require_buffer(op, "bias", bias, g.out_c, g);
  require_buffer(op, "y", y, g.output_size(), g);
  Device& device = recording.device();
  const Conv2DPush push = push_of(g, act);
  const std::int64_t rows = std::int64_t(g.batch) * g.out_h() * g.out_w();

  if (use_register_blocked(variant, device)) {
    const Blocked b = blocked_for(device, op);
    // 8 pixels x 32 channels per invocation where x is read as vec4s
    // (conv2: 9% less CPU time than 4 x 32 once the shader chains each
    // sum's 4 multiply-adds per step), 4 pixels x 64 channels where x is
    // read a float at a time (in_c not a multiple of 4), so each float read
    // feeds more FMAs; fewer channels where out_c is small.
    const std::uint32_t pixels = g.in_c % 4 == 0 ? 8 : 4;
    const std::uint32_t channel_vecs =
        std::min<std::uint32_t>(g.in_c % 4 == 0 ? 8 : 16, div_up(g.out_c, 4));
    const std::uint32_t width = b.workgroup;
    PipelineDesc desc;
    desc.shader = "conv2d_forward";
    desc.buffer_count = 4;
    desc.push_constant_bytes = sizeof(Conv2DPush);
    desc.workgroup = {width, 1, 1};
    desc.constants = {pixels, channel_vecs, g.in_c % 4 == 0 ? 1u : 0u, g.out_c % 4 == 0 ? 1u : 0u,
                      b.share_subgroup};
    const auto [gx, gz] = fold_groups(div_up(div_up(rows, pixels), width), device);
    recording.dispatch(device.pipeline(desc), {&x, &kernel, &bias, &y}, push,
                       {gx, div_up(g.out_c, 4 * channel_vecs), gz});
  } else {
    dispatch_tiled(recording, "conv2d_forward_tiled", 4, {&x, &kernel, &bias, &y}, push, rows,
                   g.out_c, true);
  }
  recording.barrier();
}

void conv2d_backward_input(Recording& recording, const Conv2DGeometry& g, const Buffer& dy,
                           const Buffer& kernel, const Buffer& dx, KernelVariant variant) {
  constexpr const char* op = "conv2d_backward_input";
  g.validate();
  require_buffer(op, "dy", dy, g.output_size(), g);
  require_buffer(op, "kernel", kernel, g.kernel_size(), g);
  require_buffer(op, "dx", dx, g.input_size(), g);
  Device& device = recording.device();
  const Conv2DPush push = push_of(g);
  const std::int64_t rows = std::int64_t(g.batch) * g.in_h * g.in_w;

  if (use_register_blocked(variant, device)) {
    const Blocked b = blocked_for(device, op);
    const bool oc_vec4 = g.out_c % 4 == 0;
    // Shared vec4 kernel loads afford 4 pixels x 64 channels (256 sums;
    // conv2: 5% less CPU time than 8 x 32, same workgroup count); without
    // them, loads dominate whatever the block and 4 x 4 will do.
    const bool share = b.share_subgroup > 0 && oc_vec4;
    const std::uint32_t pixels = 4;
    const std::uint32_t channels = std::min<std::uint32_t>(share ? 64 : 4, std::uint32_t(g.in_c));
    const std::uint32_t width = b.workgroup;
    PipelineDesc desc;
    desc.shader = "conv2d_backward_input";
    desc.buffer_count = 3;
    desc.push_constant_bytes = sizeof(Conv2DPush);
    desc.workgroup = {width, 1, 1};
    desc.constants = {pixels, channels, oc_vec4 ? 1u : 0u, share ? b.share_subgroup : 0u,
                      g.stride_h == 1 && g.stride_w == 1 ? 1u : 0u};
    const auto [gx, gz] = fold_groups(div_up(div_up(rows, pixels), width), device);
    recording.dispatch(device.pipeline(desc), {&dy, &kernel, &dx}, push,
                       {gx, div_up(g.in_c, channels), gz});
  } else {
    dispatch_tiled(recording, "conv2d_backward_input_tiled", 3, {&dy, &kernel, &dx}, push, rows,
                   g.in_c, true);
  }
  recording.barrier();
}

void conv2d_backward_kernel(Recording& recording, const Conv2DGeometry& g, const Buffer& x,
                            const Buffer& dy, const Buffer& dkernel, KernelVariant variant) {
  constexpr const char* op = "conv2d_backward_kernel";
  g.validate();
  require_buffer(op, "x", x, g.input_size(), g);
  require_buffer(op, "dy", dy, g.output_size(), g);
  require_buffer(op, "dkernel", dkernel, g.kernel_size(), g);
  Device& device = recording.device();
  const Conv2DPush push = push_of(g);
  const std::int64_t kernel_rows = std::int64_t(g.kernel_h) * g.kernel_w * g.in_c;

  if (use_register_blocked(variant, device)) {
    const Blocked b = blocked_for(device, op);
    // Rows are read as vec4s of 4 channels when in_c allows; 32 rows x 8
    // channels per invocation then, else (in_c = 1 or 3: few rows, scalar
    // loads) at most 12 rows, which covers a 3x3x1 kernel in one block.
    const bool row_vec4 = g.in_c % 4 == 0;
    const std::uint32_t rows = row_vec4 ? std::uint32_t(std::min<std::int64_t>(32, kernel_rows))
                                        : std::uint32_t(std::min<std::int64_t>(12, kernel_rows));
    const std::uint32_t channel_vecs = std::min<std::uint32_t>(2, div_up(g.out_c, 4));
    const std::int64_t lanes = div_up(g.out_c, 4 * channel_vecs);
    // Small workgroups: the lanes share a row block, and on lavapipe each
    // workgroup is one thread's task, so more of them spread better.
    const std::uint32_t width = b.share_subgroup > 0
                                    ? b.share_subgroup
                                    : std::uint32_t(std::clamp<std::int64_t>(lanes, 1, 64));
    PipelineDesc desc;
    desc.shader = "conv2d_backward_kernel";
    desc.buffer_count = 3;
    desc.push_constant_bytes = sizeof(Conv2DPush);
    desc.workgroup = {width, 1, 1};
    desc.constants = {rows, channel_vecs, row_vec4 ? 1u : 0u, g.out_c % 4 == 0 ? 1u : 0u,
                      b.share_subgroup};
    recording.dispatch(device.pipeline(desc), {&x, &dy, &dkernel}, push,
                       {div_up(lanes, width), div_up(kernel_rows, rows), 1});
  } else {
    dispatch_tiled(recording, "conv2d_backward_kernel_tiled", 3, {&x, &dy, &dkernel}, push,
                   kernel_rows, g.out_c, false);
  }
  recording.barrier();
}

void conv2d_backward_bias(Recording& recording, const Conv2DGeometry& g, const Buffer& dy,
                          const Buffer& dbias, KernelVariant variant) {
  constexpr const char* op = "conv2d_backward_bias";
  g.validate();
  require_buffer(op, "dy", dy, g.output_size(), g);
  require_buffer(op, "dbias", dbias, g.out_c, g);
  Device& device = recording.device();
  const Conv2DPush push = push_of(g);

  PipelineDesc desc;
  desc.shader = "conv2d_backward_bias";
  desc.buffer_count = 2;
  desc.push_constant_bytes = sizeof(Conv2DPush);
  std::array<std::uint32_t, 3> groups{};
  if (use_register_blocked(variant, device)) {
    const std::int64_t channel_blocks = div_up(g.out_c, 4);
    // One subgroup per workgroup: on lavapipe each workgroup is one
    // thread's task, and this pass is nothing but loads.
    const std::uint32_t width =
        std::max<std::uint32_t>(1, std::min<std::uint32_t>(64, device.info().subgroup_size));
    desc.workgroup = {width, 1, 1};
    desc.constants = {0, g.out_c % 4 == 0 ? 1u : 0u, 1};
    groups = {div_up(channel_blocks, width), 1, 1};
  } else {
    // 64 channels by 4 pixel rows: 256 invocations, 1 KiB of shared memory.
    const std::uint32_t width = 64, split = 4;
    desc.workgroup = {width, split, 1};
    desc.constants = {1, 0, split};
    desc.shared_memory_bytes = std::uint32_t(sizeof(float)) * width * split;
    groups = {div_up(g.out_c, width), 1, 1};
  }
  recording.dispatch(device.pipeline(desc), {&dy, &dbias}, push, groups);
  recording.barrier();
}

}  // namespace vknn::vk::ops
