#include "vulkan/pipeline.hpp"

#include <sstream>

#include "vulkan/check.hpp"
#include "vulkan/device.hpp"
#include "vulkan/shader_registry.hpp"

namespace vknn::vk {

std::string PipelineDesc::key() const {
  std::ostringstream s;
  s << shader << "|b" << buffer_count << "|p" << push_constant_bytes << "|w" << workgroup[0] << ","
    << workgroup[1] << "," << workgroup[2] << "|c";
  for (auto c : constants) s << c << ",";
  return s.str();
}

ComputePipeline::ComputePipeline(Device& device, const PipelineDesc& desc)
    : device_(device), desc_(desc) {
  const std::string what = "pipeline '" + desc.shader + "'";
  device.check_workgroup(desc.workgroup[0], desc.workgroup[1], desc.workgroup[2], what);
  device.check_shared_memory(desc.shared_memory_bytes, what);
  device.check_push_constants(desc.push_constant_bytes, what);
  const std::span<const std::uint32_t> code = embedded_shader(desc.shader);
  VkDevice dev = device.handle();

  std::vector<VkDescriptorSetLayoutBinding> bindings(desc.buffer_count);
  for (std::uint32_t i = 0; i < desc.buffer_count; ++i) {
    bindings[i].binding = i;
    bindings[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    bindings[i].descriptorCount = 1;
    bindings[i].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
  }
  VkDescriptorSetLayoutCreateInfo set_info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  set_info.bindingCount = desc.buffer_count;
  set_info.pBindings = bindings.data();
  vk_check(vkCreateDescriptorSetLayout(dev, &set_info, nullptr, &set_layout_),
           "vkCreateDescriptorSetLayout", "creating the descriptor layout of " + what);

  VkPushConstantRange push{VK_SHADER_STAGE_COMPUTE_BIT, 0, desc.push_constant_bytes};
  VkPipelineLayoutCreateInfo layout_info{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  layout_info.setLayoutCount = 1;
  layout_info.pSetLayouts = &set_layout_;
  layout_info.pushConstantRangeCount = desc.push_constant_bytes > 0 ? 1 : 0;
  layout_info.pPushConstantRanges = &push;
  vk_check(vkCreatePipelineLayout(dev, &layout_info, nullptr, &layout_), "vkCreatePipelineLayout",
           "creating the pipeline layout of " + what);

  VkShaderModuleCreateInfo module_info{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  module_info.codeSize = code.size_bytes();
  module_info.pCode = code.data();
  VkShaderModule module = VK_NULL_HANDLE;
  vk_check(vkCreateShaderModule(dev, &module_info, nullptr, &module), "vkCreateShaderModule",
           "loading the SPIR-V of " + what);

  std::vector<std::uint32_t> values = {desc.workgroup[0], desc.workgroup[1], desc.workgroup[2]};
  values.insert(values.end(), desc.constants.begin(), desc.constants.end());
  std::vector<VkSpecializationMapEntry> entries(values.size());
  for (std::uint32_t i = 0; i < values.size(); ++i) {
    entries[i] = {i, i * std::uint32_t(sizeof(std::uint32_t)), sizeof(std::uint32_t)};
  }
  VkSpecializationInfo specialization{};
  specialization.mapEntryCount = std::uint32_t(entries.size());
  specialization.pMapEntries = entries.data();
  specialization.dataSize = values.size() * sizeof(std::uint32_t);
  specialization.pData = values.data();

  VkComputePipelineCreateInfo info{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  info.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
  info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  info.stage.module = module;
  info.stage.pName = "main";
  info.stage.pSpecializationInfo = &specialization;
  info.layout = layout_;
  VkResult r = vkCreateComputePipelines(dev, device.pipeline_cache(), 1, &info, nullptr, &pipeline_);
  // The module is only needed while the pipeline is being created.
  vkDestroyShaderModule(dev, module, nullptr);
  vk_check(r, "vkCreateComputePipelines", "compiling " + what);
}

ComputePipeline::~ComputePipeline() {
  VkDevice dev = device_.handle();
  if (pipeline_ != VK_NULL_HANDLE) vkDestroyPipeline(dev, pipeline_, nullptr);
  if (layout_ != VK_NULL_HANDLE) vkDestroyPipelineLayout(dev, layout_, nullptr);
  if (set_layout_ != VK_NULL_HANDLE) vkDestroyDescriptorSetLayout(dev, set_layout_, nullptr);
}

}  // namespace vknn::vk
