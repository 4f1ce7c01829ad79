// Fuzzes the readers of the per-user kernel caches under $XDG_CACHE_HOME/vknn
// (src/vulkan/tuning/), whose rule differs from the other files': a corrupt,
// truncated or foreign cache is one warning and a rebuild, never an error
// and never a crash. Each input is read four ways, none needing a device:
//
// 1. parse_tuning_cache on the bytes as the text of tuning-<uuid>.txt, for
//    the identity below. Accepted: every choice is a token store() would
//    take, and serialising the choices and parsing that again gives the
//    same choices (round trip). Refused: a reason, and no choices.
// 2. TuningCache on the bytes as that file in a scratch folder: it never
//    throws, warns at most once, warns exactly when (1) refused, and find()
//    answers exactly (1)'s choices.
// 3. pipeline_cache_header_problem on the bytes as a kept VkPipelineCache,
//    for the device below: it must agree with a plain reading of
//    VkPipelineCacheHeaderVersionOne written here (the oracle).
// 4. read_pipeline_cache on the bytes as that file: the bytes back, whole,
//    exactly when (3) found no problem, else nothing and one warning.
// 5. parse_tiles on the bytes as a conv2d tile name (what the cache stores
//    for <op>_tiles and VKNN_CONV2D_TILES carries): never throws; accepted
//    names read back as themselves (GemmTiles::name), every field a power
//    of two, the per-invocation block inside the tile, the split at most
//    256; refused ones say why.
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "ops/vulkan/conv2d_tiles.hpp"
#include "vknn/error.hpp"
#include "vulkan/tuning/pipeline_cache_file.hpp"
#include "vulkan/tuning/tuning_cache.hpp"

namespace {

using namespace vknn;
using namespace vknn::vk;

// The seeds (make_seed_corpus.py) and the dictionary use the same values.
const TuningIdentity& identity() {
  static const TuningIdentity id{"00112233445566778899aabbccddeeff", 92274694, "0.1.0"};
  return id;
}

const VkPhysicalDeviceProperties& device() {
  static const VkPhysicalDeviceProperties d = [] {
    VkPhysicalDeviceProperties p{};
    p.vendorID = 0x10005;  // Mesa's, as lavapipe reports it
    p.deviceID = 0;
    for (std::uint8_t i = 0; i < VK_UUID_SIZE; ++i) p.pipelineCacheUUID[i] = std::uint8_t(0xa0 + i);
    return p;
  }();
  return d;
}

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "tuning_cache_fuzzer: broken invariant: %s\n", what);
  std::abort();
}

