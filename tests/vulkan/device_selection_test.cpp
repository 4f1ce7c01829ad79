// Device choice: by API option, by VKNN_DEVICE, and by type preference.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "support/scoped_env.hpp"
#include "support/vulkan_fixture.hpp"
#include "vknn/error.hpp"

namespace {

using vknn::DeviceInfo;
using vknn::DeviceType;

DeviceInfo fake(std::uint32_t index, std::string name, DeviceType type) {
  DeviceInfo d;
  d.index = index;
  d.name = std::move(name);
  d.type = type;
  return d;
}

using vknn_test::ScopedEnv;

const std::vector<DeviceInfo> kMixed = {
    fake(0, "llvmpipe (LLVM 15.0.6, 256 bits)", DeviceType::cpu),
    fake(1, "Intel(R) UHD Graphics 770", DeviceType::integrated_gpu),
    fake(2, "NVIDIA GeForce RTX 4090", DeviceType::discrete_gpu),
    fake(3, "Virtio GPU", DeviceType::virtual_gpu),
};

TEST(DeviceSelection, PrefersDiscreteThenIntegratedThenVirtualThenCpu) {
  ScopedEnv env("VKNN_DEVICE", nullptr);
  EXPECT_EQ(vknn::choose_device_index(kMixed), 2u);
  std::vector<DeviceInfo> no_discrete = {kMixed[0], kMixed[1], kMixed[3]};
  EXPECT_EQ(vknn::choose_device_index(no_discrete), 1u);
  std::vector<DeviceInfo> virt_cpu = {kMixed[0], kMixed[3]};
  EXPECT_EQ(vknn::choose_device_index(virt_cpu), 3u);
  std::vector<DeviceInfo> cpu_only = {kMixed[0]};
  EXPECT_EQ(vknn::choose_device_index(cpu_only), 0u);
}

TEST(DeviceSelection, ByIndexOrCaseInsensitiveNameThroughTheApi) {
  ScopedEnv env("VKNN_DEVICE", nullptr);
  vknn::ContextOptions options;
  options.device = "0";
  EXPECT_EQ(vknn::choose_device_index(kMixed, options), 0u);
  options.device = "intel";
  EXPECT_EQ(vknn::choose_device_index(kMixed, options), 1u);
  options.device = "LLVMPIPE";
  EXPECT_EQ(vknn::choose_device_index(kMixed, options), 0u);
}

TEST(DeviceSelection, EnvironmentChoosesAndTheApiOverridesIt) {
  ScopedEnv env("VKNN_DEVICE", "virtio");
  EXPECT_EQ(vknn::choose_device_index(kMixed), 3u);
  vknn::ContextOptions options;
  options.device = "rtx";
  EXPECT_EQ(vknn::choose_device_index(kMixed, options), 2u);
}

TEST(DeviceSelection, UnknownNameIsAClearErrorListingTheDevices) {
  ScopedEnv env("VKNN_DEVICE", "radeon");
  try {
    vknn::choose_device_index(kMixed);
    FAIL() << "expected vknn::Error";
  } catch (const vknn::Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("VKNN_DEVICE='radeon'"), std::string::npos) << message;
    EXPECT_NE(message.find("NVIDIA GeForce RTX 4090"), std::string::npos) << message;
  }
}

TEST(DeviceSelection, IndexOutOfRangeIsAClearError) {
  ScopedEnv env("VKNN_DEVICE", nullptr);
  vknn::ContextOptions options;
  options.device = "7";
  EXPECT_THROW(vknn::choose_device_index(kMixed, options), vknn::Error);
  EXPECT_THROW(vknn::choose_device_index({}, {}), vknn::Error);
}

TEST(DeviceSelection, RealDevicesAreListedAndChosenByName) {
  ScopedEnv env("VKNN_DEVICE", nullptr);
  const auto devices = vknn::list_devices();
  ASSERT_FALSE(devices.empty());
  for (const auto& d : devices) {
    EXPECT_FALSE(d.name.empty());
    EXPECT_GT(d.subgroup_size, 0u);
    EXPECT_GT(d.max_storage_buffer_range, 0u);
    EXPECT_FALSE(d.memory_heaps.empty());
  }
  // Choosing by a piece of the first device's name picks it.
  vknn::ContextOptions options;
  options.device = devices[0].name.substr(0, 4);
  options.validation = vknn::Validation::on;
  vknn::Context context(options);
  EXPECT_EQ(context.device_info().name.substr(0, 4), devices[0].name.substr(0, 4));
}

TEST(DeviceSelection, ContextWithAnUnknownDeviceNameThrows) {
  vknn::ContextOptions options;
  options.device = "no-such-gpu-anywhere";
  try {
    vknn::Context context(options);
    FAIL() << "expected vknn::Error";
  } catch (const vknn::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-gpu-anywhere"), std::string::npos);
  }
}

TEST(Validation, EnvironmentValuesAreParsedStrictly) {
  {
    ScopedEnv env("VKNN_VALIDATION", "sync");
    EXPECT_EQ(vknn::validation_from_environment(), vknn::Validation::sync);
  }
  {
    ScopedEnv env("VKNN_VALIDATION", "gpu");
    EXPECT_EQ(vknn::validation_from_environment(), vknn::Validation::gpu);
  }
  {
    ScopedEnv env("VKNN_VALIDATION", "1");
    EXPECT_EQ(vknn::validation_from_environment(), vknn::Validation::on);
  }
  {
    ScopedEnv env("VKNN_VALIDATION", "0");
    EXPECT_EQ(vknn::validation_from_environment(), vknn::Validation::off);
  }
  {
    ScopedEnv env("VKNN_VALIDATION", "loud");
    EXPECT_THROW(vknn::validation_from_environment(), vknn::Error);
  }
}

}  // namespace
