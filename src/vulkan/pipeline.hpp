// Compute pipelines: an embedded shader, its descriptor set layout (storage
// buffers at bindings 0..n-1 of set 0), a push-constant range and its
// specialization constants.
//
// Specialization constant ids are fixed across all vknn shaders:
//   0, 1, 2   workgroup size x, y, z (layout(local_size_x_id = 0, ...) in GLSL)
//   3, 4, ... PipelineDesc::constants, in order (tile sizes, variants)
// so one shader source serves every device with sizes chosen at run time.
#pragma once

#include <vulkan/vulkan.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace vknn::vk {

class Device;

struct PipelineDesc {
  std::string shader;  // shaders/<shader>.comp
  std::uint32_t buffer_count = 1;
  std::uint32_t push_constant_bytes = 0;
  std::array<std::uint32_t, 3> workgroup{64, 1, 1};
  std::vector<std::uint32_t> constants;  // specialization ids 3, 4, ...
  // Shared memory the shader declares for these constants; checked against
  // maxComputeSharedMemorySize before the driver sees it.
  std::uint32_t shared_memory_bytes = 0;

  std::string key() const;
};

class ComputePipeline {
 public:
  ComputePipeline(Device& device, const PipelineDesc& desc);
  ~ComputePipeline();
  ComputePipeline(const ComputePipeline&) = delete;
  ComputePipeline& operator=(const ComputePipeline&) = delete;

  const PipelineDesc& desc() const { return desc_; }
  VkPipeline handle() const { return pipeline_; }
  VkPipelineLayout layout() const { return layout_; }
  VkDescriptorSetLayout set_layout() const { return set_layout_; }

 private:
  Device& device_;
  PipelineDesc desc_;
  VkDescriptorSetLayout set_layout_ = VK_NULL_HANDLE;
  VkPipelineLayout layout_ = VK_NULL_HANDLE;
  VkPipeline pipeline_ = VK_NULL_HANDLE;
};

}  // namespace vknn::vk
