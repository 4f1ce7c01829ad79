// The tuning cache's identity includes a fingerprint of the embedded
// shaders (src/vulkan/tuning/kernels_fingerprint.hpp): a build whose
// kernels differ measures again instead of trusting choices made for others.
#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "support/vulkan_fixture.hpp"
#include "vknn/version.hpp"
#include "vulkan/tuning/kernels_fingerprint.hpp"
#include "vulkan/tuning/tuning_cache.hpp"

namespace {

using Shaders = std::vector<std::pair<std::string, std::span<const std::uint32_t>>>;

TEST(KernelsFingerprint, ChangesWithAnyWordOrNameAndNotWithTheOrderGiven) {
  const std::vector<std::uint32_t> a = {0x07230203u, 1u, 2u, 3u}, b = {0x07230203u, 9u};
  std::vector<std::uint32_t> a_changed = a;
  a_changed[2] ^= 1u;
  const std::string base = vknn::vk::kernels_fingerprint({{"relu", a}, {"softmax", b}});
  EXPECT_EQ(base.size(), 16u);
  EXPECT_EQ(base.find_first_not_of("0123456789abcdef"), std::string::npos) << base;
  EXPECT_EQ(vknn::vk::kernels_fingerprint({{"softmax", b}, {"relu", a}}), base);
  EXPECT_NE(vknn::vk::kernels_fingerprint({{"relu", a_changed}, {"softmax", b}}), base);
  EXPECT_NE(vknn::vk::kernels_fingerprint({{"relu2", a}, {"softmax", b}}), base);
  EXPECT_NE(vknn::vk::kernels_fingerprint({{"relu", a}}), base);
  // A word moved from one shader to the next is another set of shaders.
  const std::vector<std::uint32_t> a_short = {0x07230203u, 1u, 2u}, b_long = {3u, 0x07230203u, 9u};
  EXPECT_NE(vknn::vk::kernels_fingerprint({{"relu", a_short}, {"softmax", b_long}}), base);
}

TEST(KernelsFingerprint, IsInTheTuningCachesIdentity) {
  const vknn::vk::TuningIdentity identity = vknn::vk::tuning_identity_of(vknn_test::device());
  EXPECT_EQ(identity.vknn_version, std::string(vknn::version_string()) + "+kernels." +
                                       vknn::vk::embedded_kernels_fingerprint());
}

}  // namespace
