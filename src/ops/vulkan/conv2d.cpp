#include "ops/vulkan/conv2d.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "vknn/error.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "vulkan/device.hpp"
#include "ops/vulkan/conv2d_shaders.hpp"
#include "ops/vulkan/conv2d_tiles.hpp"
#include "ops/vulkan/device_profile.hpp"
#include "ops/vulkan/dispatch.hpp"
#include "ops/vulkan/sum_slices.hpp"
#include "ops/vulkan/variant_choice.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk::ops {
namespace {

using namespace detail;  // the dispatch vocabulary, dispatch.hpp

Conv2DPush push_of(const Conv2DGeometry& g, Activation act = Activation::linear) {
  return {g.batch,    g.in_h,     g.in_w,     g.in_c,     g.out_h(),   g.out_w(), g.out_c,
          g.kernel_h, g.kernel_w, g.stride_h, g.stride_w, g.pad_top(), g.pad_left(),
          act == Activation::relu ? 1 : 0};
}

// automatic -> a variant: measured unless VKNN_AUTOTUNE=0
// (variant_choice.hpp); else, on CPU drivers (which all offer subgroup
// shuffles; one that did not would get shared_tiled), winograd where the op
// and shape have it (`winograd`) and the lanes can share its transforms,
// register_blocked otherwise; shared_tiled elsewhere. The profile's pick is
// also the tuner's incumbent, which another variant must beat by its noise
// margin. Why winograd there: on lavapipe it was faster or level in every
// measurement (tuner runs: forward 6.6-11.6 ms against 7.7-14.6 ms for
// register_blocked; whole steps in interleaved A/B rounds 0.68-1.00x),
// while single tuner runs on a noisy host kept picking either.
// `scratch` lists the op's buffer sizes in floats, `record` records the op
// on such buffers.
KernelVariant resolve(KernelVariant variant, Device& device, const char* op,
                      const std::string& shape, const std::vector<std::int64_t>& scratch,
                      const RecordOnScratch& record, bool winograd = false) {
  if (variant == KernelVariant::winograd && !winograd) {
    throw Error(std::string(op) + ": the winograd variant does not apply to " + shape +
                " (it needs a 3x3 kernel, stride 1, in_c and out_c multiples of 4 and subgroup "
                "shuffles, and is for the forward pass and the input and kernel gradients)");
  }
  if (variant != KernelVariant::automatic) return variant;
  const DeviceProfile profile = DeviceProfile::of(device.info());
  const KernelVariant by_profile =
      !(profile.cpu_like && profile.subgroup_shuffle) ? KernelVariant::shared_tiled
      : winograd && profile.shared_load_lanes > 0     ? KernelVariant::winograd
                                                      : KernelVariant::register_blocked;
  std::vector<KernelVariant> valid = {KernelVariant::shared_tiled};
  if (profile.subgroup_shuffle) valid.push_back(KernelVariant::register_blocked);
  if (winograd) valid.push_back(KernelVariant::winograd);
  return resolve_automatic(device, op, shape_token(shape), by_profile, valid, scratch, record);
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
  b.share_subgroup = DeviceProfile::of(info).shared_load_lanes;
  return b;
}

// Dispatches a register-blocked pipeline `desc` whose invocations each own
// `pixels` of `rows` output rows and whose workgroups along y cover
// `channel_groups` blocks of channels.
void dispatch_pixel_blocks(Recording& recording, const PipelineDesc& desc,
                           std::initializer_list<const Buffer*> buffers, const Conv2DPush& push,
                           std::int64_t rows, std::uint32_t pixels, std::uint32_t channel_groups) {
  Device& device = recording.device();
  const auto [gx, gz] = fold_groups(div_up(div_up(rows, pixels), desc.workgroup[0]), device);
  recording.dispatch(device.pipeline(desc), buffers, push, {gx, channel_groups, gz});
}

// ---- shared-tiled implicit GEMM (shaders/conv2d_tiled_gemm.glsl) ----
//
// The tiles are chosen per op and shape (conv2d_tiles.hpp). `rows` x `cols`
// is the GEMM's output; `dst` receives it, or with t.split > 1 the split's
// partial sums, which the caller adds up (the kernel gradient).
void dispatch_tiled(Recording& recording, const char* shader,
                    std::initializer_list<const Buffer*> buffers, const Conv2DPush& push,
                    std::int64_t rows, std::int64_t cols, bool a_depth_fastest, const GemmTiles& t) {
  Device& device = recording.device();
  PipelineDesc desc;
  desc.shader = shader;
  desc.push_constant_bytes = sizeof(Conv2DPush);
  desc.workgroup = {t.n / t.thread_n, t.m / t.thread_m, 1};
  using Spec = Conv2DTiledSpec;
  desc.constants = {{Spec::tile_m, t.m},         {Spec::tile_n, t.n},
                    {Spec::tile_k, t.k},         {Spec::thread_m, t.thread_m},
                    {Spec::thread_n, t.thread_n}, {Spec::a_depth_fastest, a_depth_fastest},
                    {Spec::split_k, t.split}};
  desc.shared_memory_bytes = t.shared_memory_bytes();
  if (t.split > 1) {
    recording.dispatch(device.pipeline(desc), buffers, push,
                       {div_up(rows, t.m), div_up(cols, t.n), t.split});
    return;
  }
  const auto [gx, gz] = fold_groups(div_up(rows, t.m), device);
  recording.dispatch(device.pipeline(desc), buffers, push, {gx, div_up(cols, t.n), gz});
}

// ---- Winograd F(2x2, 3x3) (shaders/conv2d_winograd.comp) ----
//
// Records the forward pass (src x, dst y, with bias) or the input gradient
// (src dy, dst dx; the kernel is bound again where the bias would be, and
// the shader never reads it there).
void dispatch_winograd(Recording& recording, const Conv2DGeometry& g, const Buffer& src,
                       const Buffer& kernel, const Buffer& bias, const Buffer& dst,
                       const Conv2DPush& push, bool backward_input) {
  Device& device = recording.device();
  const std::uint32_t share = DeviceProfile::of(device.info()).shared_load_lanes;
  const int dst_h = backward_input ? g.in_h : g.out_h();
  const int dst_w = backward_input ? g.in_w : g.out_w();
  const int dst_c = backward_input ? g.in_c : g.out_c;
  // Up to 6 tiles of a tile row (2 x 12 outputs) x 32 channels per
  // invocation; the row split evenly, so that few tiles are padding.
  // Measured on lavapipe (course conv2, batch 32, CPU time per call against
  // register_blocked, interleaved, noisy): forward 0.63-0.88x at 6 or 3
  // tiles x 32 channels, 1.0-1.1x at 4 x 16, 1.5-2x at 2 x 16: larger blocks
  // spread each transformed kernel vec4 (a load and a transform shared by
  // shuffles) over more multiply-adds. Input gradient (13 wide: 7 tiles):
  // 0.9-1.2x; the tuner keeps whichever is faster per shape.
  const int tile_columns = div_up(dst_w, 2);
  const int row_groups = div_up(tile_columns, 6);
  const std::uint32_t tiles = div_up(tile_columns, row_groups);
  const std::uint32_t channel_vecs = std::min<std::uint32_t>(8, std::uint32_t(dst_c / 4));
  const std::uint32_t width = 64;  // a multiple of every power-of-two `share` up to 64
  const std::int64_t owners = std::int64_t(g.batch) * div_up(dst_h, 2) *
                              div_up(div_up(dst_w, 2), int(tiles));
  using Spec = Conv2DWinogradSpec;
  const PipelineDesc desc = read_inputs(pipeline_1d("conv2d_winograd", sizeof(Conv2DPush), width,
                                                    {{Spec::tiles, tiles},
                                                     {Spec::channel_vecs, channel_vecs},
                                                     {Spec::share_subgroup, share},
                                                     {Spec::backward_input, backward_input}}),
                                        device);
  const auto [gx, gz] = fold_groups(div_up(owners, std::int64_t(width)), device);
  recording.dispatch(device.pipeline(desc), {&src, &kernel, &bias, &dst}, push,
                     {gx, div_up(dst_c, 4 * int(channel_vecs)), gz});
}

// The kernel gradient by F(3x3, 2x2) (shaders/conv2d_winograd_backward_kernel.comp).
void dispatch_winograd_kernel_grad(Recording& recording, const Conv2DGeometry& g, const Buffer& x,
                                   const Buffer& dy, const Buffer& dkernel, const Conv2DPush& push) {
  Device& device = recording.device();
  const std::uint32_t share = DeviceProfile::of(device.info()).shared_load_lanes;
  // 8 output channels per invocation where they divide out_c (the lanes'
  // blocks must not overlap), else 4.
  const std::uint32_t channel_vecs = g.out_c % 8 == 0 ? 2 : 1;
  const std::int64_t lanes = g.out_c / (4 * std::int64_t(channel_vecs));
  const std::uint32_t width = share > 0 ? share : std::uint32_t(std::clamp<std::int64_t>(lanes, 1, 64));
  using Spec = Conv2DWinogradKernelGradSpec;
  const PipelineDesc desc = read_inputs(
      pipeline_1d("conv2d_winograd_backward_kernel", sizeof(Conv2DPush), width,
                  {{Spec::channel_vecs, channel_vecs}, {Spec::share_subgroup, share}}), device);
  recording.dispatch(device.pipeline(desc), {&x, &dy, &dkernel}, push,
                     {div_up(lanes, width), std::uint32_t(g.in_c / 4), 1});
}

// ---- each pass in a resolved variant ----

void record_forward(Recording& recording, const Conv2DGeometry& g, const Buffer& x,
                    const Buffer& kernel, const Buffer& bias, const Buffer& y, Activation act,
                    KernelVariant variant, const GemmTiles& tiles) {
  Device& device = recording.device();
  const Conv2DPush push = push_of(g, act);
  const std::int64_t rows = std::int64_t(g.batch) * g.out_h() * g.out_w();
  if (variant == KernelVariant::winograd) {
    dispatch_winograd(recording, g, x, kernel, bias, y, push, false);
  } else if (variant == KernelVariant::register_blocked) {
    const Blocked b = blocked_for(device, "conv2d_forward");
    // 8 pixels x 32 channels per invocation where x is read as vec4s
    // (conv2: 9% less CPU time than 4 x 32 once the shader chains each
    // sum's 4 multiply-adds per step), 4 pixels x 64 channels where x is
    // read a float at a time (in_c not a multiple of 4), so each float read
    // feeds more FMAs; fewer channels where out_c is small.
    const std::uint32_t pixels = g.in_c % 4 == 0 ? 8 : 4;
    const std::uint32_t channel_vecs =
        std::min<std::uint32_t>(g.in_c % 4 == 0 ? 8 : 16, div_up(g.out_c, 4));
    using Spec = Conv2DForwardSpec;
    const PipelineDesc desc = pipeline_1d("conv2d_forward", sizeof(Conv2DPush), b.workgroup,
                                          {{Spec::pixels, pixels},
                                           {Spec::channel_vecs, channel_vecs},
                                           {Spec::ic_vec4, g.in_c % 4 == 0},
                                           {Spec::oc_vec4, g.out_c % 4 == 0},
                                           {Spec::share_subgroup, b.share_subgroup}});
    dispatch_pixel_blocks(recording, desc, {&x, &kernel, &bias, &y}, push, rows, pixels,
                          div_up(g.out_c, 4 * channel_vecs));
  } else {
    dispatch_tiled(recording, "conv2d_forward_tiled", {&x, &kernel, &bias, &y}, push, rows,
                   g.out_c, true, tiles);
  }
  recording.barrier();
}

void record_backward_input(Recording& recording, const Conv2DGeometry& g, const Buffer& dy,
                           const Buffer& kernel, const Buffer& dx, KernelVariant variant,
                           const GemmTiles& tiles) {
  Device& device = recording.device();
  const Conv2DPush push = push_of(g);
  const std::int64_t rows = std::int64_t(g.batch) * g.in_h * g.in_w;
  if (variant == KernelVariant::winograd) {
    dispatch_winograd(recording, g, dy, kernel, kernel, dx, push, true);
  } else if (variant == KernelVariant::register_blocked) {
    const Blocked b = blocked_for(device, "conv2d_backward_input");
    const bool oc_vec4 = g.out_c % 4 == 0;
    // Shared vec4 kernel loads afford 4 pixels x 64 channels (256 sums;
    // conv2: 5% less CPU time than 8 x 32, same workgroup count); without
    // them, loads dominate whatever the block and 4 x 4 will do. Fewer
    // input channels take more pixels, to keep 256 sums over each dy load:
    // cats-vs-dogs' conv2 (16 channels, batch 32) 48.9-52.2 ms at 4
    // pixels, 42.8-45.0 ms at 16 (lavapipe, three interleaved rounds).
    const bool share = b.share_subgroup > 0 && oc_vec4;
    const std::uint32_t channels = std::min<std::uint32_t>(share ? 64 : 4, std::uint32_t(g.in_c));
    const std::uint32_t pixels = share ? std::clamp<std::uint32_t>(256 / channels, 4, 16) : 4;
    using Spec = Conv2DBackwardInputSpec;
    const PipelineDesc desc =
        pipeline_1d("conv2d_backward_input", sizeof(Conv2DPush), b.workgroup,
                    {{Spec::pixels, pixels},
                     {Spec::channels, channels},
                     {Spec::oc_vec4, oc_vec4},
                     {Spec::share_subgroup, share ? b.share_subgroup : 0u},
                     {Spec::unit_stride, g.stride_h == 1 && g.stride_w == 1}});
    dispatch_pixel_blocks(recording, desc, {&dy, &kernel, &dx}, push, rows, pixels,
                          div_up(g.in_c, channels));
  } else {
    dispatch_tiled(recording, "conv2d_backward_input_tiled", {&dy, &kernel, &dx}, push, rows,
                   g.in_c, true, tiles);
  }
  recording.barrier();
}

void record_backward_kernel(Recording& recording, const Conv2DGeometry& g, const Buffer& x,
                            const Buffer& dy, const Buffer& dkernel, KernelVariant variant,
                            const GemmTiles& tiles) {
  Device& device = recording.device();
  const Conv2DPush push = push_of(g);
  const std::int64_t kernel_rows = std::int64_t(g.kernel_h) * g.kernel_w * g.in_c;
  if (variant == KernelVariant::winograd) {
    dispatch_winograd_kernel_grad(recording, g, x, dy, dkernel, push);
  } else if (variant == KernelVariant::register_blocked) {
    const Blocked b = blocked_for(device, "conv2d_backward_kernel");
    // Rows are read as vec4s of 4 channels when in_c allows; 32 rows x 8
    // channels per invocation then, else (in_c = 1 or 3: few rows, scalar
    // loads) at most 12 rows, which covers a 3x3x1 kernel in one block.
    const bool row_vec4 = g.in_c % 4 == 0;
    const std::uint32_t rows = row_vec4 ? std::uint32_t(std::min<std::int64_t>(32, kernel_rows))
                                        : std::uint32_t(std::min<std::int64_t>(12, kernel_rows));
    // Small workgroups: the lanes share a row block, and on lavapipe each
    // workgroup is one thread's task, so more of them spread better.
    const auto width_for = [&](std::int64_t lanes) {
      return b.share_subgroup > 0 ? b.share_subgroup
                                  : std::uint32_t(std::clamp<std::int64_t>(lanes, 1, 64));
    };
    const auto groups_for = [&](std::uint32_t vecs) {
      const std::int64_t lanes = div_up(g.out_c, 4 * vecs);
      return std::int64_t(div_up(lanes, width_for(lanes))) * div_up(kernel_rows, rows);
    };
    // 8 channels per invocation, but 4 where that is the difference between
    // one workgroup and two: conv1 (3x3x1 -> 64) was one workgroup, one
    // thread, and takes 0.75x the wall time as two (lavapipe, interleaved
    // runs: 4.1-5.5 ms against 5.6-6.8 ms, for 1.2-1.4x the CPU time).
    //
    // And 4 where 8 would leave lanes of the subgroup without channels:
    // with shared loads the workgroup is one subgroup wide whatever the
    // lanes, so out_c = 32 in 8s filled 4 of lavapipe's 8 lanes. Cats vs
    // dogs' conv2 (74x74x16 -> 32, batch 32): 58-71 ms in 8s, 35-41 ms in
    // 4s (interleaved, on a loaded machine).
    const bool idle_lanes = b.share_subgroup > 0 && div_up(g.out_c, 8) < b.share_subgroup;
    const std::uint32_t channel_vecs = std::min<std::uint32_t>(
        (groups_for(2) == 1 && groups_for(1) > 1) || idle_lanes ? 1 : 2, div_up(g.out_c, 4));
    const std::int64_t lanes = div_up(g.out_c, 4 * channel_vecs);
    const std::uint32_t width = width_for(lanes);
    using Spec = Conv2DBackwardKernelSpec;
    const PipelineDesc desc =
        read_inputs(pipeline_1d("conv2d_backward_kernel", sizeof(Conv2DPush), width,
                                {{Spec::rows, rows},
                                 {Spec::channel_vecs, channel_vecs},
                                 {Spec::row_vec4, row_vec4},
                                 {Spec::oc_vec4, g.out_c % 4 == 0},
                                 {Spec::share_subgroup, b.share_subgroup}}), device);
    recording.dispatch(device.pipeline(desc), {&x, &dy, &dkernel}, push,
                       {div_up(lanes, width), div_up(kernel_rows, rows), 1});
  } else if (tiles.split > 1) {
    // The split's partial sums, then their sum in slice order.
    const std::int64_t sums = g.kernel_size();
    const Buffer& partials = recording.scratch(std::uint64_t(tiles.split * sums) * sizeof(float),
                                               "conv2d_backward_kernel partial sums");
    dispatch_tiled(recording, "conv2d_backward_kernel_tiled", {&x, &dy, &partials}, push,
                   kernel_rows, g.out_c, false, tiles);
    recording.barrier();
    record_sum_slices(recording, partials, dkernel, std::uint32_t(sums), tiles.split,
                      std::uint32_t(sums));
  } else {
    dispatch_tiled(recording, "conv2d_backward_kernel_tiled", {&x, &dy, &dkernel}, push,
                   kernel_rows, g.out_c, false, tiles);
  }
  recording.barrier();
}

// A pass's implicit GEMM: rows x cols of output over a reduction of depth;
// `splittable` where the reduction may be split into slices (the kernel
// gradient).
struct GemmShape {
  std::int64_t rows, cols, depth;
  bool splittable = false;
};

// Records a pass in `variant` with `tiles` on buffers of its sizes, in the
// order of its scratch sizes.
using RecordPass = std::function<void(Recording&, KernelVariant, const GemmTiles&,
                                      const std::vector<const Buffer*>&)>;

// Records one pass on `buffers`: first its shared_tiled tiles are chosen
// (measured on GPUs, and only where the caller may run shared_tiled), then
// its variant, which the tuner measures with those tiles, so that
// shared_tiled competes in its best ones. The tuner's candidates run on
// scratch buffers of the `scratch` sizes (floats), never on the caller's.
void tune_and_record(Recording& recording, KernelVariant variant, const char* op,
                     const std::string& shape, const GemmShape& gemm,
                     const std::vector<std::int64_t>& scratch, bool winograd,
                     const std::vector<const Buffer*>& buffers, const RecordPass& record) {
  Device& device = recording.device();
  const auto pointers = [](const std::vector<Buffer>& owned) {
    std::vector<const Buffer*> p;
    for (const Buffer& b : owned) p.push_back(&b);
    return p;
  };
  const bool may_tile =
      variant == KernelVariant::automatic || variant == KernelVariant::shared_tiled;
  const GemmTiles tiles =
      may_tile ? choose_tiles(device, op, shape_token(shape), gemm.rows, gemm.cols, gemm.depth,
                              gemm.splittable, scratch,
                              [&](Recording& r, const GemmTiles& t, const std::vector<Buffer>& s) {
                                record(r, KernelVariant::shared_tiled, t, pointers(s));
                              })
               : default_tiles(DeviceProfile::of(device.info()), gemm.rows, gemm.cols);
  variant = resolve(variant, device, op, shape, scratch,
                    [&](Recording& r, KernelVariant v, const std::vector<Buffer>& s) {
                      record(r, v, tiles, pointers(s));
                    },
                    winograd);
  record(recording, variant, tiles, buffers);
}

}  // namespace

