#include "vulkan/ops/store_batch.hpp"

#include "vknn/error.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "vulkan/device.hpp"
#include "vulkan/ops/step_state.hpp"
#include "vulkan/ops/training_checks.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk::ops {

namespace {
struct StoreBatchPush {
  std::uint32_t count;
  std::uint32_t stride;
  std::uint32_t destination_count;
};
}  // namespace

void store_batch(Recording& recording, std::uint32_t count, std::uint32_t stride,
                 const Buffer& source,
                 const Buffer& state, const Buffer& destination) {
  using namespace training_detail;
  const char* op = "store_batch";
  require_recording_open(op, recording);
  const std::string what = std::to_string(count) + " floats";
  require_positive(op, "count", count, "elements per batch");
  require_bytes(op, "source", source, std::uint64_t(count) * 4, what);
  require_step_state(op, state);
  require_bytes(op, "destination", destination, std::uint64_t(count) * 4, what);
  if (stride < count) {
    throw Error("store_batch: stride " + std::to_string(stride) + " is smaller than count " +
                std::to_string(count));
  }

  Device& device = recording.device();
  const std::uint32_t width = workgroup_width(device, 256, 64);
  PipelineDesc desc;
  desc.shader = "store_batch";
  desc.buffer_count = 3;
  desc.push_constant_bytes = sizeof(StoreBatchPush);
  desc.workgroup = {width, 1, 1};
  const StoreBatchPush push{count, stride, std::uint32_t(destination.size() / 4)};
  recording.dispatch(device.pipeline(desc), {&source, &state, &destination}, push,
                     {grid_groups(device, count, width), 1, 1});
  recording.barrier();
}

}  // namespace vknn::vk::ops
