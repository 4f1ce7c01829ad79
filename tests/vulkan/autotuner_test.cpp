// The autotuner and its cache file: the faster of two variants wins, a
// second tuner over the same folder measures nothing, and a corrupt,
// truncated, foreign or unwritable cache is a warning, never an error.
// Every cache here lives in a TempDir, never in ~/.cache.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/scoped_env.hpp"
#include "support/error_text.hpp"
#include "support/temp_dir.hpp"
#include "support/vulkan_fixture.hpp"
#include "vknn/device.hpp"
#include "vknn/ops/geometry.hpp"
#include "vulkan/axpy_pipeline.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "vulkan/device.hpp"
#include "ops/vulkan/conv2d.hpp"
#include "ops/vulkan/dense.hpp"
#include "ops/vulkan/device_profile.hpp"
#include "ops/vulkan/variant_choice.hpp"
#include "vulkan/tuning/autotuner.hpp"
#include "vulkan/tuning/tuning_cache.hpp"

namespace {

using vknn::vk::TuningCache;
using vknn::vk::TuningIdentity;

const TuningIdentity kIdentity{"00112233445566778899aabbccddeeff", 42, "0.1.0"};

// Collects the warnings a cache gives.
struct Warnings {
  std::vector<std::string> messages;
  vknn::vk::TuningWarning sink() {
    return [this](const std::string& m) { messages.push_back(m); };
  }
};

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

using vknn_test::ScopedEnv;

TEST(TuningCacheFolder, FollowsVknnCacheDirThenXdgThenHome) {
  ScopedEnv dir("VKNN_CACHE_DIR", "/tmp/vknn-a");
  ScopedEnv xdg("XDG_CACHE_HOME", "/tmp/xdg");
  ScopedEnv home("HOME", "/tmp/home");
  EXPECT_EQ(vknn::vk::cache_directory(), std::filesystem::path("/tmp/vknn-a"));
  {
    ScopedEnv unset("VKNN_CACHE_DIR", nullptr);
    EXPECT_EQ(vknn::vk::cache_directory(), std::filesystem::path("/tmp/xdg/vknn"));
    ScopedEnv empty_xdg("XDG_CACHE_HOME", "");
    EXPECT_EQ(vknn::vk::cache_directory(), std::filesystem::path("/tmp/home/.cache/vknn"));
  }
}

TEST(TuningCacheFile, StoredChoicesAreReadBackByTheSameIdentityOnly) {
  vknn_test::TempDir dir;
  Warnings warnings;
  {
    TuningCache cache(dir.path(), kIdentity, warnings.sink());
    ASSERT_TRUE(cache.enabled());
    cache.store("conv2d_forward", "b32_28x28x1_k3x3_o32", "register_blocked");
    cache.store("dense_forward", "b32_i800_o128", "shared_tiled");
  }
  TuningCache again(dir.path(), kIdentity, warnings.sink());
  EXPECT_EQ(again.find("conv2d_forward", "b32_28x28x1_k3x3_o32"), "register_blocked");
  EXPECT_EQ(again.find("dense_forward", "b32_i800_o128"), "shared_tiled");
  EXPECT_EQ(again.find("dense_forward", "b1_i800_o128"), std::nullopt);
  EXPECT_TRUE(warnings.messages.empty());
  EXPECT_EQ(read_text(again.file()).rfind("vknn-tuning 1\ndevice " + kIdentity.device_uuid, 0), 0u);
  EXPECT_NE(vknn_test::error_of([&] { again.store("dense forward", "b1", "x"); }).find("whitespace"),
            std::string::npos);
}

TEST(TuningCacheFile, TwoCachesOverOneFolderKeepEachOthersChoices) {
  // As two processes of a parallel test run would: both read the file
  // before either stored anything.
  vknn_test::TempDir dir;
  TuningCache first(dir.path(), kIdentity);
  TuningCache second(dir.path(), kIdentity);
  first.store("conv2d_forward", "a", "register_blocked");
  second.store("dense_gemm", "b", "shared_tiled");
  first.store("conv2d_forward", "c", "shared_tiled");
  TuningCache reread(dir.path(), kIdentity);
  EXPECT_EQ(reread.find("conv2d_forward", "a"), "register_blocked");
  EXPECT_EQ(reread.find("dense_gemm", "b"), "shared_tiled");
  EXPECT_EQ(reread.find("conv2d_forward", "c"), "shared_tiled");
}

// What a cache given `text` as its file does: one warning naming `problem`,
// no choices, and a valid file after the next store.
void expect_ignored_then_rewritten(const std::string& text, const std::string& problem) {
  vknn_test::TempDir dir;
  const auto file = dir / ("tuning-" + kIdentity.device_uuid + ".txt");
  write_text(file, text);
  Warnings warnings;
  TuningCache cache(dir.path(), kIdentity, warnings.sink());
  ASSERT_EQ(warnings.messages.size(), 1u);
  EXPECT_NE(warnings.messages[0].find(problem), std::string::npos) << warnings.messages[0];
  EXPECT_NE(warnings.messages[0].find(file.string()), std::string::npos) << warnings.messages[0];
  EXPECT_EQ(cache.find("relu", "n10"), std::nullopt);
  cache.store("relu", "n10", "one_pass");
  Warnings later;
  TuningCache reread(dir.path(), kIdentity, later.sink());
  EXPECT_TRUE(later.messages.empty());
  EXPECT_EQ(reread.find("relu", "n10"), "one_pass");
}

std::string valid_file() {
  return "vknn-tuning 1\ndevice " + kIdentity.device_uuid +
         "\ndriver 42\nvknn 0.1.0\nchoice relu n10 gather\nchoice relu n20 scatter\nend 2\n";
}

TEST(TuningCacheFile, ACorruptFileIsIgnoredWithOneWarningAndRewritten) {
  expect_ignored_then_rewritten(std::string("\x7f" "ELF\x02\x01\x01\0\0\0\n", 11),
                                "does not start with 'vknn-tuning 1'");
  std::string bad_line = valid_file();
  bad_line.replace(bad_line.find("choice relu n20 scatter"), 23, "choice relu n20");
  expect_ignored_then_rewritten(bad_line, "line 6 is not 'choice <op> <shape> <variant>'");
}

TEST(TuningCacheFile, ATruncatedFileIsIgnoredWithOneWarningAndRewritten) {
  const std::string text = valid_file();
  // Cut inside the last choice: no 'end' line.
  expect_ignored_then_rewritten(text.substr(0, text.find("choice relu n20")) + "choice relu n20 s\n",
                                "its last line is not 'end 1' (truncated?)");
  // Cut mid-line.
  expect_ignored_then_rewritten(text.substr(0, text.size() - 3), "truncated?");
}

TEST(TuningCacheFile, AFileFromAnotherDriverIsIgnoredWithOneWarningAndRewritten) {
  std::string text = valid_file();
  text.replace(text.find("driver 42"), 9, "driver 41");
  expect_ignored_then_rewritten(text, "measured for device " + kIdentity.device_uuid + ", driver 41");
}

TEST(TuningCacheFile, AnUnwritableFolderDisablesCachingWithOneWarning) {
  vknn_test::TempDir dir;
  write_text(dir / "a-file", "not a folder");
  Warnings warnings;
  // Tests run as root, for whom permission bits do not stop writes; a
  // folder below a regular file cannot be created by anyone.
  TuningCache cache(dir / "a-file" / "vknn", kIdentity, warnings.sink());
  EXPECT_FALSE(cache.enabled());
  ASSERT_EQ(warnings.messages.size(), 1u);
  EXPECT_NE(warnings.messages[0].find("cannot create the cache folder"), std::string::npos)
      << warnings.messages[0];
  cache.store("relu", "n10", "one_pass");  // no error, no second warning
  EXPECT_EQ(warnings.messages.size(), 1u);
  EXPECT_EQ(cache.find("relu", "n10"), "one_pass");  // remembered for this run
}

// ---- measuring on the device -------------------------------------------

class AutotunerTest : public vknn_test::VulkanTest {};

// Two "variants" of y += a * x: one dispatch, or the same dispatch 16
// times over (the variant made slower on purpose).
std::vector<vknn::vk::TuningCandidate> axpy_candidates(const vknn::vk::Buffer& x,
                                                       const vknn::vk::Buffer& y,
                                                       std::uint32_t count) {
  auto record = [&x, &y, count](int repeats) {
    return [&x, &y, count, repeats](vknn::vk::Recording& r) {
      const auto& pipeline = vknn_test::device().pipeline(vknn_test::axpy_desc());
      for (int i = 0; i < repeats; ++i) {
        r.dispatch(pipeline, {&x, &y}, vknn_test::AxpyPush{count, 0.5f}, {count / 64, 1, 1});
        r.barrier();
      }
    };
  };
  // The slow one first, so that winning by being measured first is not possible.
  return {{"slow", record(16)}, {"fast", record(1)}};
}

TEST_F(AutotunerTest, TheFasterVariantWinsAndASecondTunerReadsTheCache) {
  vknn_test::TempDir dir;
  auto& device = vknn_test::device();
  const std::uint32_t count = 1u << 18;
  vknn::vk::Buffer x(device, count * 4, "x"), y(device, count * 4, "y");
  const auto candidates = axpy_candidates(x, y, count);
  const TuningIdentity identity = vknn::vk::tuning_identity_of(device);
  EXPECT_EQ(identity.device_uuid.size(), 32u);

  Warnings warnings;
  // "slow" is first, the place of the device profile's pick: "fast" must
  // beat it by more than the noise margin, which 16 dispatches against one do.
  vknn::vk::Autotuner first(device, TuningCache(dir.path(), identity, warnings.sink()), 3);
  EXPECT_EQ(first.choose("axpy", "n262144", candidates), "fast");
  EXPECT_EQ(first.measurements(), 2u);
  EXPECT_EQ(first.choose("axpy", "n262144", candidates), "fast");
  EXPECT_EQ(first.measurements(), 2u);  // remembered
  ASSERT_EQ(first.decisions().size(), 1u);
  const auto& measured = first.decisions()[0];
  EXPECT_FALSE(measured.cached);
  ASSERT_EQ(measured.times.size(), 2u);
  EXPECT_GT(measured.times[0].ns, measured.times[1].ns);
  EXPECT_GT(measured.seconds, 0.0);

  vknn::vk::Autotuner second(device, TuningCache(dir.path(), identity, warnings.sink()), 3);
  EXPECT_EQ(second.choose("axpy", "n262144", candidates), "fast");
  EXPECT_EQ(second.measurements(), 0u);
  ASSERT_EQ(second.decisions().size(), 1u);
  EXPECT_TRUE(second.decisions()[0].cached);
  EXPECT_TRUE(second.decisions()[0].times.empty());
  EXPECT_TRUE(warnings.messages.empty());
}

// What the cache-key tests share: a cache folder, the device's identity and
// two axpy candidates over 4096 elements.
struct SmallAxpyTuning {
  static constexpr std::uint32_t kCount = 1u << 12;
  vknn_test::TempDir dir;
  vknn::vk::Device& device = vknn_test::device();
  vknn::vk::Buffer x{device, kCount * 4, "x"}, y{device, kCount * 4, "y"};
  TuningIdentity identity = vknn::vk::tuning_identity_of(device);
  std::vector<vknn::vk::TuningCandidate> candidates = axpy_candidates(x, y, kCount);
  TuningCache cache() const { return TuningCache(dir.path(), identity); }
};

TEST_F(AutotunerTest, ACachedNameNoLongerOfferedIsMeasuredAgain) {
  SmallAxpyTuning t;
  const std::string key = vknn::vk::tuning_key("n4096", t.candidates);
  EXPECT_EQ(key, "n4096_among_fast_slow");
  // The same field in another measuring order has the same key.
  EXPECT_EQ(vknn::vk::tuning_key("n4096", {t.candidates[1], t.candidates[0]}), key);
  t.cache().store("axpy", key, "retired_variant");
  vknn::vk::Autotuner tuner(t.device, t.cache(), 1);
  const std::string choice = tuner.choose("axpy", "n4096", t.candidates);
  EXPECT_TRUE(choice == "fast" || choice == "slow") << choice;
  EXPECT_EQ(tuner.measurements(), 2u);
  EXPECT_EQ(t.cache().find("axpy", key), choice);
}

// A choice stored when the op had fewer variants does not stand for the
// field the build offers now: the new variant gets measured.
TEST_F(AutotunerTest, AVariantMoreMeansTheShapeIsMeasuredAgain) {
  SmallAxpyTuning t;
  // What a build offering "slow" only would have stored.
  t.cache().store("axpy", vknn::vk::tuning_key("n4096", {t.candidates[0]}), "slow");
  vknn::vk::Autotuner tuner(t.device, t.cache(), 1);
  tuner.choose("axpy", "n4096", t.candidates);
  EXPECT_EQ(tuner.measurements(), 2u);
  ASSERT_EQ(tuner.decisions().size(), 1u);
  EXPECT_FALSE(tuner.decisions()[0].cached);
}

// A Context with the validation layer on, as the shared test context has.
std::unique_ptr<vknn::Context> validated_context() {
  vknn::ContextOptions options;
  options.validation = vknn::Validation::on;
  return std::make_unique<vknn::Context>(options);
}

// Records conv2d forward and dense forward with KernelVariant::automatic,
// runs them, and returns the measurements the context's tuner made.
std::uint32_t record_automatic_ops(vknn::Context& context) {
  auto& device = vknn::vk::device_of(context);
  const vknn::Conv2DGeometry conv{.batch = 2, .in_h = 6, .in_w = 6, .in_c = 4, .out_c = 8,
                                  .kernel_h = 3, .kernel_w = 3};
  const vknn::DenseGeometry dense{.batch = 2, .in_features = 16, .out_features = 8};
  vknn::vk::Buffer x(device, conv.input_size() * 4, "x"), k(device, conv.kernel_size() * 4, "k");
  vknn::vk::Buffer b(device, 64 * 4, "b"), y(device, conv.output_size() * 4, "y");
  x.fill_zero();
  k.fill_zero();
  b.fill_zero();
  vknn::vk::Recording recording(device, "automatic ops", vknn::vk::RecordingUse::once);
  vknn::vk::ops::conv2d_forward(recording, conv, x, k, b, y);
  vknn::vk::ops::dense_forward(recording, dense, x, k, b, y);
  recording.finish();
  vknn::vk::submit(device, recording).wait();
  EXPECT_EQ(context.validation_error_count(), 0u);
  return device.autotuner().measurements();
}

// A cache folder of its own, and VKNN_AUTOTUNE as given, for one test.
struct CacheSetting {
  explicit CacheSetting(const char* autotune)
      : autotune_variable("VKNN_AUTOTUNE", autotune),
        folder_variable("VKNN_CACHE_DIR", dir.path().c_str()) {}
  vknn_test::TempDir dir;
  ScopedEnv autotune_variable;
  ScopedEnv folder_variable;
};

TEST(AutotunerChoice, CpuDriversDoNotMeasureSharedTiledUnlessTheProfileChoseIt) {
  using vknn::vk::ops::KernelVariant;
  using vknn::vk::ops::worth_measuring;
  const std::vector<KernelVariant> all = {KernelVariant::shared_tiled, KernelVariant::register_blocked,
                                          KernelVariant::winograd};
  vknn::vk::DeviceProfile cpu, gpu;
  cpu.cpu_like = true;
  gpu.cpu_like = false;
  EXPECT_EQ(worth_measuring(cpu, KernelVariant::winograd, all),
            (std::vector<KernelVariant>{KernelVariant::register_blocked, KernelVariant::winograd}));
  EXPECT_EQ(worth_measuring(cpu, KernelVariant::shared_tiled, all), all);
  EXPECT_EQ(worth_measuring(gpu, KernelVariant::shared_tiled, all), all);
  EXPECT_EQ(worth_measuring(gpu, KernelVariant::register_blocked, all), all);
}

// What record_automatic_ops measures on a CPU driver (the tests' lavapipe).
constexpr std::uint32_t kMeasuredOnLavapipe = 2;

TEST(AutotunerInTheOps, TheFirstContextMeasuresAndASecondReadsTheCache) {
  const CacheSetting setting("1");
  const auto& dir = setting.dir;
  {
    auto first = validated_context();
    // On lavapipe: register_blocked and winograd for conv2d forward (a 3x3
    // stride-1 kernel over 4 channels), nothing for the dense GEMM, whose
    // other variant, shared_tiled, is not measured on CPU drivers
    // (worth_measuring).
    EXPECT_EQ(record_automatic_ops(*first), kMeasuredOnLavapipe);
  }
  // The choices and the kept pipeline cache.
  const auto files = std::distance(std::filesystem::directory_iterator(dir.path()),
                                   std::filesystem::directory_iterator());
  EXPECT_EQ(files, 2);
  auto second = validated_context();
  EXPECT_EQ(record_automatic_ops(*second), 0u);
}

// A dispatch profiler attached to the device profiles the recording it was
// attached for, not the tuner's candidate recordings made while that one is
// recorded (vknn-bench --profile printed a candidate's labels against the
// step's times when the step's first use of a shape tuned it).
TEST(AutotunerInTheOps, TuningDoesNotShowInADispatchProfile) {
  const CacheSetting setting("1");
  auto context = validated_context();
  auto& device = vknn::vk::device_of(*context);
  vknn::vk::DispatchProfiler profiler(device, 16);
  device.set_dispatch_profiler(&profiler);
  const std::uint32_t measured = record_automatic_ops(*context);
  device.set_dispatch_profiler(nullptr);
  EXPECT_GT(measured, 0u);  // the ops were tuned while being recorded
  const auto timings = profiler.timings();
  ASSERT_EQ(timings.size(), 2u);  // conv2d forward, then the dense GEMM
  EXPECT_EQ(timings[0].label.rfind("conv2d", 0), 0u) << timings[0].label;
  EXPECT_EQ(timings[1].label.rfind("dense", 0), 0u) << timings[1].label;
}

TEST(AutotunerInTheOps, OnByDefault) {
  const CacheSetting setting(nullptr);  // VKNN_AUTOTUNE unset
  auto context = validated_context();
  EXPECT_EQ(record_automatic_ops(*context), kMeasuredOnLavapipe);
  EXPECT_FALSE(std::filesystem::is_empty(setting.dir.path()));
}

TEST(AutotunerInTheOps, VknnAutotuneZeroMeasuresNothing) {
  const CacheSetting setting("0");
  const auto& dir = setting.dir;
  auto context = validated_context();
  EXPECT_EQ(record_automatic_ops(*context), 0u);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

// ---- the VkPipelineCache kept between runs ------------------------------

std::filesystem::path only_pipeline_file(const std::filesystem::path& dir) {
  std::filesystem::path found;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind("pipelines-", 0) == 0) {
      EXPECT_TRUE(found.empty()) << "two pipeline cache files";
      found = entry.path();
    }
  }
  return found;
}

