#include "vulkan/spirv_reflect.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "vknn/error.hpp"
#include "vulkan/shader_registry.hpp"

namespace vknn::vk {
namespace {

// From the SPIR-V specification (unified 1.6).
constexpr std::uint32_t kMagic = 0x07230203;
constexpr std::uint32_t kHeaderWords = 5;
enum Op : std::uint32_t {
  OpName = 5,
  OpMemberName = 6,
  OpTypeBool = 20,
  OpTypeInt = 21,
  OpTypeFloat = 22,
  OpTypeVector = 23,
  OpTypeMatrix = 24,
  OpTypeImage = 25,
  OpTypeSampledImage = 27,
  OpTypeArray = 28,
  OpTypeRuntimeArray = 29,
  OpTypeStruct = 30,
  OpTypePointer = 32,
  OpConstant = 43,
  OpVariable = 59,
  OpDecorate = 71,
  OpMemberDecorate = 72,
};
constexpr std::uint32_t kDecorationSpecId = 1;
constexpr std::uint32_t kDecorationBlock = 2;
constexpr std::uint32_t kDecorationBufferBlock = 3;
constexpr std::uint32_t kDecorationArrayStride = 6;
constexpr std::uint32_t kDecorationBinding = 33;
constexpr std::uint32_t kDecorationDescriptorSet = 34;
constexpr std::uint32_t kDecorationOffset = 35;
constexpr std::uint32_t kStorageClassUniformConstant = 0;
constexpr std::uint32_t kStorageClassUniform = 2;
constexpr std::uint32_t kStorageClassPushConstant = 9;
constexpr std::uint32_t kStorageClassStorageBuffer = 12;
constexpr std::uint32_t kDimBuffer = 5;

// A literal string: UTF-8 bytes, little-endian within each word, NUL-ended.
std::string literal_string(std::span<const std::uint32_t> words) {
  std::string s;
  for (std::uint32_t word : words) {
    for (int b = 0; b < 4; ++b) {
      const char c = char((word >> (8 * b)) & 0xff);
      if (c == '\0') return s;
      s.push_back(c);
    }
  }
  return s;
}

struct Type {
  std::uint32_t opcode = 0;
  std::vector<std::uint32_t> operands;  // after the result id
};

// An OpVariable in a storage class that Vulkan binds through descriptors.
struct ResourceVariable {
  std::uint32_t id = 0;
  std::uint32_t pointer_type = 0;
  std::uint32_t storage_class = 0;
};

struct Module {
  std::unordered_map<std::uint32_t, std::string> names;
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::string> member_names;
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint32_t> member_offsets;
  std::unordered_map<std::uint32_t, std::uint32_t> array_strides;
  std::unordered_map<std::uint32_t, Type> types;
  std::unordered_map<std::uint32_t, std::uint32_t> constants;  // 32-bit OpConstant values
  std::vector<std::uint32_t> spec_ids;
  std::optional<std::uint32_t> push_pointer_type;
  std::unordered_map<std::uint32_t, std::uint32_t> bindings;         // id -> Binding
  std::unordered_map<std::uint32_t, std::uint32_t> descriptor_sets;  // id -> DescriptorSet
  std::unordered_map<std::uint32_t, std::uint32_t> block_kinds;      // id -> Block or BufferBlock
  std::vector<ResourceVariable> resources;
};

class Reader {
 public:
  Reader(const Module& module, std::string_view what) : m_(module), what_(what) {}

