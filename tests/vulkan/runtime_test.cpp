// The runtime's guarantees: limits refused before the driver sees them,
// finite waits, the validation messenger, sub-allocation, timestamps and
// the pipeline cache.
#include <gtest/gtest.h>
#include <gtest/gtest-spi.h>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "support/error_text.hpp"
#include "support/vulkan_fixture.hpp"
#include "vulkan/axpy_pipeline.hpp"
#include "vknn/error.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "vulkan/pipeline.hpp"

namespace {

using vknn::vk::Buffer;
using vknn::vk::PipelineDesc;
using vknn::vk::Recording;

using vknn_test::AxpyPush;
using vknn_test::axpy_desc;

using vknn_test::error_of;

class RuntimeTest : public vknn_test::VulkanTest {};

// ---- limits ----------------------------------------------------------------

TEST_F(RuntimeTest, BufferOverMaxStorageBufferRangeIsRefused) {
  auto& device = vknn_test::device();
  const std::uint64_t too_big = device.info().max_storage_buffer_range + 4;
  const std::string message = error_of([&] { Buffer b(device, too_big, "activations"); });
  EXPECT_NE(message.find("maxStorageBufferRange"), std::string::npos) << message;
  EXPECT_NE(message.find("activations"), std::string::npos) << message;
  EXPECT_NE(message.find(std::to_string(device.info().max_storage_buffer_range)), std::string::npos)
      << message;
}

TEST_F(RuntimeTest, WorkgroupOverTheDeviceLimitIsRefused) {
  auto& device = vknn_test::device();
  const std::uint32_t max = device.info().max_workgroup_invocations;
  const std::string message = error_of([&] { device.pipeline(axpy_desc({max * 2, 1, 1})); });
  EXPECT_NE(message.find("maxComputeWorkGroup"), std::string::npos) << message;
  const std::string zero = error_of([&] { device.pipeline(axpy_desc({0, 1, 1})); });
  EXPECT_NE(zero.find("workgroup size"), std::string::npos) << zero;
}

// The error of building the axpy pipeline with one of its byte counts set to
// `bytes` (the limit tests below set it just over the device's limit).
std::string axpy_pipeline_error_with(std::uint32_t PipelineDesc::*byte_count, std::uint32_t bytes) {
  PipelineDesc desc = axpy_desc();
  desc.*byte_count = bytes;
  return error_of([&] { vknn_test::device().pipeline(desc); });
}

TEST_F(RuntimeTest, SharedMemoryOverTheDeviceLimitIsRefused) {
  const std::string message = axpy_pipeline_error_with(
      &PipelineDesc::shared_memory_bytes, vknn_test::device().info().max_shared_memory_bytes + 1);
  EXPECT_NE(message.find("maxComputeSharedMemorySize"), std::string::npos) << message;
}

TEST_F(RuntimeTest, PushConstantsOverTheDeviceLimitAreRefused) {
  const std::string message = axpy_pipeline_error_with(
      &PipelineDesc::push_constant_bytes, vknn_test::device().info().max_push_constant_bytes + 4);
  EXPECT_NE(message.find("maxPushConstantsSize"), std::string::npos) << message;
}

TEST_F(RuntimeTest, GroupCountOverTheDeviceLimitIsRefused) {
  auto& device = vknn_test::device();
  Buffer x(device, 16, "x"), y(device, 16, "y");
  Recording recording(device, "too many groups");
  const std::uint32_t too_many = device.info().max_workgroup_count[0] + 1;
  const std::string message = error_of([&] {
    recording.dispatch(device.pipeline(axpy_desc()), {&x, &y}, AxpyPush{4, 1.0f}, {too_many, 1, 1});
  });
  EXPECT_NE(message.find("maxComputeWorkGroupCount[x]"), std::string::npos) << message;
  recording.finish();
}

TEST_F(RuntimeTest, DispatchChecksBuffersAndPushConstantsAgainstThePipeline) {
  auto& device = vknn_test::device();
  Buffer x(device, 16, "x");
  Recording recording(device, "mismatched dispatch");
  std::string message = error_of([&] {
    recording.dispatch(device.pipeline(axpy_desc()), {&x}, AxpyPush{4, 1.0f}, {1, 1, 1});
  });
  // The count is the shader's (axpy.comp declares x and y), not the C++'s.
  EXPECT_NE(message.find("dispatch of 'axpy'"), std::string::npos) << message;
  EXPECT_NE(message.find("shaders/axpy.comp declares 2 buffers but 1 were given"),
            std::string::npos)
      << message;
  message = error_of([&] {
    recording.dispatch(device.pipeline(axpy_desc()), {&x, &x, &x}, AxpyPush{4, 1.0f}, {1, 1, 1});
  });
  EXPECT_NE(message.find("shaders/axpy.comp declares 2 buffers but 3 were given"),
            std::string::npos)
      << message;
  const std::uint32_t wrong_push = 7;
  message = error_of([&] {
    recording.dispatch(device.pipeline(axpy_desc()), {&x, &x}, wrong_push, {1, 1, 1});
  });
  EXPECT_NE(message.find("push constants"), std::string::npos) << message;
  recording.finish();
}

TEST_F(RuntimeTest, CopiesOutOfRangeAreRefused) {
  auto& device = vknn_test::device();
  Buffer a(device, 64, "a"), b(device, 32, "b");
  std::vector<float> data(32);
  EXPECT_NE(error_of([&] { b.upload(data.data(), 128); }).find("does not fit buffer 'b'"),
            std::string::npos);
  Recording recording(device, "copy");
  EXPECT_NE(error_of([&] { recording.copy(a, b, 64); }).find("out of range"), std::string::npos);
  recording.finish();
}

// ---- finite waits ----------------------------------------------------------

TEST_F(RuntimeTest, AWaitThatOutlastsItsTimeoutFailsWithAClearError) {
  auto& device = vknn_test::device();
  // The submitted work waits for an event the host sets only after the
  // first wait has timed out: a stand-in for a runaway shader.
  VkEvent event = VK_NULL_HANDLE;
  VkEventCreateInfo event_info{VK_STRUCTURE_TYPE_EVENT_CREATE_INFO};
  ASSERT_EQ(vkCreateEvent(device.handle(), &event_info, nullptr, &event), VK_SUCCESS);
  {
    Recording recording(device, "wait for the host");
    vkCmdWaitEvents(recording.handle(), 1, &event, VK_PIPELINE_STAGE_HOST_BIT,
                    VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, nullptr, 0, nullptr, 0, nullptr);
    recording.finish();
    auto submission = vknn::vk::submit(device, recording);
    const auto start = std::chrono::steady_clock::now();
    const std::string message =
        error_of([&] { submission.wait(std::chrono::milliseconds(50)); });
    const auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_NE(message.find("timed out after 50 ms"), std::string::npos) << message;
    EXPECT_NE(message.find("wait for the host"), std::string::npos) << message;
    EXPECT_LT(waited, std::chrono::seconds(10));
    EXPECT_FALSE(submission.done());
    ASSERT_EQ(vkSetEvent(device.handle(), event), VK_SUCCESS);
    submission.wait();  // now it completes
    EXPECT_TRUE(submission.done());
  }
  vkDestroyEvent(device.handle(), event, nullptr);
}

// ---- validation messenger --------------------------------------------------

// Fails the current test if validation errors were reported since `before`.
void expect_no_new_validation_errors(std::uint64_t before) {
  const std::uint64_t now = vknn_test::context().validation_error_count();
  EXPECT_EQ(now, before) << "Vulkan validation error(s) were reported";
}

TEST(ValidationMessenger, AnUnwrittenDescriptorFailsTheTest) {
  auto& context = vknn_test::context();
  ASSERT_NE(context.validation(), vknn::Validation::off);
  auto& device = vknn::vk::device_of(context);
  const std::uint64_t before = context.validation_error_count();

  // Bind a descriptor set whose buffers were never written, then dispatch:
  // the layer must report it. (Recorded only; never submitted.)
  const auto& pipeline = device.pipeline(axpy_desc());
  vknn::vk::DescriptorArena arena(device);
  VkDescriptorSet set = arena.allocate(pipeline.set_layout(), "deliberately unwritten set");
  Recording recording(device, "invalid on purpose", vknn::vk::RecordingUse::once);
  vkCmdBindPipeline(recording.handle(), VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.handle());
  vkCmdBindDescriptorSets(recording.handle(), VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.layout(), 0,
                          1, &set, 0, nullptr);
  AxpyPush push{4, 1.0f};
  vkCmdPushConstants(recording.handle(), pipeline.layout(), VK_SHADER_STAGE_COMPUTE_BIT, 0,
                     sizeof(push), &push);
  vkCmdDispatch(recording.handle(), 1, 1, 1);
  recording.finish();

  EXPECT_GT(context.validation_error_count(), before);
  // The check every Vulkan test runs at its end turns this into a failure.
  EXPECT_NONFATAL_FAILURE(expect_no_new_validation_errors(before), "validation error");
  bool mentions_descriptor = false;
  for (const auto& m : context.validation_error_messages()) {
    if (m.find("escriptor") != std::string::npos) mentions_descriptor = true;
  }
  EXPECT_TRUE(mentions_descriptor);
  context.clear_validation_errors();
}

// ---- memory ----------------------------------------------------------------

TEST_F(RuntimeTest, SmallBuffersShareOneDeviceAllocation) {
  auto& device = vknn_test::device();
  const auto before = device.memory().stats();
  {
    std::vector<std::unique_ptr<Buffer>> buffers;
    for (int i = 0; i < 200; ++i) {
      buffers.push_back(std::make_unique<Buffer>(device, 1000 + i * 4, "small"));
    }
    const auto during = device.memory().stats();
    EXPECT_LE(during.device_allocations - before.device_allocations, 1u);
    EXPECT_EQ(during.live_allocations - before.live_allocations, 200u);
    // Contents stay separate.
    for (int i = 0; i < 200; ++i) {
      const float v = float(i);
      buffers[i]->upload(&v, sizeof v);
    }
    for (int i = 0; i < 200; ++i) {
      float v = -1;
      buffers[i]->download(&v, sizeof v);
      ASSERT_EQ(v, float(i));
    }
    // Free every other one, then allocate again into the holes.
    for (int i = 0; i < 200; i += 2) buffers[i].reset();
    for (int i = 0; i < 200; i += 2) buffers[i] = std::make_unique<Buffer>(device, 900, "refill");
    EXPECT_LE(device.memory().stats().device_allocations - before.device_allocations, 1u);
  }
  const auto after = device.memory().stats();
  EXPECT_EQ(after.live_allocations, before.live_allocations);
  EXPECT_EQ(after.bytes_in_use, before.bytes_in_use);
}

TEST_F(RuntimeTest, LargeBuffersGetTheirOwnAllocationAndReturnIt) {
  auto& device = vknn_test::device();
  const auto before = device.memory().stats();
  {
    Buffer big(device, 40u << 20, "big");
    EXPECT_EQ(device.memory().stats().device_allocations, before.device_allocations + 1);
  }
  EXPECT_EQ(device.memory().stats().device_allocations, before.device_allocations);
}

// ---- timestamps and pipelines ----------------------------------------------

TEST_F(RuntimeTest, TimestampsMeasureDeviceTime) {
  auto& device = vknn_test::device();
  if (!device.info().timestamps_supported) GTEST_SKIP() << "no timestamps on this device";
  const std::uint32_t count = 1 << 16;
  Buffer x(device, count * 4, "x"), y(device, count * 4, "y");
  x.fill_zero();
  y.fill_zero();
  vknn::vk::TimestampPool timestamps(device, 2);
  Recording recording(device, "timed axpy");
  recording.reset_timestamps(timestamps);
  recording.timestamp(timestamps, 0);
  recording.dispatch(device.pipeline(axpy_desc()), {&x, &y}, AxpyPush{count, 1.0f},
                     {count / 64, 1, 1});
  recording.timestamp(timestamps, 1);
  recording.finish();
  vknn::vk::submit(device, recording).wait();
  const double ns = timestamps.elapsed_ns(0, 1);
  EXPECT_GT(ns, 0.0);
  EXPECT_LT(ns, 10e9);
}

TEST_F(RuntimeTest, PipelinesAreCachedPerSpecialization) {
  auto& device = vknn_test::device();
  const auto& a = device.pipeline(axpy_desc({64, 1, 1}));
  const auto& b = device.pipeline(axpy_desc({64, 1, 1}));
  const auto& c = device.pipeline(axpy_desc({32, 1, 1}));
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
}

}  // namespace
