#include "ops/vulkan/dense.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "vknn/error.hpp"
#include "vulkan/device.hpp"
#include "ops/vulkan/activations.hpp"
#include "ops/vulkan/dense_shaders.hpp"
#include "ops/vulkan/device_profile.hpp"
#include "ops/vulkan/dispatch.hpp"
#include "ops/vulkan/variant_choice.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk::ops {
namespace {

using namespace detail;  // the dispatch vocabulary, dispatch.hpp

// Register-blocked shape with shared row loads (dense_gemm_shuffle.comp,
// CPU drivers with subgroup shuffles): a workgroup is one subgroup, whose
// lanes share ROWS rows of C and own COLUMN_VECS vec4s of columns each.
// Measured on lavapipe (8 lanes) at the course's shapes, batch 32 and 256,
// against 8-64 rows and 1-4 vec4s per lane: 32 rows x 1 vec4 (a 32 x 32
// block per workgroup) was the fastest or level with the fastest (16 x 2)
// for all three products; more columns per lane spill more registers than
// they save, more rows leave too few workgroups for the cores at batch 32.
// (At 16 x 2 half of the time went to the lanes' own B loads, a tenth to
// the shuffles: B loads per multiply-add fall as 1 / rows.) Fewer rows
// where M is smaller (batch 1).
constexpr std::uint32_t kShuffleRows = 32;
constexpr std::uint32_t kShuffleColumnVecs = 1;

thread_local int without_shuffles_depth = 0;

// Register-blocked shape without shuffles (dense_gemm_blocked.comp, CPU
// drivers without them): 8 lanes (one SIMD row of lavapipe) per workgroup,
// each owning an 8x8 block of C (4x4 along an axis of at most 4). Measured on
// lavapipe at the course's shapes against 4x4, 4x8 and 8x4: 8x8 loads the
// fewest vec4s per multiply-add, which is what counts there (see
// dense_gemm_blocked.comp). With shuffles the shape above is 3-5x faster.
constexpr std::uint32_t kBlockedLanes = 8;
constexpr std::uint32_t kBlockedEdge = 8;

// Shared-tiled shape: TILE_K deep slabs; 4x4 outputs per invocation. A
// textbook starting point, not yet measured on a GPU (none was at hand when
// it was written); lavapipe runs it, slowly, to keep it cross-checked.
constexpr std::uint32_t kTileK = 16;
constexpr std::uint32_t kThreadTile = 4;

// C[M,N] = A(M,K) * B(K,N) (+ bias, relu); see dense_gemm_blocked.comp.
// record_gemm() ends with a barrier.
struct Gemm {
  std::uint32_t M = 0, N = 0, K = 0;
  bool transpose_a = false, transpose_b = false;
  const Buffer* a = nullptr;
  const Buffer* b = nullptr;
  const Buffer* bias = nullptr;  // optional
  const Buffer* c = nullptr;
  bool relu = false;
};

void record_gemm(Recording& recording, const Gemm& gemm, KernelVariant variant);

// automatic -> a variant: measured unless VKNN_AUTOTUNE=0
// (variant_choice.hpp), else register_blocked on CPU drivers, shared_tiled
// elsewhere.
KernelVariant resolve(KernelVariant variant, Device& device, const Gemm& gemm, bool share) {
  if (variant == KernelVariant::winograd) {
    throw Error("dense: there is no winograd variant (it is conv2d's); use register_blocked, "
                "shared_tiled or automatic");
  }
  if (variant != KernelVariant::automatic) return variant;
  const KernelVariant by_profile = DeviceProfile::of(device.info()).cpu_like
                                       ? KernelVariant::register_blocked
                                       : KernelVariant::shared_tiled;
  std::ostringstream shape;
  shape << "M" << gemm.M << "_N" << gemm.N << "_K" << gemm.K << "_ta" << gemm.transpose_a << "_tb"
        << gemm.transpose_b << "_bias" << (gemm.bias != nullptr) << "_relu" << gemm.relu
        << "_share" << share;
  const std::vector<std::int64_t> scratch = {std::int64_t(gemm.M) * gemm.K,
                                             std::int64_t(gemm.K) * gemm.N, gemm.N,
                                             std::int64_t(gemm.M) * gemm.N};
  return resolve_automatic(
      device, "dense_gemm", shape.str(), by_profile,
      {KernelVariant::register_blocked, KernelVariant::shared_tiled}, scratch,
      [&](Recording& r, KernelVariant v, const std::vector<Buffer>& s) {
        Gemm on_scratch = gemm;
        on_scratch.a = &s[0];
        on_scratch.b = &s[1];
        on_scratch.bias = gemm.bias ? &s[2] : nullptr;
        on_scratch.c = &s[3];
        record_gemm(r, on_scratch, v);
      });
}

void record_gemm(Recording& recording, const Gemm& gemm, KernelVariant variant) {
  Device& device = recording.device();
  const DeviceProfile profile = DeviceProfile::of(device.info());
  PipelineDesc desc;
  desc.push_constant_bytes = sizeof(GemmPush);
  desc.constants = {{GemmSpec::transpose_a, gemm.transpose_a},
                    {GemmSpec::transpose_b, gemm.transpose_b},
                    {GemmSpec::has_bias, gemm.bias != nullptr},
                    {GemmSpec::relu, gemm.relu}};
  std::array<std::uint32_t, 3> groups{};

  // DeviceProfile decides whether lanes may share loads through shuffles.
  const std::uint32_t subgroup = profile.shared_load_lanes;
  const bool share = subgroup > 0 && without_shuffles_depth == 0;
  // vec4 accesses need the contiguous axis to be a multiple of 4 long.
  const bool vec4_a = (gemm.transpose_a ? gemm.M : gemm.K) % 4 == 0;
  const bool vec4_b = (gemm.transpose_b ? gemm.K : gemm.N) % 4 == 0;
  const bool vec4_c = gemm.N % 4 == 0;

  variant = resolve(variant, device, gemm, share);
  if (variant == KernelVariant::register_blocked && share) {
    const std::uint32_t rows = std::min(kShuffleRows, div_up(gemm.M, 4) * 4);
    desc.shader = "dense_gemm_shuffle";
    desc.workgroup = {subgroup, 1, 1};
    using Spec = GemmShuffleSpec;
    desc.constants.set({{Spec::rows, rows},
                        {Spec::column_vecs, kShuffleColumnVecs},
                        {Spec::vec4_a, vec4_a},
                        {Spec::vec4_b, vec4_b},
                        {Spec::vec4_c, vec4_c},
                        {Spec::share_subgroup, subgroup}});
    groups = {div_up(gemm.N, subgroup * 4 * kShuffleColumnVecs), div_up(gemm.M, rows), 1};
    desc = read_inputs(std::move(desc), device);
  } else if (variant == KernelVariant::register_blocked) {
    const std::uint32_t rows = gemm.M <= 4 ? 4 : kBlockedEdge;
    const std::uint32_t columns = gemm.N <= 4 ? 4 : kBlockedEdge;
    desc.shader = "dense_gemm_blocked";
    desc.workgroup = {kBlockedLanes, 1, 1};
    using Spec = GemmBlockedSpec;
    desc.constants.set({{Spec::rows, rows},
                        {Spec::columns, columns},
                        {Spec::vec4_a, vec4_a},
                        {Spec::vec4_b, vec4_b},
                        {Spec::vec4_c, vec4_c}});
    const std::int64_t blocks = std::int64_t(div_up(gemm.M, rows)) * div_up(gemm.N, columns);
    groups = {div_up(blocks, kBlockedLanes), 1, 1};
  } else {
    // 64x64 tiles where the output is large enough to fill them, 32 along an
    // axis that is not (the course's batch of 32, its 10 classes), and 32x32
    // where the device cannot run 256 invocations in a workgroup.
    const bool small_groups = profile.max_workgroup_invocations < 256;
    const std::uint32_t tile_m = gemm.M >= 64 && !small_groups ? 64 : 32;
    const std::uint32_t tile_n = gemm.N >= 64 && !small_groups ? 64 : 32;
    desc.shader = "dense_gemm_tiled";
    desc.workgroup = {tile_n / kThreadTile, tile_m / kThreadTile, 1};
    desc.constants.set({{GemmTiledSpec::tile_m, tile_m},
                        {GemmTiledSpec::tile_n, tile_n},
                        {GemmTiledSpec::tile_k, kTileK}});
    desc.shared_memory_bytes = std::uint32_t(sizeof(float)) * kTileK * (tile_m + tile_n + 2);
    groups = {div_up(gemm.N, tile_n), div_up(gemm.M, tile_m), 1};
  }
  const GemmPush push{gemm.M, gemm.N, gemm.K};
  const Buffer* bias = gemm.bias ? gemm.bias : gemm.a;  // bound, never read
  recording.dispatch(device.pipeline(desc), {gemm.a, gemm.b, bias, gemm.c}, push, groups);
  recording.barrier();
}

std::int64_t x_size(const DenseGeometry& g) { return std::int64_t(g.batch) * g.in_features; }
std::int64_t y_size(const DenseGeometry& g) { return std::int64_t(g.batch) * g.out_features; }
std::int64_t kernel_size(const DenseGeometry& g) {
  return std::int64_t(g.in_features) * g.out_features;
}

}  // namespace

