// End to end through the runtime: upload, a dispatch of embedded SPIR-V,
// read back, on the unified-memory path and on the staging path that
// discrete GPUs take.
#include <gtest/gtest.h>

#include <vector>

#include "support/error_text.hpp"
#include "support/vulkan_fixture.hpp"
#include "vulkan/axpy_pipeline.hpp"
#include "vknn/error.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "vulkan/pipeline.hpp"
#include "vulkan/shader_registry.hpp"

namespace {

using vknn::vk::Buffer;
using vknn::vk::PipelineDesc;
using vknn::vk::Recording;

using vknn_test::AxpyPush;
using vknn_test::axpy_desc;

// Runs y = alpha*x + y `replays` times from one recording and checks it.
void run_axpy(vknn::vk::Device& device, std::uint32_t count, int replays) {
  std::vector<float> x(count), y(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    x[i] = float(i % 17) - 3.0f;
    y[i] = 0.5f * float(i % 5);
  }
  Buffer x_buffer(device, count * sizeof(float), "x");
  Buffer y_buffer(device, count * sizeof(float), "y");
  x_buffer.upload(x.data(), count * sizeof(float));
  y_buffer.upload(y.data(), count * sizeof(float));

  const AxpyPush push{count, 2.0f};
  Recording recording(device, "axpy smoke test");
  recording.dispatch(device.pipeline(axpy_desc()), {&x_buffer, &y_buffer}, push,
                     {(count + 63) / 64, 1, 1});
  recording.host_read_barrier();
  recording.finish();
  for (int r = 0; r < replays; ++r) vknn::vk::submit(device, recording).wait();

  std::vector<float> result(count);
  y_buffer.download(result.data(), count * sizeof(float));
  for (std::uint32_t i = 0; i < count; ++i) {
    ASSERT_FLOAT_EQ(result[i], y[i] + float(replays) * 2.0f * x[i]) << "element " << i;
  }
}

class SmokeTest : public vknn_test::VulkanTest {};

TEST_F(SmokeTest, EmbeddedShaderRunsAndReadsBack) { run_axpy(vknn_test::device(), 1000, 1); }

TEST_F(SmokeTest, ARecordingReplaysUnchanged) {
  auto& device = vknn_test::device();
  const auto before = device.counters();
  run_axpy(device, 257, 5);
  const auto after = device.counters();
  // One recording for the step; five submissions of it (uploads and
  // downloads are direct copies on unified memory).
  EXPECT_EQ(after.submissions - before.submissions, device.unified_memory() ? 5u : 8u);
}

// vknn-bench counts a program's commands from these counts.
TEST_F(SmokeTest, ARecordingCountsItsDispatchesAndBarriers) {
  auto& device = vknn_test::device();
  Buffer x(device, 64 * sizeof(float), "x");
  Buffer y(device, 64 * sizeof(float), "y");
  const auto before = device.counters();
  Recording recording(device, "counted");
  const AxpyPush push{64, 1.0f};
  recording.dispatch(device.pipeline(axpy_desc()), {&x, &y}, push, {1, 1, 1});
  recording.barrier();
  recording.dispatch(device.pipeline(axpy_desc()), {&x, &y}, push, {1, 1, 1});
  recording.dispatch(device.pipeline(axpy_desc()), {&x, &y}, push, {0, 1, 1});  // empty: not recorded
  recording.host_read_barrier();
  recording.finish();
  EXPECT_EQ(recording.dispatch_count(), 2u);
  // The barrier every recording starts with, the explicit one, the host-read one.
  EXPECT_EQ(recording.barrier_count(), 3u);
  const auto after = device.counters();
  EXPECT_EQ(after.dispatches_recorded - before.dispatches_recorded, 2u);
  EXPECT_EQ(after.barriers_recorded - before.barriers_recorded, 3u);
}

// vknn-bench --profile times each dispatch of a real program this way.
TEST_F(SmokeTest, ADispatchProfilerTimesEachDispatchOfARecording) {
  auto& device = vknn_test::device();
  if (!device.info().timestamps_supported) GTEST_SKIP() << "no timestamp queries";
  Buffer x(device, 64 * sizeof(float), "x");
  Buffer y(device, 64 * sizeof(float), "y");
  vknn::vk::DispatchProfiler profiler(device, 2);
  device.set_dispatch_profiler(&profiler);
  Recording recording(device, "profiled");
  device.set_dispatch_profiler(nullptr);
  Recording unprofiled(device, "made after detaching");
  const AxpyPush push{64, 1.0f};
  recording.dispatch(device.pipeline(axpy_desc()), {&x, &y}, push, {1, 1, 1});
  recording.barrier();
  recording.dispatch(device.pipeline(axpy_desc()), {&x, &y}, push, {1, 1, 1});
  unprofiled.dispatch(device.pipeline(axpy_desc()), {&x, &y}, push, {1, 1, 1});
  // A third dispatch would need a fourth timestamp: a clear error, not a
  // write past the pool.
  const std::string message = vknn_test::error_of([&] {
    recording.dispatch(device.pipeline(axpy_desc()), {&x, &y}, push, {1, 1, 1});
  });
  EXPECT_NE(message.find("more than 2 dispatches"), std::string::npos) << message;
  recording.finish();
  vknn::vk::submit(device, recording).wait();
  const auto timings = profiler.timings();
  ASSERT_EQ(timings.size(), 2u);
  for (const auto& t : timings) {
    EXPECT_EQ(t.label, "axpy [1,1,1]");
    EXPECT_GE(t.ns, 0.0);
  }
}

TEST_F(SmokeTest, OddCountsLeaveTheTailAlone) { run_axpy(vknn_test::device(), 1, 3); }

TEST(StagingPath, UploadDispatchDownloadThroughStagingBuffers) {
  vknn::ContextOptions options;
  options.validation = vknn::Validation::on;
  options.force_staging = true;
  vknn::Context context(options);
  ASSERT_FALSE(vknn::vk::device_of(context).unified_memory());
  run_axpy(vknn::vk::device_of(context), 300, 2);
  std::vector<float> zeros(300, 1.0f);
  Buffer buffer(vknn::vk::device_of(context), 300 * sizeof(float), "cleared");
  buffer.upload(zeros.data(), 300 * sizeof(float));
  buffer.fill_zero();
  buffer.download(zeros.data(), 300 * sizeof(float));
  for (float v : zeros) ASSERT_EQ(v, 0.0f);
  EXPECT_EQ(context.validation_error_count(), 0u);
}

TEST(ShaderRegistry, EveryShaderIsEmbeddedAsSpirv) {
  const auto names = vknn::vk::embedded_shader_names();
  ASSERT_FALSE(names.empty());
  for (const auto& name : names) {
    const auto words = vknn::vk::embedded_shader(name);
    ASSERT_GT(words.size(), 5u) << name;
    EXPECT_EQ(words[0], 0x07230203u) << name << " does not start with the SPIR-V magic";
  }
}

TEST(ShaderRegistry, UnknownShaderIsAClearError) {
  try {
    vknn::vk::embedded_shader("no_such_shader");
    FAIL() << "expected vknn::Error";
  } catch (const vknn::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_shader"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("axpy"), std::string::npos) << "should list known shaders";
  }
}

}  // namespace
