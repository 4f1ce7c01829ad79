// A backend's tensor handle: what an op value (src/backend/op.hpp) names
// and a backend resolves to its own storage. On its own so that the op
// values need not see the Backend interface that makes tensors.
#pragma once

#include <cstdint>
#include <string>

namespace vknn::backend {

enum class ElementType { f32, u32, u8 };

// Storage for one tensor, owned by the backend that made it.
class DeviceTensor {
 public:
  DeviceTensor(std::string name, ElementType type, std::int64_t count)
      : name_(std::move(name)), type_(type), count_(count) {}
  virtual ~DeviceTensor() = default;
  const std::string& name() const { return name_; }
  ElementType type() const { return type_; }
  std::int64_t count() const { return count_; }

 private:
  std::string name_;
  ElementType type_;
  std::int64_t count_;
};

}  // namespace vknn::backend
