// conv2d's shared_tiled tiles (src/ops/vulkan/conv2d_tiles.hpp): names and
// their parser, the candidates the tuner is offered, VKNN_CONV2D_TILES, and
// the measuring itself on the device. Every configuration's results are
// cross-checked against the CPU reference by the op table
// (tests/ops/op_table_test.cpp, the ..._shared_tiled_m... cases).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <vector>

#include "ops/vulkan/conv2d.hpp"
#include "ops/vulkan/conv2d_tiles.hpp"
#include "ops/vulkan/device_profile.hpp"
#include "support/error_text.hpp"
#include "support/scoped_env.hpp"
#include "support/temp_dir.hpp"
#include "support/vulkan_fixture.hpp"
#include "vknn/device.hpp"
#include "vknn/error.hpp"
#include "vknn/ops/geometry.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "vulkan/device.hpp"
#include "vulkan/tuning/autotuner.hpp"

namespace {

using vknn::vk::DeviceProfile;
using vknn::vk::ops::GemmTiles;
using vknn::vk::ops::parse_tiles;
using vknn::vk::ops::tile_candidates;
using vknn_test::ScopedEnv;

DeviceProfile gpu_profile(std::uint32_t invocations = 1024, std::uint32_t shared = 49152) {
  DeviceProfile p;
  p.cpu_like = false;
  p.max_workgroup_invocations = invocations;
  p.max_shared_memory_bytes = shared;
  return p;
}

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(Conv2dTileNames, EveryConfigurationReadsBackAsItself) {
  for (GemmTiles t : vknn::vk::ops::tile_set()) {
    for (std::uint32_t split : {1u, 8u, 256u}) {
      t.split = split;
      const auto parsed = parse_tiles(t.name());
      ASSERT_TRUE(parsed.tiles.has_value()) << t.name() << ": " << parsed.problem;
      EXPECT_EQ(*parsed.tiles, t) << t.name();
    }
  }
  EXPECT_EQ((GemmTiles{64, 64, 16, 4, 4}).name(), "m64n64k16t4x4");
  EXPECT_EQ((GemmTiles{16, 64, 16, 1, 4, 8}).name(), "m16n64k16t1x4s8");
}

TEST(Conv2dTileNames, BadNamesAreRefusedSayingWhatIsWrong) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "not a tile configuration"},
      {"64x64", "not a tile configuration"},
      {"m64n64k16t4", "not a tile configuration"},
      {"m64n64k16t4x", "not a tile configuration"},
      {"m64n64k16t4x4 ", "trailing text"},
      {"m64n64k16t4x4s", "trailing text"},
      {"m64n64k16t4x4q2", "trailing text"},
      {"m48n64k16t4x4", "48 is not"},
      {"m64n64k0t4x4", "0 is not"},
      {"m64n64k16t4x4s3", "3 is not"},
      {"m4n64k16t8x4", "must fit in the tile"},
      {"m64n64k16t4x4s512", "split 512 is over 256"},
      {"m99999999999n64k16t4x4", "not a tile configuration"},
      {"m-64n64k16t4x4", "not a tile configuration"},
  };
  for (const auto& [name, problem] : bad) {
    const auto parsed = parse_tiles(name);
    EXPECT_FALSE(parsed.tiles.has_value()) << "'" << name << "' was accepted";
    EXPECT_TRUE(mentions(parsed.problem, problem)) << name << ": " << parsed.problem;
    if (!name.empty()) EXPECT_TRUE(mentions(parsed.problem, "'" + name + "'")) << parsed.problem;
  }
}

