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
  OpTypeArray = 28,
  OpTypeStruct = 30,
  OpTypePointer = 32,
  OpConstant = 43,
  OpVariable = 59,
  OpDecorate = 71,
  OpMemberDecorate = 72,
};
constexpr std::uint32_t kDecorationSpecId = 1;
constexpr std::uint32_t kDecorationArrayStride = 6;
constexpr std::uint32_t kDecorationOffset = 35;
constexpr std::uint32_t kStorageClassPushConstant = 9;

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

struct Module {
  std::unordered_map<std::uint32_t, std::string> names;
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::string> member_names;
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint32_t> member_offsets;
  std::unordered_map<std::uint32_t, std::uint32_t> array_strides;
  std::unordered_map<std::uint32_t, Type> types;
  std::unordered_map<std::uint32_t, std::uint32_t> constants;  // 32-bit OpConstant values
  std::vector<std::uint32_t> spec_ids;
  std::optional<std::uint32_t> push_pointer_type;
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
      case OpTypeArray:
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
        break;
      default:
        break;
    }
  }
  std::sort(m.spec_ids.begin(), m.spec_ids.end());
  m.spec_ids.erase(std::unique(m.spec_ids.begin(), m.spec_ids.end()), m.spec_ids.end());
  return m;
}

}  // namespace

bool ShaderInterface::declares_spec_constant(std::uint32_t id) const {
  return std::binary_search(spec_constant_ids.begin(), spec_constant_ids.end(), id);
}

ShaderInterface reflect_shader(std::span<const std::uint32_t> words, std::string_view what) {
  const Module m = scan(words, what);
  ShaderInterface result;
  result.spec_constant_ids = m.spec_ids;
  if (!m.push_pointer_type) return result;

  const Reader reader(m, what);
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
