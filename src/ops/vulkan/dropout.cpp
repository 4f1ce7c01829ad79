#include "ops/vulkan/dropout.hpp"

#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "vulkan/device.hpp"
#include "ops/vulkan/dispatch.hpp"
#include "ops/vulkan/step_state.hpp"
#include "ops/vulkan/training_shaders.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk::ops {

using namespace detail;  // the dispatch vocabulary, dispatch.hpp

void dropout_apply(Recording& recording, const DropoutConfig& config, std::int64_t count,
                   const Buffer& state, const Buffer& x, const Buffer& y) {
  const char* op = "dropout";
  require_recording_open(op, recording);
  config.validate();
  require_positive(op, "count", count, config.describe());
  require_fits_u32(op, "count", std::uint64_t(count) + config.first_element);
  require_step_state(op, state);
  const std::string floats = std::to_string(count) + " floats";
  require_bytes(op, "x", x, std::uint64_t(count) * 4, floats);
  require_bytes(op, "y", y, std::uint64_t(count) * 4, floats);
  // Element-wise like relu: one pass.
  const DropoutPush push{std::uint32_t(count), config.threshold(), config.keep_scale(),
                         std::uint32_t(config.seed), std::uint32_t(config.seed >> 32),
                         config.first_element};
  record_grid_stride(recording,
                     pipeline_1d("dropout", sizeof(DropoutPush),
                                 elementwise_width(recording.device())),
                     GridStrideOp::relu, std::uint64_t(count), {&state, &x, &y}, push);
}

}  // namespace vknn::vk::ops