TEST(Conv2dTileCandidates, TheDefaultComesFirstAndEveryCandidateFitsTheDevice) {
  const DeviceProfile small = gpu_profile(128, 16384);
  for (const DeviceProfile& profile : {gpu_profile(), small}) {
    for (const auto& [rows, cols, depth] : std::vector<std::array<std::int64_t, 3>>{
             {100352, 1, 576}, {165888, 16, 288}, {288, 64, 36992}, {9, 16, 21632},
             {36992, 64, 288}}) {
      for (const bool splittable : {false, true}) {
        const auto candidates = tile_candidates(profile, rows, cols, depth, splittable);
        ASSERT_FALSE(candidates.empty());
        EXPECT_EQ(candidates.front(), vknn::vk::ops::default_tiles(profile, rows, cols));
        std::set<std::string> names;
        for (const GemmTiles& t : candidates) {
          EXPECT_TRUE(names.insert(t.name()).second) << "twice: " << t.name();
          EXPECT_EQ(vknn::vk::ops::tiles_unfit(t, profile), "") << t.name();
          if (!splittable) EXPECT_EQ(t.split, 1u) << t.name();
        }
      }
    }
  }
  // A one-channel input gradient gets only tiles 4 columns wide.
  for (const GemmTiles& t : tile_candidates(gpu_profile(), 100352, 1, 576, false)) {
    EXPECT_LE(t.n, 4u) << t.name();
  }
  // 128 invocations leave out every 256-invocation tile.
  for (const GemmTiles& t : tile_candidates(small, 36992, 64, 288, false)) {
    EXPECT_LE(t.invocations(), 128u) << t.name();
  }
}

TEST(Conv2dTileCandidates, OnlyAFewWorkgroupsOverALongReductionAreSplit) {
  // The cats model's conv3 kernel gradient: 288 x 64 over 32 x 34 x 34 pixels.
  const auto kernel_grad = tile_candidates(gpu_profile(), 288, 64, 36992, true);
  const auto split = std::count_if(kernel_grad.begin(), kernel_grad.end(),
                                   [](const GemmTiles& t) { return t.split > 1; });
  EXPECT_GT(split, 0);
  for (const GemmTiles& t : kernel_grad) {
    if (t.split == 1) continue;
    const std::int64_t groups = ((288 + t.m - 1) / t.m) * ((64 + t.n - 1) / t.n);
    EXPECT_LE(groups * t.split, 1024) << t.name();
    EXPECT_GE(36992 / (std::int64_t(t.split) * t.k), 16) << t.name() << ": slices too shallow";
  }
  // A short reduction is not split: 25 steps 16 deep make no two slices of 16.
  for (const GemmTiles& t : tile_candidates(gpu_profile(), 288, 64, 400, true)) {
    EXPECT_EQ(t.split, 1u) << t.name();
  }
}

TEST(Conv2dTilesVariable, UnsetMeansNoneAndABadOrUnfitValueIsAnErrorNamingIt) {
  {
    const ScopedEnv unset("VKNN_CONV2D_TILES", nullptr);
    EXPECT_FALSE(vknn::vk::ops::forced_tiles(gpu_profile()).has_value());
  }
  {
    const ScopedEnv set("VKNN_CONV2D_TILES", "m128n64k16t8x4s4");
    const auto forced = vknn::vk::ops::forced_tiles(gpu_profile());
    ASSERT_TRUE(forced.has_value());
    EXPECT_EQ(*forced, (GemmTiles{128, 64, 16, 8, 4, 4}));
  }
  {
    const ScopedEnv bad("VKNN_CONV2D_TILES", "m64n64");
    const std::string message =
        vknn_test::error_of([] { vknn::vk::ops::forced_tiles(gpu_profile()); });
    EXPECT_TRUE(mentions(message, "VKNN_CONV2D_TILES")) << message;
    EXPECT_TRUE(mentions(message, "m64n64k16t4x4")) << message;  // the syntax, by example
  }
  {
    const ScopedEnv unfit("VKNN_CONV2D_TILES", "m128n128k16t1x1");
    const std::string message =
        vknn_test::error_of([] { vknn::vk::ops::forced_tiles(gpu_profile()); });
    EXPECT_TRUE(mentions(message, "VKNN_CONV2D_TILES")) << message;
    EXPECT_TRUE(mentions(message, "16384 invocations")) << message;
  }
}

// ---- on the device ----

class Conv2dTilesOnTheDevice : public vknn_test::VulkanTest {};