  std::uint32_t size_of(std::uint32_t type_id) const {
    const Type& t = type(type_id);
    switch (t.opcode) {
      case OpTypeBool:  // not allowed in push blocks by Vulkan; sized as GLSL's bool (uint)
        return 4;
      case OpTypeInt:
      case OpTypeFloat:
        return operand(t, 0, type_id) / 8;
      case OpTypeVector:
        return size_of(operand(t, 0, type_id)) * operand(t, 1, type_id);
      case OpTypeArray: {
        const auto stride = m_.array_strides.find(type_id);
        const auto length = m_.constants.find(operand(t, 1, type_id));
        if (stride == m_.array_strides.end() || length == m_.constants.end()) {
          fail("an array type without ArrayStride or with a specialized length", type_id);
        }
        return stride->second * length->second;
      }
      case OpTypeStruct: {
        std::uint32_t end = 0;
        for (std::uint32_t i = 0; i < t.operands.size(); ++i) {
          end = std::max(end, member_offset(type_id, i) + size_of(t.operands[i]));
        }
        return end;
      }
      default:
        fail("a type the reader does not size (opcode " + std::to_string(t.opcode) + ")",
             type_id);
    }
  }

  std::uint32_t member_offset(std::uint32_t struct_id, std::uint32_t member) const {
    const auto it = m_.member_offsets.find({struct_id, member});
    if (it == m_.member_offsets.end()) {
      fail("member " + std::to_string(member) + " without an Offset decoration", struct_id);
    }
    return it->second;
  }

  const Type& type(std::uint32_t id) const {
    const auto it = m_.types.find(id);
    if (it == m_.types.end()) fail("a reference to an undeclared type", id);
    return it->second;
  }

 private:
  std::uint32_t operand(const Type& t, std::size_t i, std::uint32_t id) const {
    if (i >= t.operands.size()) fail("a type instruction with too few operands", id);
    return t.operands[i];
  }

  [[noreturn]] void fail(const std::string& problem, std::uint32_t id) const {
    throw Error("SPIR-V of " + std::string(what_) + ": " + problem + " (id %" +
                std::to_string(id) + ")");
  }

