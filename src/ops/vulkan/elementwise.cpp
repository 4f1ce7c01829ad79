#include "ops/vulkan/elementwise.hpp"

#include <string>

#include "ops/vulkan/dispatch.hpp"

namespace vknn::vk::ops {
namespace {

void record_elementwise(Recording& recording, const std::string& op, std::string_view function,
                        bool backward, const std::array<float, 4>& parameters, std::int64_t count,
                        std::initializer_list<const Buffer*> buffers) {
  detail::require_recording_open(op.c_str(), recording);
  detail::require_element_count(op.c_str(), count);
  const std::string shapes = std::to_string(count) + " elements";
  const char* roles[] = {"x", backward ? "dy" : "x", backward ? "dx" : "y"};
  int role = 0;
  for (const Buffer* buffer : buffers) detail::require_floats(op.c_str(), roles[role++], *buffer, count, shapes);
  const PipelineDesc desc =
      detail::pipeline_1d(std::string(function).c_str(), sizeof(ElementwisePush),
                          detail::elementwise_width(recording.device()),
                          {{ElementwiseSpec::backward, backward}});
  const ElementwisePush push{std::uint32_t(count), parameters[0], parameters[1], parameters[2],
                             parameters[3]};
  detail::record_grid_stride(recording, desc, detail::GridStrideOp::elementwise, std::uint64_t(count),
                             buffers, push);
}

}  // namespace

void elementwise_forward(Recording& recording, std::string_view function,
                         const std::array<float, 4>& parameters, std::int64_t count, const Buffer& x,
                         const Buffer& y) {
  // Binding 1 (dy) is unread forward.
  record_elementwise(recording, std::string(function), function, false, parameters, count,
                     {&x, &x, &y});
}

void elementwise_backward(Recording& recording, std::string_view function,
                          const std::array<float, 4>& parameters, std::int64_t count, const Buffer& x,
                          const Buffer& dy, const Buffer& dx) {
  record_elementwise(recording, std::string(function) + "_backward", function, true, parameters,
                     count, {&x, &dy, &dx});
}

}  // namespace vknn::vk::ops
