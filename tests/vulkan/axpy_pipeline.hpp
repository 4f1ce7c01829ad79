// The axpy shader's pipeline, which the runtime tests dispatch.
#pragma once

#include <array>
#include <cstdint>

#include "vulkan/pipeline.hpp"

namespace vknn_test {

struct AxpyPush {
  std::uint32_t count;
  float alpha;
};

inline vknn::vk::PipelineDesc axpy_desc(std::array<std::uint32_t, 3> workgroup = {64, 1, 1}) {
  vknn::vk::PipelineDesc desc;
  desc.shader = "axpy";
  desc.push_constant_bytes = sizeof(AxpyPush);
  desc.workgroup = workgroup;
  return desc;
}

}  // namespace vknn_test
