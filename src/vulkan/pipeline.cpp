#include "vulkan/pipeline.hpp"

#include <algorithm>
#include <sstream>

#include "vknn/error.hpp"
#include "vulkan/check.hpp"
#include "vulkan/device.hpp"
#include "vulkan/shader_registry.hpp"
#include "vulkan/spirv_reflect.hpp"

namespace vknn::vk {

SpecConstants::SpecConstants(std::initializer_list<SpecConstant> named) { set(named); }

void SpecConstants::set(std::initializer_list<SpecConstant> more) {
  for (const SpecConstant& c : more) set(c.id, c.value);
}

SpecConstants::SpecConstants(std::initializer_list<std::uint32_t> in_order) {
  std::uint32_t id = kFirstShaderConstantId;
  for (std::uint32_t value : in_order) set(id++, value);
}

void SpecConstants::set(std::uint32_t id, std::uint32_t value) {
  if (id < kFirstShaderConstantId) {
    throw Error("specialization constant id " + std::to_string(id) +
                " is reserved for the workgroup size; a shader's own constants start at " +
                std::to_string(kFirstShaderConstantId));
  }
  for (const SpecConstant& c : entries_) {
    if (c.id == id) {
      throw Error("specialization constant id " + std::to_string(id) + " is set twice");
    }
  }
  entries_.push_back({id, value});
  // Sorted, so the pipeline key does not depend on the order of setting.
  std::sort(entries_.begin(), entries_.end(),
            [](const SpecConstant& a, const SpecConstant& b) { return a.id < b.id; });
}

namespace {

// The dispatcher's view of the shader against the SPIR-V's: a constant id
// the shader lacks would be ignored by Vulkan, and a push range shorter than
// the block is a validation error that names neither side.
void check_against_spirv(const PipelineDesc& desc, const std::string& what) {
  const ShaderInterface& shader = embedded_shader_interface(desc.shader);
  for (const SpecConstant& c : desc.constants.entries()) {
    if (!shader.declares_spec_constant(c.id)) {
      std::string declared;
      for (std::uint32_t id : shader.spec_constant_ids) {
        declared += (declared.empty() ? "" : ", ") + std::to_string(id);
      }
      throw Error(what + ": sets specialization constant id " + std::to_string(c.id) +
                  ", which shaders/" + desc.shader + ".comp does not declare (it declares " +
                  declared + ")");
    }
  }
  if (shader.has_push_constants && desc.push_constant_bytes < shader.push_constants.size) {
    throw Error(what + ": declares " + std::to_string(desc.push_constant_bytes) +
                " bytes of push constants, but the shader's block " +
                shader.push_constants.type_name + " is " +
                std::to_string(shader.push_constants.size) + " bytes");
  }
}

// The shader's bindings as the dispatch binds them: a list of buffers, one
// per binding of set 0 from 0 up. Returns, per binding, whether it is a
// uniform texel buffer.
std::vector<bool> bindings_from_spirv(const PipelineDesc& desc, const std::string& what) {
  const ShaderInterface& shader = embedded_shader_interface(desc.shader);
  std::vector<bool> texel;
  for (const DescriptorBinding& b : shader.bindings) {
    if (b.set != 0 || b.binding != texel.size()) {
      throw Error(what + ": shaders/" + desc.shader + ".comp declares set " +
                  std::to_string(b.set) + " binding " + std::to_string(b.binding) +
                  "; a dispatch binds its buffers at bindings 0, 1, ... of set 0, so binding " +
                  std::to_string(texel.size()) + " of set 0 was expected next");
    }
    if (b.kind == DescriptorKind::uniform_buffer) {
      throw Error(what + ": shaders/" + desc.shader + ".comp declares binding " +
                  std::to_string(b.binding) +
                  " as a uniform buffer; vknn binds storage buffers and uniform texel buffers");
    }
    texel.push_back(b.kind == DescriptorKind::uniform_texel_buffer);
  }
  return texel;
}

}  // namespace

std::string PipelineDesc::key() const {
  std::ostringstream s;
  s << shader << "|p" << push_constant_bytes << "|w" << workgroup[0] << "," << workgroup[1] << ","
    << workgroup[2] << "|s" << shared_memory_bytes << "|c";
  for (const SpecConstant& c : constants.entries()) s << c.id << "=" << c.value << ",";
  return s.str();
}

ComputePipeline::ComputePipeline(Device& device, const PipelineDesc& desc)
    : device_(device), desc_(desc) {
  const std::string what = "pipeline '" + desc.shader + "'";
  device.check_workgroup(desc.workgroup[0], desc.workgroup[1], desc.workgroup[2], what);
  device.check_shared_memory(desc.shared_memory_bytes, what);
  device.check_push_constants(desc.push_constant_bytes, what);
  check_against_spirv(desc, what);
  texel_bindings_ = bindings_from_spirv(desc, what);
  const std::uint32_t buffer_count = this->buffer_count();
  const std::span<const std::uint32_t> code = embedded_shader(desc.shader);
  VkDevice dev = device.handle();

  std::vector<VkDescriptorSetLayoutBinding> bindings(buffer_count);
  for (std::uint32_t i = 0; i < buffer_count; ++i) {
    bindings[i].binding = i;
    bindings[i].descriptorType = is_texel_binding(i) ? VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER
                                                     : VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    bindings[i].descriptorCount = 1;
    bindings[i].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
  }
  VkDescriptorSetLayoutCreateInfo set_info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  set_info.bindingCount = buffer_count;
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

  std::vector<SpecConstant> constants = {
      {0, desc.workgroup[0]}, {1, desc.workgroup[1]}, {2, desc.workgroup[2]}};
  constants.insert(constants.end(), desc.constants.entries().begin(),
                   desc.constants.entries().end());
  std::vector<std::uint32_t> values(constants.size());
  std::vector<VkSpecializationMapEntry> entries(constants.size());
  for (std::uint32_t i = 0; i < constants.size(); ++i) {
    values[i] = constants[i].value;
    entries[i] = {constants[i].id, i * std::uint32_t(sizeof(std::uint32_t)),
                  sizeof(std::uint32_t)};
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