bool conv2d_winograd_applies(const Conv2DGeometry& g, const Device& device) {
  return g.kernel_h == 3 && g.kernel_w == 3 && g.stride_h == 1 && g.stride_w == 1 &&
         g.in_c % 4 == 0 && g.out_c % 4 == 0 && device.info().subgroup_shuffle;
}

void conv2d_forward(Recording& recording, const Conv2DGeometry& g, const Buffer& x,
                    const Buffer& kernel, const Buffer& bias, const Buffer& y, Activation act,
                    KernelVariant variant) {
  constexpr const char* op = "conv2d_forward";
  g.validate();
  const std::string shapes = g.describe();
  if (act == Activation::softmax) {
    throw Error(std::string(op) + ": activation 'softmax' is not supported (" + shapes +
                "); use 'linear' or 'relu' and apply softmax_forward separately");
  }
  require_floats(op, "x", x, g.input_size(), shapes);
  require_floats(op, "kernel", kernel, g.kernel_size(), shapes);
  require_floats(op, "bias", bias, g.out_c, shapes);
  require_floats(op, "y", y, g.output_size(), shapes);
  tune_and_record(
      recording, variant, op, shapes + (act == Activation::relu ? " relu" : ""),
      {std::int64_t(g.batch) * g.out_h() * g.out_w(), g.out_c,
       std::int64_t(g.kernel_h) * g.kernel_w * g.in_c},
      {g.input_size(), g.kernel_size(), g.out_c, g.output_size()},
      conv2d_winograd_applies(g, recording.device()), {&x, &kernel, &bias, &y},
      [&](Recording& r, KernelVariant v, const GemmTiles& t, const std::vector<const Buffer*>& b) {
        record_forward(r, g, *b[0], *b[1], *b[2], *b[3], act, v, t);
      });
}

