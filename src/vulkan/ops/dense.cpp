#include "vulkan/ops/dense.hpp"

#include <array>
#include <cstdint>
#include <string>

#include "vulkan/device.hpp"
#include "vulkan/ops/activations.hpp"
#include "vulkan/ops/device_profile.hpp"
#include "vulkan/ops/dispatch_checks.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk::ops {
namespace {

using detail::div_up;
using detail::require_floats;

// Register-blocked shape: 8 lanes (one SIMD row of lavapipe) per workgroup,
// each owning an 8x8 block of C (4x4 along an axis of at most 4). Measured on
// lavapipe at the course's shapes against 4x4, 4x8 and 8x4: 8x8 loads the
// fewest vec4s per multiply-add, which is what counts there (see
// dense_gemm_blocked.comp).
constexpr std::uint32_t kBlockedLanes = 8;
constexpr std::uint32_t kBlockedEdge = 8;

// Shared-tiled shape: TILE_K deep slabs; 4x4 outputs per invocation. A
// textbook starting point, not yet measured on a GPU (none was at hand when
// it was written); lavapipe runs it, slowly, to keep it cross-checked.
constexpr std::uint32_t kTileK = 16;
constexpr std::uint32_t kThreadTile = 4;

// C[M,N] = A(M,K) * B(K,N) (+ bias, relu); see dense_gemm_blocked.comp.
struct Gemm {
  std::uint32_t M = 0, N = 0, K = 0;
  bool transpose_a = false, transpose_b = false;
  const Buffer* a = nullptr;
  const Buffer* b = nullptr;
  const Buffer* bias = nullptr;  // optional
  const Buffer* c = nullptr;
  bool relu = false;
};

struct GemmPush {
  std::uint32_t M, N, K;
};

KernelVariant resolve(KernelVariant variant, const DeviceProfile& profile) {
  if (variant != KernelVariant::automatic) return variant;
  return profile.cpu_like ? KernelVariant::register_blocked : KernelVariant::shared_tiled;
}

void record_gemm(Recording& recording, const Gemm& gemm, KernelVariant variant) {
  Device& device = recording.device();
  const DeviceProfile profile = DeviceProfile::of(device.info());
  PipelineDesc desc;
  desc.buffer_count = 4;
  desc.push_constant_bytes = sizeof(GemmPush);
  desc.constants = {gemm.transpose_a, gemm.transpose_b, gemm.bias != nullptr, gemm.relu};
  std::array<std::uint32_t, 3> groups{};

  if (resolve(variant, profile) == KernelVariant::register_blocked) {
    const std::uint32_t rows = gemm.M <= 4 ? 4 : kBlockedEdge;
    const std::uint32_t columns = gemm.N <= 4 ? 4 : kBlockedEdge;
    // vec4 accesses need the contiguous axis to be a multiple of 4 long.
    const bool vec4_a = (gemm.transpose_a ? gemm.M : gemm.K) % 4 == 0;
    const bool vec4_b = (gemm.transpose_b ? gemm.K : gemm.N) % 4 == 0;
    const bool vec4_c = gemm.N % 4 == 0;
    desc.shader = "dense_gemm_blocked";
    desc.workgroup = {kBlockedLanes, 1, 1};
    desc.constants.insert(desc.constants.end(), {rows, columns, vec4_a, vec4_b, vec4_c});
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
    desc.constants.insert(desc.constants.end(), {tile_m, tile_n, kTileK});
    desc.shared_memory_bytes = std::uint32_t(sizeof(float)) * kTileK * (tile_m + tile_n + 2);
    groups = {div_up(gemm.N, tile_n), div_up(gemm.M, tile_m), 1};
  }
  const GemmPush push{gemm.M, gemm.N, gemm.K};
  const Buffer* bias = gemm.bias ? gemm.bias : gemm.a;  // bound, never read
  recording.dispatch(device.pipeline(desc), {gemm.a, gemm.b, bias, gemm.c}, push, groups);
}

std::int64_t x_size(const DenseGeometry& g) { return std::int64_t(g.batch) * g.in_features; }
std::int64_t y_size(const DenseGeometry& g) { return std::int64_t(g.batch) * g.out_features; }
std::int64_t kernel_size(const DenseGeometry& g) {
  return std::int64_t(g.in_features) * g.out_features;
}

}  // namespace

void dense_forward(Recording& recording, const DenseGeometry& g, const Buffer& x,
                   const Buffer& kernel, const Buffer& bias, const Buffer& y, Activation act,
                   KernelVariant variant) {
  g.validate();
  const std::string shapes = g.describe();
  require_floats("dense_forward", "x", x, x_size(g), shapes);
  require_floats("dense_forward", "kernel", kernel, kernel_size(g), shapes);
  require_floats("dense_forward", "bias", bias, g.out_features, shapes);
  require_floats("dense_forward", "y", y, y_size(g), shapes);
  Gemm gemm;
  gemm.M = std::uint32_t(g.batch);
  gemm.N = std::uint32_t(g.out_features);
  gemm.K = std::uint32_t(g.in_features);
  gemm.a = &x;
  gemm.b = &kernel;
  gemm.bias = &bias;
  gemm.c = &y;
  gemm.relu = act == Activation::relu;
  record_gemm(recording, gemm, variant);
  recording.barrier();
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
  Gemm gemm;
  gemm.M = std::uint32_t(g.batch);
  gemm.N = std::uint32_t(g.in_features);
  gemm.K = std::uint32_t(g.out_features);
  gemm.transpose_b = true;
  gemm.a = &dy;
  gemm.b = &kernel;
  gemm.c = &dx;
  record_gemm(recording, gemm, variant);
  recording.barrier();
}

void dense_backward_kernel(Recording& recording, const DenseGeometry& g, const Buffer& x,
                           const Buffer& dy, const Buffer& dkernel, KernelVariant variant) {
  g.validate();
  const std::string shapes = g.describe();
  require_floats("dense_backward_kernel", "x", x, x_size(g), shapes);
  require_floats("dense_backward_kernel", "dy", dy, y_size(g), shapes);
  require_floats("dense_backward_kernel", "dkernel", dkernel, kernel_size(g), shapes);
  // dkernel[in, out] = x[batch, in]^T * dy[batch, out]
  Gemm gemm;
  gemm.M = std::uint32_t(g.in_features);
  gemm.N = std::uint32_t(g.out_features);
  gemm.K = std::uint32_t(g.batch);
  gemm.transpose_a = true;
  gemm.a = &x;
  gemm.b = &dy;
  gemm.c = &dkernel;
  record_gemm(recording, gemm, variant);
  recording.barrier();
}

void dense_backward_bias(Recording& recording, const DenseGeometry& g, const Buffer& dy,
                         const Buffer& dbias) {
  g.validate();
  const std::string shapes = g.describe();
  require_floats("dense_backward_bias", "dy", dy, y_size(g), shapes);
  require_floats("dense_backward_bias", "dbias", dbias, g.out_features, shapes);
  struct Push {
    std::uint32_t batch, out_features;
  } const push{std::uint32_t(g.batch), std::uint32_t(g.out_features)};
  Device& device = recording.device();
  PipelineDesc desc;
  desc.shader = "dense_bias_grad";
  desc.buffer_count = 2;
  desc.push_constant_bytes = sizeof(Push);
  desc.workgroup = {64, 1, 1};
  recording.dispatch(device.pipeline(desc), {&dy, &dbias}, push,
                     {div_up(g.out_features, 64), 1, 1});
  recording.barrier();
}

}  // namespace vknn::vk::ops