namespace detail {
DenseWithoutShuffles::DenseWithoutShuffles() { ++without_shuffles_depth; }
DenseWithoutShuffles::~DenseWithoutShuffles() { --without_shuffles_depth; }
}  // namespace detail

void dense_forward(Recording& recording, const DenseGeometry& g, const Buffer& x,
                   const Buffer& kernel, const Buffer& bias, const Buffer& y, Activation act,
                   KernelVariant variant) {
  g.validate();
  const std::string shapes = g.describe();
  require_floats("dense_forward", "x", x, x_size(g), shapes);
  require_floats("dense_forward", "kernel", kernel, kernel_size(g), shapes);
  require_floats("dense_forward", "bias", bias, g.out_features, shapes);
  require_floats("dense_forward", "y", y, y_size(g), shapes);
  record_gemm(recording,
              {.M = std::uint32_t(g.batch), .N = std::uint32_t(g.out_features),
               .K = std::uint32_t(g.in_features), .a = &x, .b = &kernel, .bias = &bias, .c = &y,
               .relu = act == Activation::relu},
              variant);
  // In place over y; softmax_forward ends with its own barrier.
  if (act == Activation::softmax) {
    softmax_forward(recording, ClassesGeometry{g.batch, g.out_features}, y, y);
  }
}