// Warnings about the kept pipeline cache printed while a context is made,
// used and destroyed.
std::size_t pipeline_cache_warnings(const std::string& fragment) {
  ::testing::internal::CaptureStderr();
  {
    auto context = validated_context();
    record_automatic_ops(*context);
  }
  const std::string err = ::testing::internal::GetCapturedStderr();
  std::size_t count = 0;
  for (std::size_t at = err.find("pipeline cache"); at != std::string::npos;
       at = err.find("pipeline cache", at + 1)) {
    ++count;
  }
  if (count > 0) EXPECT_NE(err.find(fragment), std::string::npos) << err;
  return count;
}

// A kept cache folder after a first run, which warns of nothing (there was
// no file yet) and leaves one pipeline cache file in it.
class KeptPipelineCache : public ::testing::Test {
 protected:
  void SetUp() override {
    EXPECT_EQ(pipeline_cache_warnings(""), 0u);
    file = only_pipeline_file(setting.dir.path());
    ASSERT_FALSE(file.empty());
  }

  const CacheSetting setting{"1"};
  std::filesystem::path file;
};

TEST_F(KeptPipelineCache, WrittenAtTheEndOfARunAndReadByTheNextWithoutWarnings) {
  EXPECT_GE(std::filesystem::file_size(file), 32u);  // at least Vulkan's header
  EXPECT_EQ(pipeline_cache_warnings(""), 0u);
}