// A small kernel gradient measured in three configurations, one split,
// through the device's tuner, as choose_tiles does on GPUs; asked again,
// the tuner answers from its cache.
TEST_F(Conv2dTilesOnTheDevice, TheTunerMeasuresEachConfigurationAndKeepsItsChoice) {
  // A context of its own, whose tuner starts from an empty cache folder.
  vknn_test::TempDir dir;
  const ScopedEnv folder("VKNN_CACHE_DIR", dir.path().c_str());
  const ScopedEnv autotune("VKNN_AUTOTUNE", "1");
  vknn::ContextOptions options;
  options.validation = vknn::Validation::on;
  vknn::Context context(options);
  auto& device = vknn::vk::device_of(context);
  const vknn::Conv2DGeometry g{.batch = 2, .in_h = 9, .in_w = 9, .in_c = 4, .out_c = 8,
                               .kernel_h = 3, .kernel_w = 3};
  const std::vector<GemmTiles> candidates = {
      {16, 64, 16, 1, 4}, {32, 32, 16, 4, 4}, {16, 64, 16, 1, 4, 4}};
  int recorded = 0;
  const auto record = [&](vknn::vk::Recording& r, const GemmTiles& t,
                          const std::vector<vknn::vk::Buffer>& s) {
    ++recorded;
    const ScopedEnv pinned("VKNN_CONV2D_TILES", t.name().c_str());
    vknn::vk::ops::conv2d_backward_kernel(r, g, s[0], s[1], s[2],
                                          vknn::vk::ops::KernelVariant::shared_tiled);
  };
  const std::string shape = "b2_9x9x4_to_8_k3x3";
  const auto before = device.autotuner().decisions().size();
  const std::string chosen = vknn::vk::ops::measure_tiles(
      device, "conv2d_backward_kernel", shape, candidates,
      {g.input_size(), g.output_size(), g.kernel_size()}, record);
  EXPECT_TRUE(std::any_of(candidates.begin(), candidates.end(),
                          [&](const GemmTiles& t) { return t.name() == chosen; }))
      << chosen;
  EXPECT_EQ(recorded, 3);
  const auto& decisions = device.autotuner().decisions();
  ASSERT_EQ(decisions.size(), before + 1);
  const auto& decision = decisions.back();
  EXPECT_EQ(decision.op, "conv2d_backward_kernel_tiles");
  EXPECT_EQ(decision.chosen, chosen);
  EXPECT_EQ(decision.times.size(), 3u);

  EXPECT_EQ(vknn::vk::ops::measure_tiles(device, "conv2d_backward_kernel", shape, candidates,
                                         {g.input_size(), g.output_size(), g.kernel_size()},
                                         record),
            chosen);
  EXPECT_EQ(recorded, 3);  // nothing measured the second time
  EXPECT_EQ(device.autotuner().decisions().size(), before + 1);  // the first decision stands
  EXPECT_EQ(context.validation_error_count(), 0u);
}

// CPU drivers never measure tiles: shared_tiled itself is not measured
// there (variant_choice.hpp), so its tiles are the shape's default.
TEST_F(Conv2dTilesOnTheDevice, ACpuDriverTakesTheDefaultWithoutMeasuring) {
  auto& device = vknn_test::device();
  const DeviceProfile profile = DeviceProfile::of(device.info());
  if (!profile.cpu_like) GTEST_SKIP() << "a GPU measures its tiles";
  const ScopedEnv unset("VKNN_CONV2D_TILES", nullptr);
  const auto measured = device.autotuner().measurements();
  const GemmTiles chosen = vknn::vk::ops::choose_tiles(
      device, "conv2d_backward_kernel", "cpu_default", 288, 64, 36992, true, {1, 1, 1},
      [](vknn::vk::Recording&, const GemmTiles&, const std::vector<vknn::vk::Buffer>&) {
        ADD_FAILURE() << "recorded a candidate";
      });
  EXPECT_EQ(chosen, vknn::vk::ops::default_tiles(profile, 288, 64));
  EXPECT_EQ(device.autotuner().measurements(), measured);
}

}  // namespace
