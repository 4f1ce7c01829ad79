#include "ops/vulkan/store_batch.hpp"

#include "vknn/error.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "vulkan/device.hpp"
#include "ops/vulkan/step_state.hpp"
#include "ops/vulkan/dispatch.hpp"
#include "ops/vulkan/training_shaders.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk::ops {

void store_batch(Recording& recording, std::uint32_t count, std::uint32_t stride,
                 const Buffer& source,
                 const Buffer& state, const Buffer& destination, std::uint32_t first) {
  using namespace detail;
  const char* op = "store_batch";
  require_recording_open(op, recording);
  const std::string what = std::to_string(count) + " floats";
  require_positive(op, "count", count, "elements per batch");
  require_bytes(op, "source", source, std::uint64_t(count) * 4, what);
  require_step_state(op, state);
  require_bytes(op, "destination", destination, std::uint64_t(count) * 4, what);
  if (std::uint64_t(first) + count > stride) {
    throw Error("store_batch: first " + std::to_string(first) + " + count " + std::to_string(count) +
                " exceeds the stride " + std::to_string(stride) +
                " (a batch, or a micro-batch within it, lies within one stride)");
  }

  const PipelineDesc desc = pipeline_1d("store_batch", sizeof(StoreBatchPush),
                                                 elementwise_width(recording.device()));
  record_grid_stride(recording, desc, GridStrideOp::batch_copy, count,
                     {&source, &state, &destination},
                     StoreBatchPush{count, stride, std::uint32_t(destination.size() / 4), first});
}

}  // namespace vknn::vk::ops