TEST_F(KeptPipelineCache, ATruncatedOrForeignFileIsIgnoredWithOneWarningAndReplaced) {
  const std::string good = read_text(file);

  write_text(file, good.substr(0, 10));
  EXPECT_EQ(pipeline_cache_warnings("10 bytes, shorter than the 32-byte header"), 1u);
  EXPECT_EQ(pipeline_cache_warnings(""), 0u);  // replaced by a good one

  std::string foreign = read_text(file);
  foreign[16] = char(foreign[16] ^ 0xff);  // another pipelineCacheUUID
  write_text(file, foreign);
  EXPECT_EQ(pipeline_cache_warnings("written by another device or driver"), 1u);
  EXPECT_EQ(pipeline_cache_warnings(""), 0u);
}

TEST(AutotuneSwitch, MeasuringIsOnUnlessVknnAutotuneIsZero) {
  for (const char* off : {"0", "off", "OFF", "false", "no"}) {
    ScopedEnv variable("VKNN_AUTOTUNE", off);
    EXPECT_FALSE(vknn::vk::autotune_enabled()) << off;
  }
  for (const char* on : {"1", "on", "true", "yes", ""}) {
    ScopedEnv variable("VKNN_AUTOTUNE", on);
    EXPECT_TRUE(vknn::vk::autotune_enabled()) << on;
  }
  {
    ScopedEnv unset("VKNN_AUTOTUNE", nullptr);
    EXPECT_TRUE(vknn::vk::autotune_enabled());  // on by default
  }
  ScopedEnv bad("VKNN_AUTOTUNE", "fastest");
  const std::string message = vknn_test::error_of([] { vknn::vk::autotune_enabled(); });
  EXPECT_NE(message.find("VKNN_AUTOTUNE='fastest'"), std::string::npos) << message;
  EXPECT_NE(message.find("0/off"), std::string::npos) << message;
}

