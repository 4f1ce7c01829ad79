// The kernel caches' pure readers, which TuningCache and the kept pipeline
// cache use and tests/fuzz/tuning_cache_fuzzer.cpp fuzzes: any text is a
// set of choices or a reason it was refused, never an error or a crash;
// what is accepted survives a round trip. No device is needed.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "support/error_text.hpp"
#include "support/temp_dir.hpp"
#include "vknn/error.hpp"
#include "vulkan/tuning/pipeline_cache_file.hpp"
#include "vulkan/tuning/tuning_cache.hpp"

namespace {

using namespace vknn::vk;

const TuningIdentity kIdentity{"00112233445566778899aabbccddeeff", 42, "0.1.0"};

std::string header(const std::string& driver = "42") {
  return "vknn-tuning 1\ndevice " + kIdentity.device_uuid + "\ndriver " + driver + "\nvknn 0.1.0\n";
}

TEST(TuningCacheParse, AValidTextGivesItsChoicesAndSurvivesARoundTrip) {
  const std::string text = header() + "choice relu n10 gather\nchoice dense 32x10 shared_tiled\nend 2\n";
  const ParsedTuningCache parsed = parse_tuning_cache(text, kIdentity);
  ASSERT_TRUE(parsed.accepted()) << parsed.problem;
  const TuningChoices expected = {{{"relu", "n10"}, "gather"}, {{"dense", "32x10"}, "shared_tiled"}};
  EXPECT_EQ(parsed.choices, expected);
  const std::string again = serialise_tuning_cache(kIdentity, parsed.choices);
  EXPECT_EQ(parse_tuning_cache(again, kIdentity).choices, expected);
  // The writer's own order (sorted by op and shape) is a fixed point.
  EXPECT_EQ(serialise_tuning_cache(kIdentity, parse_tuning_cache(again, kIdentity).choices), again);
}

TEST(TuningCacheParse, EveryRefusalNamesItsReasonAndKeepsNoChoice) {
  const std::string good = header() + "choice relu n10 gather\nend 1\n";
  const struct {
    std::string text;
    std::string reason;
  } cases[] = {
      {"", "does not end with a complete line"},
      {good.substr(0, good.size() - 1), "does not end with a complete line"},
      {"vknn-tuning 2\n" + good.substr(14), "does not start with 'vknn-tuning 1'"},
      {header("41") + "choice relu n10 gather\nend 1\n", "driver 41"},
      {header() + "choice relu n10 gather\nend 2\n", "its last line is not 'end 1'"},
      {header() + "choice relu n10\nend 1\n", "line 5 is not 'choice <op> <shape> <variant>'"},
      {header() + "choice relu n10 gather x\nend 1\n", "line 5 is not"},
      {header() + std::string("choice relu n10 gat\0her\nend 1\n", 30), "a NUL byte at offset 94"},
      {std::string(2u << 20, '\n'), "more than a tuning cache holds"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.reason);
    const ParsedTuningCache parsed = parse_tuning_cache(c.text, kIdentity);
    EXPECT_FALSE(parsed.accepted());
    EXPECT_TRUE(parsed.choices.empty());
    EXPECT_NE(parsed.problem.find(c.reason), std::string::npos) << parsed.problem;
  }
}

TEST(TuningCacheParse, AForeignFilesFieldsAreQuotedPrintableAndShort) {
  const std::string text = "vknn-tuning 1\ndevice \x1b[31mred\ndriver 42\nvknn " +
                           std::string(500, 'v') + "\nend 0\n";
  const ParsedTuningCache parsed = parse_tuning_cache(text, kIdentity);
  ASSERT_FALSE(parsed.accepted());
  EXPECT_EQ(parsed.problem.find('\x1b'), std::string::npos) << parsed.problem;
  EXPECT_NE(parsed.problem.find("device ?[31mred"), std::string::npos) << parsed.problem;
  EXPECT_LT(parsed.problem.size(), 400u) << parsed.problem;
}

TEST(TuningCacheParse, StoreRefusesTokensTheReaderWouldSplit) {
  // The reader splits fields at any whitespace (vertical tab, form feed
  // too), so store() refuses what could not be read back as one field.
  TuningCache cache({}, kIdentity);  // no folder: nothing is written
  for (const std::string bad : {"a b", "a\tb", "a\vb", "a\fb", "a\rb", ""}) {
    vknn_test::expect_error_mentions([&] { cache.store("relu", bad, "gather"); },
                                     {"must each be non-empty and without whitespace"});
  }
  cache.store("relu", "n10", "gather");
  EXPECT_EQ(cache.find("relu", "n10"), "gather");
}

VkPhysicalDeviceProperties device() {
  VkPhysicalDeviceProperties p{};
  p.vendorID = 0x10005;
  p.deviceID = 7;
  for (std::uint8_t i = 0; i < VK_UUID_SIZE; ++i) p.pipelineCacheUUID[i] = std::uint8_t(0xa0 + i);
  return p;
}

std::vector<std::uint8_t> pipeline_cache(std::uint32_t header_size, std::uint32_t version,
                                         std::uint32_t vendor, std::size_t payload = 8) {
  const VkPhysicalDeviceProperties d = device();
  std::vector<std::uint8_t> bytes(16 + VK_UUID_SIZE + payload, 0x5a);
  const std::uint32_t words[] = {header_size, version, vendor, d.deviceID};
  std::memcpy(bytes.data(), words, sizeof words);
  std::memcpy(bytes.data() + 16, d.pipelineCacheUUID, VK_UUID_SIZE);
  return bytes;
}

TEST(PipelineCacheHeader, OnlyThisDevicesHeaderIsAccepted) {
  EXPECT_EQ(pipeline_cache_header_problem(pipeline_cache(32, 1, 0x10005), device()), "");
  EXPECT_EQ(pipeline_cache_header_problem(pipeline_cache(40, 1, 0x10005), device()), "");
  const struct {
    std::vector<std::uint8_t> bytes;
    std::string reason;
  } cases[] = {
      {{}, "0 bytes, shorter than the 32-byte header"},
      {std::vector<std::uint8_t>(31, 0), "31 bytes, shorter"},
      {pipeline_cache(16, 1, 0x10005), "its header claims 16 bytes"},
      {pipeline_cache(1000, 1, 0x10005), "its header claims 1000 bytes"},
      {pipeline_cache(32, 2, 0x10005), "header version 2 is not 1"},
      {pipeline_cache(32, 1, 0x10de), "another device or driver (vendor 4318, device 7)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.reason);
    EXPECT_NE(pipeline_cache_header_problem(c.bytes, device()).find(c.reason), std::string::npos)
        << pipeline_cache_header_problem(c.bytes, device());
  }
  auto other_uuid = pipeline_cache(32, 1, 0x10005);
  other_uuid[20] ^= 1;
  EXPECT_NE(pipeline_cache_header_problem(other_uuid, device()), "");
}

}  // namespace
