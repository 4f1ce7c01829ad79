// The Vulkan context shared by a test binary, with validation required.
//
// Every Vulkan test derives from VulkanTest: it fails if the validation
// layer reported an error of severity error while the test ran, listing the
// messages. VKNN_VALIDATION=sync or gpu turns on the heavier checks; any
// other value still gets the standard validation layer.
#pragma once

#include <gtest/gtest.h>

#include "vknn/device.hpp"
#include "vulkan/context_access.hpp"
#include "vulkan/device.hpp"

namespace vknn_test {

vknn::Context& context();
inline vknn::vk::Device& device() { return vknn::vk::device_of(context()); }

class VulkanTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

 private:
  std::uint64_t errors_before_ = 0;
};

}  // namespace vknn_test