TEST(TexelReadsSwitch, OnUnlessVknnTexelReadsIsZeroAndOnlyOnCpuDriversWithLargeViews) {
  vknn::DeviceInfo cpu;
  cpu.type = vknn::DeviceType::cpu;
  cpu.max_storage_buffer_range = 1u << 27;
  cpu.max_texel_buffer_elements = 1u << 27;
  vknn::DeviceInfo gpu = cpu;
  gpu.type = vknn::DeviceType::discrete_gpu;
  vknn::DeviceInfo small_views = cpu;  // SwiftShader: 65536 texels
  small_views.max_texel_buffer_elements = 65536;
  {
    ScopedEnv unset("VKNN_TEXEL_READS", nullptr);
    EXPECT_TRUE(vknn::vk::DeviceProfile::of(cpu).texel_reads);
    EXPECT_FALSE(vknn::vk::DeviceProfile::of(gpu).texel_reads);
    EXPECT_FALSE(vknn::vk::DeviceProfile::of(small_views).texel_reads);
  }
  {
    ScopedEnv off("VKNN_TEXEL_READS", "off");
    EXPECT_FALSE(vknn::vk::DeviceProfile::of(cpu).texel_reads);
  }
  ScopedEnv bad("VKNN_TEXEL_READS", "sometimes");
  const std::string message = vknn_test::error_of([&] { vknn::vk::DeviceProfile::of(cpu); });
  EXPECT_NE(message.find("VKNN_TEXEL_READS='sometimes'"), std::string::npos) << message;
  EXPECT_NE(message.find("0/off (read storage buffers"), std::string::npos) << message;
}