bool storable(const std::string& token) {
  if (token.empty()) return false;
  for (char c : token) {
    if (c == '\0' || std::isspace(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// How far a refused text got, from the reason's wording (the census).
const char* refusal_stage(const std::string& problem) {
  const std::string_view p = problem;
  if (p.find("complete line") != p.npos || p.find("more than a tuning cache") != p.npos) {
    return "tuning-refused-incomplete";
  }
  if (p.find("is not text") != p.npos) return "tuning-refused-not-text";
  if (p.find("does not start with") != p.npos) return "tuning-refused-magic";
  if (p.find("lines 2-4") != p.npos) return "tuning-refused-header-fields";
  if (p.find("measured for device") != p.npos) return "tuning-refused-foreign";
  if (p.find("last line is not") != p.npos) return "tuning-refused-end-count";
  if (p.find("is not 'choice") != p.npos) return "tuning-refused-choice-line";
  return "tuning-refused-other";
}

const char* check_tuning_text(std::string_view text) {
  const ParsedTuningCache parsed = parse_tuning_cache(text, identity());
  if (!parsed.accepted()) {
    if (!parsed.choices.empty()) finding("a refused text kept choices");
    const char* stage = refusal_stage(parsed.problem);
    if (std::strcmp(stage, "tuning-refused-other") == 0) finding("a refusal of unknown kind");
    return stage;
  }
  for (const auto& [key, variant] : parsed.choices) {
    if (!storable(key.first) || !storable(key.second) || !storable(variant)) {
      finding("an accepted choice holds a token store() refuses");
    }
  }
  const std::string again = serialise_tuning_cache(identity(), parsed.choices);
  const ParsedTuningCache back = parse_tuning_cache(again, identity());
  if (!back.accepted()) finding("a serialised cache was refused");
  if (back.choices != parsed.choices) finding("the round trip changed the choices");
  return parsed.choices.empty() ? "tuning-accepted-empty" : "tuning-accepted-choices";
}

void check_tuning_file(const std::uint8_t* data, std::size_t size) {
  const auto folder = fuzz::scratch_folder() / "cache";
  std::filesystem::create_directories(folder);
  fuzz::write_scratch_file("cache/tuning-" + identity().device_uuid + ".txt", data, size);
  int warnings = 0;
  try {
    const TuningCache cache(folder, identity(), [&](const std::string&) { ++warnings; });
    const ParsedTuningCache parsed =
        parse_tuning_cache(std::string_view(reinterpret_cast<const char*>(data), size), identity());
    if (warnings > 1) finding("more than one warning for one cache file");
    if ((warnings == 1) == parsed.accepted()) finding("TuningCache and the parser disagree");
    for (const auto& [key, variant] : parsed.choices) {
      if (cache.find(key.first, key.second) != variant) finding("find() lost a parsed choice");
    }
    if (!parsed.accepted() && cache.find("dense", "1x1x1") != std::nullopt) {
      finding("a refused cache answered find()");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "TuningCache threw: %s\n", e.what());
    finding("reading a tuning cache threw");
  }
}

// VkPipelineCacheHeaderVersionOne read directly: the oracle for (3).
bool header_is_ours(std::span<const std::uint8_t> bytes) {
  constexpr std::size_t header = 16 + VK_UUID_SIZE;
  if (bytes.size() < header) return false;
  auto word = [&](std::size_t at) {
    return std::uint32_t(bytes[at]) | std::uint32_t(bytes[at + 1]) << 8 |
           std::uint32_t(bytes[at + 2]) << 16 | std::uint32_t(bytes[at + 3]) << 24;
  };
  return word(0) >= header && word(0) <= bytes.size() && word(4) == 1 &&
         word(8) == device().vendorID && word(12) == device().deviceID &&
         std::memcmp(bytes.data() + 16, device().pipelineCacheUUID, VK_UUID_SIZE) == 0;
}

const char* check_pipeline_cache(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  const std::string problem = pipeline_cache_header_problem(bytes, device());
  const bool ours = header_is_ours(bytes);
  if (problem.empty() != ours) finding("the pipeline cache header check disagrees with the oracle");

  const auto folder = fuzz::scratch_folder() / "cache";
  const auto file = pipeline_cache_file(folder, device());
  fuzz::write_scratch_file("cache/" + file.filename().string(), data, size);
  int warnings = 0;
  std::vector<std::uint8_t> read;
  try {
    read = read_pipeline_cache(folder, device(), [&](const std::string&) { ++warnings; });
  } catch (const std::exception& e) {
    std::fprintf(stderr, "read_pipeline_cache threw: %s\n", e.what());
    finding("reading a pipeline cache threw");
  }
  if (ours) {
    if (warnings != 0 || read.size() != size || (size > 0 && std::memcmp(read.data(), data, size) != 0)) {
      finding("a pipeline cache of this device was not read back whole and silently");
    }
    return "pipeline-accepted";
  }
  if (warnings != 1 || !read.empty()) finding("a foreign pipeline cache was not one warning and nothing");
  return "pipeline-refused";
}

}  // namespace

const char* check_tile_name(std::string_view text) {
  const ops::ParsedTiles parsed = ops::parse_tiles(text);
  if (!parsed.tiles) {
    if (parsed.problem.empty()) finding("a refused tile name without a reason");
    return "tiles-refused";
  }
  const ops::GemmTiles& t = *parsed.tiles;
  const auto power_of_two = [](std::uint32_t v) { return v != 0 && (v & (v - 1)) == 0; };
  for (std::uint32_t v : {t.m, t.n, t.k, t.thread_m, t.thread_n, t.split}) {
    if (!power_of_two(v)) finding("an accepted tile name with a field not a power of two");
  }
  if (t.thread_m > t.m || t.thread_n > t.n) finding("an accepted tile name whose block overflows");
  if (t.split > 256) finding("an accepted tile name split over 256");
  // "s1" reads as no split, which name() leaves out: compare the parsed values.
  const ops::ParsedTiles again = ops::parse_tiles(t.name());
  if (!again.tiles || !(*again.tiles == t)) finding("a tile name that does not read back");
  return "tiles-accepted";
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const char* tuning = check_tuning_text(std::string_view(reinterpret_cast<const char*>(data), size));
  check_tuning_file(data, size);
  const char* pipeline = check_pipeline_cache(data, size);
  const char* tiles = check_tile_name(std::string_view(reinterpret_cast<const char*>(data), size));
  if (fuzz::census_requested()) {
    std::fprintf(stderr, "census: %s\n", tuning);
    std::fprintf(stderr, "census: %s\n", pipeline);
    std::fprintf(stderr, "census: %s\n", tiles);
  }
  return 0;
}