void conv2d_backward_input(Recording& recording, const Conv2DGeometry& g, const Buffer& dy,
                           const Buffer& kernel, const Buffer& dx, KernelVariant variant) {
  constexpr const char* op = "conv2d_backward_input";
  g.validate();
  const std::string shapes = g.describe();
  require_floats(op, "dy", dy, g.output_size(), shapes);
  require_floats(op, "kernel", kernel, g.kernel_size(), shapes);
  require_floats(op, "dx", dx, g.input_size(), shapes);
  tune_and_record(
      recording, variant, op, shapes,
      {std::int64_t(g.batch) * g.in_h * g.in_w, g.in_c,
       std::int64_t(g.kernel_h) * g.kernel_w * g.out_c},
      {g.output_size(), g.kernel_size(), g.input_size()},
      conv2d_winograd_applies(g, recording.device()), {&dy, &kernel, &dx},
      [&](Recording& r, KernelVariant v, const GemmTiles& t, const std::vector<const Buffer*>& b) {
        record_backward_input(r, g, *b[0], *b[1], *b[2], v, t);
      });
}

void conv2d_backward_kernel(Recording& recording, const Conv2DGeometry& g, const Buffer& x,
                            const Buffer& dy, const Buffer& dkernel, KernelVariant variant) {
  constexpr const char* op = "conv2d_backward_kernel";
  g.validate();
  const std::string shapes = g.describe();
  require_floats(op, "x", x, g.input_size(), shapes);
  require_floats(op, "dy", dy, g.output_size(), shapes);
  require_floats(op, "dkernel", dkernel, g.kernel_size(), shapes);
  tune_and_record(
      recording, variant, op, shapes,
      {std::int64_t(g.kernel_h) * g.kernel_w * g.in_c, g.out_c,
       std::int64_t(g.batch) * g.out_h() * g.out_w(), /*splittable=*/true},
      {g.input_size(), g.output_size(), g.kernel_size()},
      conv2d_winograd_applies(g, recording.device()), {&x, &dy, &dkernel},
      [&](Recording& r, KernelVariant v, const GemmTiles& t, const std::vector<const Buffer*>& b) {
        record_backward_kernel(r, g, *b[0], *b[1], *b[2], v, t);
      });
}