// ---- the choice rule, on made-up times ------------------------------------

// A tuner whose "measurements" are the given times per candidate name,
// with caching off; records what it was asked to measure.
struct FakeTimes {
  std::map<std::string, double> ns;
  std::vector<std::string> measured;
  vknn::vk::Autotuner tuner(const std::filesystem::path& folder = {}) {
    return vknn::vk::Autotuner(TuningCache(folder, kIdentity),
                               [this](const vknn::vk::TuningCandidate& c) {
                                 measured.push_back(c.name);
                                 return ns.at(c.name);
                               });
  }
};

std::vector<vknn::vk::TuningCandidate> named(std::initializer_list<const char*> names) {
  std::vector<vknn::vk::TuningCandidate> candidates;
  for (const char* n : names) candidates.push_back({n, [](vknn::vk::Recording&) {}});
  return candidates;
}

TEST(AutotunerChoice, TheProfilesPickIsKeptUnlessAnotherIsFasterByMoreThanTheMargin) {
  // The first candidate is the device profile's pick.
  const double margin = vknn::vk::kReplaceMargin;
  ASSERT_GT(margin, 0.0);
  ASSERT_LT(margin, 0.5);
  FakeTimes within{{{"profile", 100.0}, {"other", 100.0 * (1 - margin / 2)}}, {}};
  auto kept = within.tuner();
  EXPECT_EQ(kept.choose("conv2d_forward", "s1", named({"profile", "other"})), "profile");
  EXPECT_EQ(within.measured, (std::vector<std::string>{"profile", "other"}));
  ASSERT_EQ(kept.decisions().size(), 1u);
  const auto& d = kept.decisions()[0];
  EXPECT_EQ(d.chosen, "profile");
  EXPECT_FALSE(d.cached);
  ASSERT_EQ(d.times.size(), 2u);
  EXPECT_EQ(d.times[1].name, "other");
  EXPECT_DOUBLE_EQ(d.times[1].ns, 100.0 * (1 - margin / 2));

  FakeTimes beyond{{{"profile", 100.0}, {"other", 100.0 * (1 - 2 * margin)}}, {}};
  auto replaced = beyond.tuner();
  EXPECT_EQ(replaced.choose("conv2d_forward", "s1", named({"profile", "other"})), "other");

  // Of several challengers the fastest is weighed against the profile's pick.
  FakeTimes three{{{"profile", 100.0}, {"b", 70.0}, {"c", 60.0}}, {}};
  EXPECT_EQ(three.tuner().choose("dense_gemm", "s2", named({"profile", "b", "c"})), "c");
  EXPECT_TRUE(vknn::vk::clearly_faster(50.0, 100.0));
  EXPECT_FALSE(vknn::vk::clearly_faster(100.0, 100.0));
  EXPECT_FALSE(vknn::vk::clearly_faster(120.0, 100.0));
}

