// RMSprop on the device (declared in optimizers.hpp with the other
// optimizer updates).
#include <algorithm>
#include <sstream>

#include "vknn/error.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "vulkan/device.hpp"
#include "ops/vulkan/dispatch.hpp"
#include "ops/vulkan/optimizers.hpp"
#include "ops/vulkan/step_state.hpp"
#include "ops/vulkan/training_shaders.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk::ops {

using namespace detail;  // the dispatch vocabulary, dispatch.hpp

void rmsprop_update(Recording& recording, const RmspropConfig& config, std::uint64_t count,
                    const Buffer& state, const Buffer& weights, const Buffer& gradients,
                    const Buffer& velocity, const Buffer* momentum_buffer) {
  const char* op = "rmsprop_update";
  require_recording_open(op, recording);
  require_fits_u32(op, "count", count);
  config.validate(op);
  const bool has_momentum = config.momentum != 0.0f;
  if (has_momentum && momentum_buffer == nullptr) {
    throw Error(std::string(op) + ": momentum is " + std::to_string(config.momentum) +
                " but momentum_buffer is null; pass a buffer of " + std::to_string(count) +
                " floats (zero before the first step)");
  }
  require_step_state(op, state);
  const std::uint64_t bytes = count * sizeof(float);
  const std::string floats = std::to_string(count) + " floats";
  require_bytes(op, "weights", weights, bytes, floats);
  require_bytes(op, "gradients", gradients, bytes, floats);
  require_bytes(op, "velocity", velocity, bytes, floats + ", zero before the first step");
  if (has_momentum) {
    require_bytes(op, "momentum_buffer", *momentum_buffer, bytes,
                  floats + ", zero before the first step");
  }
  if (count == 0) {
    recording.barrier();
    return;
  }
  // Without momentum the shader never touches binding 4; the velocity
  // fills the slot.
  const Buffer& momentum_slot = has_momentum ? *momentum_buffer : velocity;
  // 1 - rho computed in double and rounded once, as the CPU reference does.
  const RmspropPush push{std::uint32_t(count), config.rho, float(1.0 - double(config.rho)),
                         config.momentum, config.epsilon};
  const PipelineDesc desc =
      pipeline_1d("optimizer_rmsprop", sizeof(RmspropPush),
                  elementwise_width(recording.device()),
                  {{RmspropSpec::has_momentum, has_momentum ? 1u : 0u}});
  // Four parameters an invocation, the tail one each (the shader says why).
  record_grid_stride(recording, desc, GridStrideOp::optimizer, std::max<std::uint64_t>((count + 3) / 4, 1),
                     {&state, &weights, &gradients, &velocity, &momentum_slot}, push);
}

}  // namespace vknn::vk::ops
