// What a compute shader's SPIR-V says about its interface with the C++
// side: its descriptor bindings, the push-constant block's layout and the
// specialization constant ids it declares. Read from the embedded words
// (shader_registry.hpp), so the dispatchers' C++ mirrors of the GLSL can be
// checked against what glslang actually laid out
// (tests/vulkan/shader_layout_test.cpp), a pipeline cannot set a constant id
// its shader lacks, and its descriptor layout (how many buffers, which are
// texel buffers) is the shader's own, not a second statement of it in C++
// (pipeline.cpp).
//
// A small reader, not a general reflection library: it understands the
// instructions vknn's shaders use for these things (OpName, OpMemberName,
// OpDecorate SpecId/Binding/DescriptorSet/Block/BufferBlock, OpMemberDecorate
// Offset, the scalar, vector, array, struct, image and pointer types,
// OpVariable) and skips everything else.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vknn::vk {

struct PushConstantMember {
  std::string name;  // from OpMemberName; empty where the SPIR-V has no names
  std::uint32_t offset = 0;
  std::uint32_t size = 0;  // bytes the member's type occupies
};

struct PushConstantBlock {
  std::string type_name;  // the GLSL block name, e.g. "Conv2DPush"
  std::vector<PushConstantMember> members;  // in declaration order
  // Bytes up to the end of the last member: what VkPushConstantRange::size
  // must cover.
  std::uint32_t size = 0;
};

// What a descriptor binding holds, as Vulkan's descriptor types name it.
enum class DescriptorKind {
  storage_buffer,        // a Block in StorageBuffer, or a BufferBlock in Uniform storage
  uniform_texel_buffer,  // `uniform samplerBuffer`: an image with Dim Buffer, Sampled 1
  uniform_buffer,        // a Block in Uniform storage (no vknn shader declares one)
};

const char* descriptor_kind_name(DescriptorKind kind);

struct DescriptorBinding {
  std::uint32_t set = 0;
  std::uint32_t binding = 0;
  DescriptorKind kind = DescriptorKind::storage_buffer;
};

struct ShaderInterface {
  // Sorted by (set, binding), each once: blocks that alias one binding (a
  // float and a vec4 view of the same buffer) are one binding.
  std::vector<DescriptorBinding> bindings;
  bool has_push_constants = false;
  PushConstantBlock push_constants;  // empty unless has_push_constants
  std::vector<std::uint32_t> spec_constant_ids;  // sorted, each once

  bool declares_spec_constant(std::uint32_t id) const;
};

// Reads `words` (one SPIR-V module); `what` names it in errors. Throws
// vknn::Error for words that are not SPIR-V, a truncated instruction, a
// push-constant member of a type it does not understand, a resource it cannot
// classify (an array of descriptors, a storage image), or two variables of
// different kinds at one binding.
ShaderInterface reflect_shader(std::span<const std::uint32_t> words, std::string_view what);

// The interface of the embedded shaders/<name>.comp, read once and kept.
const ShaderInterface& embedded_shader_interface(std::string_view name);

}  // namespace vknn::vk