void conv2d_backward_bias(Recording& recording, const Conv2DGeometry& g, const Buffer& dy,
                          const Buffer& dbias, KernelVariant variant) {
  constexpr const char* op = "conv2d_backward_bias";
  g.validate();
  const std::string shapes = g.describe();
  require_floats(op, "dy", dy, g.output_size(), shapes);
  require_floats(op, "dbias", dbias, g.out_c, shapes);
  Device& device = recording.device();
  const Conv2DPush push = push_of(g);

  PipelineDesc desc;
  desc.shader = "conv2d_backward_bias";
  desc.push_constant_bytes = sizeof(Conv2DPush);
  std::array<std::uint32_t, 3> groups{};
  variant = resolve(variant, device, op, shapes, {g.output_size(), g.out_c},
                    [&](Recording& r, KernelVariant v, const std::vector<Buffer>& s) {
                      conv2d_backward_bias(r, g, s[0], s[1], v);
                    });
  if (variant == KernelVariant::register_blocked) {
    const std::int64_t channel_blocks = div_up(g.out_c, 4);
    // One subgroup per workgroup: on lavapipe each workgroup is one
    // thread's task, and this pass is nothing but loads.
    const std::uint32_t width =
        std::max<std::uint32_t>(1, std::min<std::uint32_t>(64, device.info().subgroup_size));
    desc.workgroup = {width, 1, 1};
    desc.constants = {{Conv2DBackwardBiasSpec::variant, 0},
                      {Conv2DBackwardBiasSpec::oc_vec4, g.out_c % 4 == 0},
                      {Conv2DBackwardBiasSpec::split, 1}};
    groups = {div_up(channel_blocks, width), 1, 1};
  } else {
    // 64 channels by 4 pixel rows: 256 invocations, 1 KiB of shared memory.
    const std::uint32_t width = 64, split = 4;
    desc.workgroup = {width, split, 1};
    desc.constants = {{Conv2DBackwardBiasSpec::variant, 1},
                      {Conv2DBackwardBiasSpec::oc_vec4, 0},
                      {Conv2DBackwardBiasSpec::split, split}};
    desc.shared_memory_bytes = std::uint32_t(sizeof(float)) * width * split;
    groups = {div_up(g.out_c, width), 1, 1};
  }
  recording.dispatch(device.pipeline(desc), {&dy, &dbias}, push, groups);
  recording.barrier();
}

}  // namespace vknn::vk::ops
