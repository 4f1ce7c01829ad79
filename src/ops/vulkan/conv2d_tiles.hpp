// The tiles of conv2d's shared_tiled variant (the implicit GEMM of
// shaders/conv2d_tiled_gemm.glsl), chosen per op and shape by measurement.
//
// A tile configuration is the GEMM tile a workgroup computes (m x n, staged
// k deep through shared memory), the outputs each invocation keeps in
// registers (thread_m x thread_n) and, for the kernel gradient only, a
// split of the reduction into `split` slices summed afterwards in slice
// order (sum_slices.comp): the kernel gradient's GEMM is small (M = kh*kw*
// in_c rows, N = out_c) over a long reduction (batch*out_h*out_w), so
// unsplit it is a handful of workgroups on a GPU with a hundred cores.
//
// Which one: VKNN_CONV2D_TILES when set (one configuration's name, for
// every shared_tiled conv2d dispatch: the op table runs each candidate that
// way, and a user can pin one); else, on GPUs with autotuning on, the
// fastest of tile_candidates() measured by the autotuner (op
// "<op>_tiles", cached like the variants); else default_tiles(), fitted to
// the GEMM's shape. CPU drivers do not measure them: there shared_tiled
// itself is not measured (variant_choice.hpp says why).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vulkan/fwd.hpp"

namespace vknn::vk {
struct DeviceProfile;
}

namespace vknn::vk::ops {

struct GemmTiles {
  std::uint32_t m = 64, n = 64, k = 16, thread_m = 4, thread_n = 4;
  std::uint32_t split = 1;  // reduction slices (kernel gradient only)

  std::uint32_t invocations() const { return (m / thread_m) * (n / thread_n); }
  std::uint32_t shared_memory_bytes() const { return 4 * k * (m + n); }
  // "m64n64k16t4x4", with "s8" appended for a split: the tuning cache's
  // token and VKNN_CONV2D_TILES's syntax.
  std::string name() const;
  bool operator==(const GemmTiles&) const = default;
};

// The configuration `name` spells, or why it is not one: every field a
// positive power of two, thread_m dividing m and thread_n dividing n,
// split at most 256.
struct ParsedTiles {
  std::optional<GemmTiles> tiles;
  std::string problem;
};
ParsedTiles parse_tiles(std::string_view name);

// The fixed set tile_candidates() draws from (unsplit), every one within
// 256 invocations and 12 KiB of shared memory.
const std::vector<GemmTiles>& tile_set();

// Whether `profile`'s device can run `tiles` (workgroup invocations and
// shared memory); else why not.
std::string tiles_unfit(const GemmTiles& tiles, const DeviceProfile& profile);

// The shape-fitted default for an M x N GEMM (no split): a narrow N (in_c =
// 1 in the input gradient, out_c = 1) or a short M (a 3x3x1 kernel's 9 rows
// in the kernel gradient) would otherwise leave most of a 64 x 64 tile idle.
GemmTiles default_tiles(const DeviceProfile& profile, std::int64_t rows, std::int64_t cols);

// What the tuner measures for an M x N x K GEMM on `profile`'s device: the
// default first (the tuner's incumbent), then each of a fixed set that fits
// the device and is not mostly idle at this shape; with `splittable`, also
// each of those split into enough slices to give the device about 512
// workgroups, where the reduction is long enough.
std::vector<GemmTiles> tile_candidates(const DeviceProfile& profile, std::int64_t rows,
                                       std::int64_t cols, std::int64_t depth, bool splittable);

// VKNN_CONV2D_TILES parsed and checked against the device: nullopt when
// unset or empty; a vknn::Error naming the variable, its value and what is
// wrong otherwise.
std::optional<GemmTiles> forced_tiles(const DeviceProfile& profile);

// Records the op's shared_tiled dispatches with `tiles` on the scratch
// buffers (one per entry of the scratch sizes given to choose_tiles).
using RecordTilesOnScratch =
    std::function<void(Recording&, const GemmTiles&, const std::vector<Buffer>& scratch)>;

// The configuration for `op` at `shape` (a token) over an M x N x K GEMM,
// as the header comment says.
GemmTiles choose_tiles(Device& device, const std::string& op, const std::string& shape,
                       std::int64_t rows, std::int64_t cols, std::int64_t depth, bool splittable,
                       const std::vector<std::int64_t>& scratch_floats,
                       const RecordTilesOnScratch& record);

// The autotuner's choice among `candidates` (the first its incumbent) for
// `op` at `shape`, by name; what choose_tiles asks on GPUs, callable on
// any device (tests measure on lavapipe through it).
std::string measure_tiles(Device& device, const std::string& op, const std::string& shape,
                          const std::vector<GemmTiles>& candidates,
                          const std::vector<std::int64_t>& scratch_floats,
                          const RecordTilesOnScratch& record);

}  // namespace vknn::vk::ops