  const Module& m_;
  std::string_view what_;
};

Module scan(std::span<const std::uint32_t> words, std::string_view what) {
  const std::string where = "SPIR-V of " + std::string(what);
  if (words.size() < kHeaderWords || words[0] != kMagic) {
    throw Error(where + ": not a SPIR-V module (" + std::to_string(words.size()) +
                " words, no magic number 0x07230203 at the start)");
  }
  Module m;
  std::size_t at = kHeaderWords;
  while (at < words.size()) {
    const std::uint32_t count = words[at] >> 16;
    const std::uint32_t opcode = words[at] & 0xffff;
    if (count == 0 || at + count > words.size()) {
      throw Error(where + ": instruction at word " + std::to_string(at) + " claims " +
                  std::to_string(count) + " words, " + std::to_string(words.size() - at) +
                  " remain");
    }
    const std::span<const std::uint32_t> ops = words.subspan(at + 1, count - 1);
    at += count;
    switch (opcode) {
      case OpName:
        if (ops.size() >= 1) m.names[ops[0]] = literal_string(ops.subspan(1));
        break;
      case OpMemberName:
        if (ops.size() >= 2) m.member_names[{ops[0], ops[1]}] = literal_string(ops.subspan(2));
        break;
      case OpDecorate:
        if (ops.size() >= 3 && ops[1] == kDecorationSpecId) m.spec_ids.push_back(ops[2]);
        if (ops.size() >= 3 && ops[1] == kDecorationArrayStride) m.array_strides[ops[0]] = ops[2];
        if (ops.size() >= 3 && ops[1] == kDecorationBinding) m.bindings[ops[0]] = ops[2];
        if (ops.size() >= 3 && ops[1] == kDecorationDescriptorSet) {
          m.descriptor_sets[ops[0]] = ops[2];
        }
        if (ops.size() >= 2 && (ops[1] == kDecorationBlock || ops[1] == kDecorationBufferBlock)) {
          m.block_kinds[ops[0]] = ops[1];
        }
        break;
      case OpMemberDecorate:
        if (ops.size() >= 4 && ops[2] == kDecorationOffset) {
          m.member_offsets[{ops[0], ops[1]}] = ops[3];
        }
        break;
      case OpTypeBool:
      case OpTypeInt:
      case OpTypeFloat:
      case OpTypeVector:
      case OpTypeMatrix:
      case OpTypeImage:
      case OpTypeSampledImage:
      case OpTypeArray:
      case OpTypeRuntimeArray:
      case OpTypeStruct:
      case OpTypePointer:
        if (!ops.empty()) {
          m.types[ops[0]] = Type{opcode, {ops.begin() + 1, ops.end()}};
        }
        break;
      case OpConstant:  // result type, result id, value (low word)
        if (ops.size() >= 3) m.constants[ops[1]] = ops[2];
        break;
      case OpVariable:  // result type, result id, storage class
        if (ops.size() >= 3 && ops[2] == kStorageClassPushConstant) {
          if (m.push_pointer_type) {
            throw Error(where + ": more than one push-constant variable");
          }
          m.push_pointer_type = ops[0];
        }
        if (ops.size() >= 3 && (ops[2] == kStorageClassUniformConstant ||
                                ops[2] == kStorageClassUniform ||
                                ops[2] == kStorageClassStorageBuffer)) {
          m.resources.push_back({ops[1], ops[0], ops[2]});
        }
        break;
      default:
        break;
    }
  }
  std::sort(m.spec_ids.begin(), m.spec_ids.end());
  m.spec_ids.erase(std::unique(m.spec_ids.begin(), m.spec_ids.end()), m.spec_ids.end());
  return m;
}

// What `variable` is bound as, from its storage class and the type it
// points to: the rules of Vulkan's "Shader Resource and Descriptor Type
// Correspondence" for the three kinds vknn's shaders use.
DescriptorKind descriptor_kind(const Module& m, const Reader& reader,
                               const ResourceVariable& variable, std::string_view what) {
  const auto fail = [&](const std::string& problem) -> DescriptorKind {
    throw Error("SPIR-V of " + std::string(what) + ": resource variable %" +
                std::to_string(variable.id) + " is " + problem +
                ", which the reader does not bind");
  };
  const Type& pointer = reader.type(variable.pointer_type);
  if (pointer.opcode != OpTypePointer || pointer.operands.size() < 2) {
    return fail("not of a pointer type");
  }
  const std::uint32_t pointee_id = pointer.operands[1];
  const Type* pointee = &reader.type(pointee_id);
  if (pointee->opcode == OpTypeArray || pointee->opcode == OpTypeRuntimeArray) {
    return fail("an array of descriptors");
  }
  switch (variable.storage_class) {
    case kStorageClassUniformConstant:
      // GLSL's samplerBuffer is a sampled image over an image with Dim Buffer.
      if (pointee->opcode == OpTypeSampledImage && !pointee->operands.empty()) {
        pointee = &reader.type(pointee->operands[0]);
      }
      // Operands after the result id: sampled type, Dim, Depth, Arrayed, MS, Sampled, ...
      if (pointee->opcode == OpTypeImage && pointee->operands.size() >= 6 &&
          pointee->operands[1] == kDimBuffer && pointee->operands[5] == 1) {
        return DescriptorKind::uniform_texel_buffer;
      }
      return fail("an image or sampler other than a uniform texel buffer");
    case kStorageClassStorageBuffer:
      if (pointee->opcode == OpTypeStruct) return DescriptorKind::storage_buffer;
      return fail("a StorageBuffer variable that is not a struct");
    case kStorageClassUniform: {
      const auto block = m.block_kinds.find(pointee_id);
      if (pointee->opcode == OpTypeStruct && block != m.block_kinds.end()) {
        return block->second == kDecorationBufferBlock ? DescriptorKind::storage_buffer
                                                       : DescriptorKind::uniform_buffer;
      }
      return fail("a Uniform variable that is not a Block or BufferBlock struct");
    }
    default:
      return fail("in storage class " + std::to_string(variable.storage_class));
  }
}

std::vector<DescriptorBinding> descriptor_bindings(const Module& m, const Reader& reader,
                                                   std::string_view what) {
  std::map<std::pair<std::uint32_t, std::uint32_t>, DescriptorKind> by_slot;
  for (const ResourceVariable& variable : m.resources) {
    const auto binding = m.bindings.find(variable.id);
    const auto set = m.descriptor_sets.find(variable.id);
    if (binding == m.bindings.end() || set == m.descriptor_sets.end()) {
      throw Error("SPIR-V of " + std::string(what) + ": resource variable %" +
                  std::to_string(variable.id) + " has no Binding or DescriptorSet decoration");
    }
    const DescriptorKind kind = descriptor_kind(m, reader, variable, what);
    const auto [it, inserted] = by_slot.emplace(std::pair{set->second, binding->second}, kind);
    // Blocks that alias one binding (float[] and vec4[] views of a buffer)
    // are one descriptor; they must agree on what it is.
    if (!inserted && it->second != kind) {
      throw Error("SPIR-V of " + std::string(what) + ": set " + std::to_string(set->second) +
                  " binding " + std::to_string(binding->second) + " is declared both as a " +
                  descriptor_kind_name(it->second) + " and as a " + descriptor_kind_name(kind));
    }
  }
  std::vector<DescriptorBinding> result;
  for (const auto& [slot, kind] : by_slot) result.push_back({slot.first, slot.second, kind});
  return result;
}

}  // namespace

const char* descriptor_kind_name(DescriptorKind kind) {
  switch (kind) {
    case DescriptorKind::storage_buffer:
      return "storage buffer";
    case DescriptorKind::uniform_texel_buffer:
      return "uniform texel buffer";
    case DescriptorKind::uniform_buffer:
      return "uniform buffer";
  }
  return "?";
}

bool ShaderInterface::declares_spec_constant(std::uint32_t id) const {
  return std::binary_search(spec_constant_ids.begin(), spec_constant_ids.end(), id);
}

ShaderInterface reflect_shader(std::span<const std::uint32_t> words, std::string_view what) {
  const Module m = scan(words, what);
  const Reader reader(m, what);
  ShaderInterface result;
  result.spec_constant_ids = m.spec_ids;
  result.bindings = descriptor_bindings(m, reader, what);
  if (!m.push_pointer_type) return result;

  const Type& pointer = reader.type(*m.push_pointer_type);
  if (pointer.opcode != OpTypePointer || pointer.operands.size() < 2) {
    throw Error("SPIR-V of " + std::string(what) +
                ": the push-constant variable's type is not a pointer");
  }
  const std::uint32_t block_id = pointer.operands[1];
  const Type& block = reader.type(block_id);
  if (block.opcode != OpTypeStruct) {
    throw Error("SPIR-V of " + std::string(what) + ": the push-constant block is not a struct");
  }
  result.has_push_constants = true;
  PushConstantBlock& out = result.push_constants;
  if (const auto name = m.names.find(block_id); name != m.names.end()) out.type_name = name->second;
  for (std::uint32_t i = 0; i < block.operands.size(); ++i) {
    PushConstantMember member;
    if (const auto n = m.member_names.find({block_id, i}); n != m.member_names.end()) {
      member.name = n->second;
    }
    member.offset = reader.member_offset(block_id, i);
    member.size = reader.size_of(block.operands[i]);
    out.size = std::max(out.size, member.offset + member.size);
    out.members.push_back(std::move(member));
  }
  return result;
}

const ShaderInterface& embedded_shader_interface(std::string_view name) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<ShaderInterface>, std::less<>> cache;
  const std::lock_guard lock(mutex);
  if (const auto it = cache.find(name); it != cache.end()) return *it->second;
  auto interface = std::make_unique<ShaderInterface>(
      reflect_shader(embedded_shader(name), "shaders/" + std::string(name) + ".comp"));
  return *cache.emplace(std::string(name), std::move(interface)).first->second;
}

}  // namespace vknn::vk
