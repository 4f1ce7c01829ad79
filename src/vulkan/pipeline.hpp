// Compute pipelines: an embedded shader, its descriptor set layout, a
// push-constant range and its specialization constants.
//
// The descriptor set layout is read from the shader's SPIR-V
// (spirv_reflect.hpp), not stated in C++: a shader binds its buffers at
// bindings 0..n-1 of set 0, each a storage buffer or, where it declares a
// `uniform samplerBuffer` (the _texel builds of texel_reads.glsl), a uniform
// texel buffer of vec4s. A dispatch passes its buffers in binding order and is
// refused unless it passes exactly n (command.cpp).
//
// Specialization constant ids:
//   0, 1, 2   workgroup size x, y, z in every vknn shader
//             (layout(local_size_x_id = 0, ...) in shaders/common.glsl)
//   3, 4, ... the shader's own (tile sizes, variants), named per shader family
//             next to its push-constant struct (src/ops/vulkan/*_shaders.hpp)
// so one shader source serves every device with sizes chosen at run time.
// A pipeline refuses to set an id its SPIR-V does not declare
// (spirv_reflect.hpp): Vulkan would silently ignore it.
#pragma once

#include <vulkan/vulkan.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace vknn::vk {

class Device;

// The first id a shader's own specialization constants may use.
inline constexpr std::uint32_t kFirstShaderConstantId = 3;

struct SpecConstant {
  std::uint32_t id;
  std::uint32_t value;
};

// A shader's specialization constants (ids >= 3), each set at most once.
class SpecConstants {
 public:
  SpecConstants() = default;
  // By name: {{Conv2DForwardSpec::pixels, 8}, {Conv2DForwardSpec::ic_vec4, 1}}.
  SpecConstants(std::initializer_list<SpecConstant> named);
  // By position: the values of ids 3, 4, ... in order. For callers outside
  // src/ops/vulkan that predate the names (vknn-bench's fma_peak).
  SpecConstants(std::initializer_list<std::uint32_t> in_order);

  void set(std::uint32_t id, std::uint32_t value);
  void set(std::initializer_list<SpecConstant> more);
  const std::vector<SpecConstant>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }

 private:
  std::vector<SpecConstant> entries_;  // sorted by id
};

struct PipelineDesc {
  std::string shader;  // shaders/<shader>.comp; its bindings come from its SPIR-V
  std::uint32_t push_constant_bytes = 0;
  std::array<std::uint32_t, 3> workgroup{64, 1, 1};
  SpecConstants constants;  // ids >= 3
  // Shared memory the shader declares for these constants; checked against
  // maxComputeSharedMemorySize before the driver sees it.
  std::uint32_t shared_memory_bytes = 0;

  // Everything above except the bindings, which `shader` fixes.
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

  // How many buffers a dispatch binds: the shader's bindings 0..n-1.
  std::uint32_t buffer_count() const { return std::uint32_t(texel_bindings_.size()); }
  // Whether `binding` is a uniform texel buffer (`uniform samplerBuffer`)
  // rather than a storage buffer: on lavapipe a texel fetch is a gather,
  // where a storage buffer load outside of uniform control flow is a loop
  // over the SIMD lanes.
  bool is_texel_binding(std::uint32_t binding) const { return texel_bindings_.at(binding); }

 private:
  Device& device_;
  PipelineDesc desc_;
  std::vector<bool> texel_bindings_;  // one per binding, from the SPIR-V
  VkDescriptorSetLayout set_layout_ = VK_NULL_HANDLE;
  VkPipelineLayout layout_ = VK_NULL_HANDLE;
  VkPipeline pipeline_ = VK_NULL_HANDLE;
};

}  // namespace vknn::vk