void dense_backward_input(Recording& recording, const DenseGeometry& g, const Buffer& dy,
                          const Buffer& kernel, const Buffer& dx, KernelVariant variant) {
  g.validate();
  const std::string shapes = g.describe();
  require_floats("dense_backward_input", "dy", dy, y_size(g), shapes);
  require_floats("dense_backward_input", "kernel", kernel, kernel_size(g), shapes);
  require_floats("dense_backward_input", "dx", dx, x_size(g), shapes);
  // dx[batch, in] = dy[batch, out] * kernel[in, out]^T
  record_gemm(recording,
              {.M = std::uint32_t(g.batch), .N = std::uint32_t(g.in_features),
               .K = std::uint32_t(g.out_features), .transpose_b = true, .a = &dy, .b = &kernel,
               .c = &dx},
              variant);
}

void dense_backward_kernel(Recording& recording, const DenseGeometry& g, const Buffer& x,
                           const Buffer& dy, const Buffer& dkernel, KernelVariant variant) {
  g.validate();
  const std::string shapes = g.describe();
  require_floats("dense_backward_kernel", "x", x, x_size(g), shapes);
  require_floats("dense_backward_kernel", "dy", dy, y_size(g), shapes);
  require_floats("dense_backward_kernel", "dkernel", dkernel, kernel_size(g), shapes);
  // dkernel[in, out] = x[batch, in]^T * dy[batch, out]
  record_gemm(recording,
              {.M = std::uint32_t(g.in_features), .N = std::uint32_t(g.out_features),
               .K = std::uint32_t(g.batch), .transpose_a = true, .a = &x, .b = &dy,
               .c = &dkernel},
              variant);
}

void dense_backward_bias(Recording& recording, const DenseGeometry& g, const Buffer& dy,
                         const Buffer& dbias) {
  g.validate();
  const std::string shapes = g.describe();
  require_floats("dense_backward_bias", "dy", dy, y_size(g), shapes);
  require_floats("dense_backward_bias", "dbias", dbias, g.out_features, shapes);
  const DenseBiasGradPush push{std::uint32_t(g.batch), std::uint32_t(g.out_features)};
  Device& device = recording.device();
  PipelineDesc desc;
  desc.shader = "dense_bias_grad";
  desc.push_constant_bytes = sizeof(DenseBiasGradPush);
  desc.workgroup = {64, 1, 1};
  recording.dispatch(device.pipeline(desc), {&dy, &dbias}, push,
                     {div_up(g.out_features, 64), 1, 1});
  recording.barrier();
}

}  // namespace vknn::vk::ops
