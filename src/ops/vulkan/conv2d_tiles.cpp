#include "ops/vulkan/conv2d_tiles.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "vknn/error.hpp"
#include "ops/vulkan/device_profile.hpp"
#include "ops/vulkan/variant_choice.hpp"
#include "vulkan/device.hpp"
#include "vulkan/tuning/autotuner.hpp"

namespace vknn::vk::ops {
namespace {

constexpr const char* kVariable = "VKNN_CONV2D_TILES";
constexpr std::uint32_t kMaxSplit = 256;

bool power_of_two(std::uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

std::int64_t next_power_of_two(std::int64_t v) {
  std::int64_t p = 1;
  while (p < v) p *= 2;
  return p;
}

// Slices that bring a GEMM of `groups` workgroups near 512, each slice at
// least 16 of the tile's k-steps deep; 1 where no split is worth it.
std::uint32_t split_for(const GemmTiles& t, std::int64_t groups, std::int64_t depth) {
  constexpr std::int64_t kTargetGroups = 512, kMinSteps = 16;
  if (groups >= kTargetGroups / 4) return 1;
  const std::int64_t by_groups = kTargetGroups / std::max<std::int64_t>(groups, 1);
  const std::int64_t by_depth = depth / (std::int64_t(t.k) * kMinSteps);
  std::int64_t split = 1;
  while (split * 2 <= std::min<std::int64_t>({by_groups, by_depth, kMaxSplit})) split *= 2;
  return std::uint32_t(split);
}

// Reads a positive decimal at `text` after `letter`; advances `text`.
bool read_field(std::string_view& text, char letter, std::uint32_t& value) {
  if (text.empty() || text.front() != letter) return false;
  text.remove_prefix(1);
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end == text.data()) return false;
  text.remove_prefix(std::size_t(end - text.data()));
  return true;
}

}  // namespace

// The set the tuner chooses from, besides the default. Every one is at most
// 256 invocations (what every Vulkan device allows: maxComputeWorkGroup
// Invocations >= 128 is required, 256 is what the GPUs vknn has met report
// as their least) and 12 KiB of shared memory; they cover narrow N (4, 16,
// 32 channels) and wide, 1 to 8 outputs a side per invocation.
const std::vector<GemmTiles>& tile_set() {
  static const std::vector<GemmTiles> set = {
    {128, 4, 16, 4, 1},   // in_c or out_c 1..4
    {64, 16, 16, 4, 2},   // 16 channels
    {128, 16, 16, 8, 1},  // 16 channels, 8 rows an invocation
    {32, 32, 16, 4, 4},   // 64 invocations
    {64, 32, 16, 4, 2},   // 32 channels
    {16, 64, 16, 1, 4},   // few rows (a kernel gradient's)
    {64, 64, 16, 4, 4},
    {128, 64, 16, 8, 4},  // 32 sums an invocation
    {64, 128, 16, 4, 8},
  };
  return set;
}

std::string GemmTiles::name() const {
  // Appended piece by piece: "m" + std::to_string(...) trips GCC 12's
  // -Wrestrict false positive.
  std::string s;
  const auto field = [&s](char letter, std::uint32_t value) {
    s += letter;
    s += std::to_string(value);
  };
  field('m', m);
  field('n', n);
  field('k', k);
  field('t', thread_m);
  field('x', thread_n);
  if (split > 1) field('s', split);
  return s;
}

ParsedTiles parse_tiles(std::string_view name) {
  const std::string shown(name);
  const std::string syntax =
      "expected m<M>n<N>k<K>t<thread M>x<thread N>, optionally s<split>, e.g. m64n64k16t4x4 or "
      "m64n64k16t4x4s8";
  GemmTiles t;
  std::string_view rest = name;
  if (!read_field(rest, 'm', t.m) || !read_field(rest, 'n', t.n) || !read_field(rest, 'k', t.k) ||
      !read_field(rest, 't', t.thread_m) || !read_field(rest, 'x', t.thread_n)) {
    return {std::nullopt, "'" + shown + "' is not a tile configuration: " + syntax};
  }
  if (!rest.empty() && !read_field(rest, 's', t.split)) {
    return {std::nullopt, "'" + shown + "' has trailing text: " + syntax};
  }
  if (!rest.empty()) return {std::nullopt, "'" + shown + "' has trailing text: " + syntax};
  for (const std::uint32_t v : {t.m, t.n, t.k, t.thread_m, t.thread_n, t.split}) {
    if (!power_of_two(v)) {
      return {std::nullopt, "'" + shown + "': every field must be a power of two (" +
                                std::to_string(v) + " is not)"};
    }
  }
  if (t.thread_m > t.m || t.thread_n > t.n) {
    return {std::nullopt, "'" + shown + "': the outputs an invocation keeps (t" +
                              std::to_string(t.thread_m) + "x" + std::to_string(t.thread_n) +
                              ") must fit in the tile (m" + std::to_string(t.m) + "n" +
                              std::to_string(t.n) + ")"};
  }
  if (t.split > kMaxSplit) {
    return {std::nullopt, "'" + shown + "': split " + std::to_string(t.split) + " is over " +
                              std::to_string(kMaxSplit)};
  }
  return {t, ""};
}

std::string tiles_unfit(const GemmTiles& t, const DeviceProfile& profile) {
  if (t.invocations() > profile.max_workgroup_invocations) {
    return t.name() + " needs " + std::to_string(t.invocations()) +
           " invocations a workgroup; the device allows " +
           std::to_string(profile.max_workgroup_invocations);
  }
  if (t.shared_memory_bytes() > profile.max_shared_memory_bytes) {
    return t.name() + " needs " + std::to_string(t.shared_memory_bytes()) +
           " bytes of shared memory; the device allows " +
           std::to_string(profile.max_shared_memory_bytes);
  }
  return "";
}

GemmTiles default_tiles(const DeviceProfile& profile, std::int64_t rows, std::int64_t cols) {
  const bool wide_workgroups = profile.max_workgroup_invocations >= 256;
  if (cols <= 4) return {128, 4, 16, 4, 1};         // 4 x 32 invocations
  if (cols <= 16) return {64, 16, 16, 4, 2};        // 8 x 16
  if (!wide_workgroups) return {32, 32, 16, 4, 4};  // 8 x 8
  if (rows <= 16) return {16, 64, 16, 1, 4};        // 16 x 16
  // 64 x 64 tiles, 16 deep, 4 x 4 per invocation: 256 invocations and
  // 8 KiB of shared memory.
  return {64, 64, 16, 4, 4};
}

std::vector<GemmTiles> tile_candidates(const DeviceProfile& profile, std::int64_t rows,
                                       std::int64_t cols, std::int64_t depth, bool splittable) {
  std::vector<GemmTiles> unsplit = {default_tiles(profile, rows, cols)};
  // Not mostly idle: a tile at most the next power of two of the GEMM's
  // side (at least 4 columns, 16 rows), and no narrower than 16 columns
  // where the GEMM has that many.
  const std::int64_t col_cap = std::max<std::int64_t>(4, next_power_of_two(cols));
  const std::int64_t row_cap = std::max<std::int64_t>(16, next_power_of_two(rows));
  const std::int64_t col_floor = std::min<std::int64_t>(16, next_power_of_two(cols));
  for (const GemmTiles& t : tile_set()) {
    if (t.n > col_cap || t.m > row_cap || t.n < col_floor) continue;
    if (!tiles_unfit(t, profile).empty()) continue;
    if (std::find(unsplit.begin(), unsplit.end(), t) == unsplit.end()) unsplit.push_back(t);
  }
  std::vector<GemmTiles> all = unsplit;
  if (splittable) {
    for (GemmTiles t : unsplit) {
      const std::int64_t groups = ((rows + t.m - 1) / t.m) * ((cols + t.n - 1) / t.n);
      t.split = split_for(t, groups, depth);
      if (t.split > 1) all.push_back(t);
    }
  }
  return all;
}

std::optional<GemmTiles> forced_tiles(const DeviceProfile& profile) {
  const char* value = std::getenv(kVariable);
  if (value == nullptr || *value == '\0') return std::nullopt;
  const ParsedTiles parsed = parse_tiles(value);
  if (!parsed.tiles) throw Error(std::string(kVariable) + ": " + parsed.problem);
  const std::string unfit = tiles_unfit(*parsed.tiles, profile);
  if (!unfit.empty()) throw Error(std::string(kVariable) + "='" + value + "': " + unfit);
  return parsed.tiles;
}

GemmTiles choose_tiles(Device& device, const std::string& op, const std::string& shape,
                       std::int64_t rows, std::int64_t cols, std::int64_t depth, bool splittable,
                       const std::vector<std::int64_t>& scratch_floats,
                       const RecordTilesOnScratch& record) {
  const DeviceProfile profile = DeviceProfile::of(device.info());
  if (std::optional<GemmTiles> forced = forced_tiles(profile)) {
    if (!splittable) forced->split = 1;  // the split is the kernel gradient's
    return *forced;
  }
  const GemmTiles fallback = default_tiles(profile, rows, cols);
  if (profile.cpu_like || !autotune_enabled()) return fallback;
  const std::vector<GemmTiles> candidates = tile_candidates(profile, rows, cols, depth, splittable);
  if (candidates.size() < 2) return fallback;
  const std::string chosen = measure_tiles(device, op, shape, candidates, scratch_floats, record);
  for (const GemmTiles& t : candidates) {
    if (t.name() == chosen) return t;
  }
  return fallback;
}

std::string measure_tiles(Device& device, const std::string& op, const std::string& shape,
                          const std::vector<GemmTiles>& candidates,
                          const std::vector<std::int64_t>& scratch_floats,
                          const RecordTilesOnScratch& record) {
  TuningScratch scratch(device, op, scratch_floats);
  std::vector<TuningCandidate> timed;
  for (const GemmTiles& t : candidates) {
    timed.push_back({t.name(), [&, t](Recording& r) { record(r, t, scratch.buffers()); }});
  }
  return device.autotuner().choose(op + "_tiles", shape, timed);
}

}  // namespace vknn::vk::ops