TEST(AutotunerChoice, TwoProcessesMeasuringOneShapeAgreeOnTheFirstStoredChoice) {
  // Both tuners read the folder before either stored; their measurements
  // disagree. The second takes the first's stored choice, so every process
  // using the folder runs the same kernels.
  vknn_test::TempDir dir;
  FakeTimes a_wins{{{"profile", 100.0}, {"other", 50.0}}, {}};
  FakeTimes profile_wins{{{"profile", 100.0}, {"other", 200.0}}, {}};
  auto first = a_wins.tuner(dir.path());
  auto second = profile_wins.tuner(dir.path());
  EXPECT_EQ(first.choose("conv2d_backward_bias", "s4", named({"profile", "other"})), "other");
  EXPECT_EQ(second.choose("conv2d_backward_bias", "s4", named({"profile", "other"})), "other");
  EXPECT_EQ(second.measurements(), 2u);
  EXPECT_TRUE(second.decisions().at(0).adopted);
  EXPECT_FALSE(first.decisions().at(0).adopted);
  EXPECT_EQ(TuningCache(dir.path(), kIdentity)
                .find("conv2d_backward_bias", vknn::vk::tuning_key("s4", named({"profile", "other"}))),
            "other");
}

// A host that speeds up while tuning (every run 5% faster than the one
// before): two equally fast candidates timed one after the other would
// hand the later one a 19% lead and the choice; interleaved, each round
// starting with the other, they stay within 5% and the profile's pick stays.
TEST(AutotunerChoice, InterleavedReplaysDoNotFavourTheCandidateMeasuredLast) {
  struct Drifting : vknn::vk::CandidateTimer {
    std::vector<std::string>* order;
    int* runs;
    std::string name;
    double run() {
      order->push_back(name);
      return 100.0 * std::pow(0.95, (*runs)++);
    }
    double warm_up_ns() override { return run(); }
    double replay_ns() override { return run(); }
  };
  std::vector<std::string> order;
  int runs = 0;
  vknn::vk::Autotuner tuner(
      TuningCache({}, kIdentity),
      vknn::vk::Autotuner::Prepare([&](const vknn::vk::TuningCandidate& c) {
        auto timer = std::make_unique<Drifting>();
        timer->order = &order;
        timer->runs = &runs;
        timer->name = c.name;
        return std::unique_ptr<vknn::vk::CandidateTimer>(std::move(timer));
      }),
      3);
  EXPECT_EQ(tuner.choose("conv2d_forward", "s5", named({"profile", "other"})), "profile");
  // Warm-ups in order, then rounds alternating which candidate goes first.
  EXPECT_EQ(order, (std::vector<std::string>{"profile", "other", "profile", "other", "other",
                                             "profile", "profile", "other"}));
  const auto& times = tuner.decisions().at(0).times;
  ASSERT_EQ(times.size(), 2u);
  EXPECT_NEAR(times[1].ns / times[0].ns, 0.95, 1e-9);
}

TEST(AutotunerChoice, ACandidateMoreThanTwiceAsSlowIsMarkedGivenUp) {
  FakeTimes slow{{{"profile", 100.0}, {"tiled", 500.0}}, {}};
  auto tuner = slow.tuner();
  EXPECT_EQ(tuner.choose("conv2d_forward", "s3", named({"profile", "tiled"})), "profile");
  const auto& times = tuner.decisions().at(0).times;
  ASSERT_EQ(times.size(), 2u);
  EXPECT_FALSE(times[0].gave_up);
  EXPECT_TRUE(times[1].gave_up);
}

}  // namespace
