// A named tensor's shape, without its values: what a model expects to find in
// a weights file, and what a weights file says it holds. Shared by the
// architecture (which produces the expectations) and the safetensors reader
// (which checks a file against them), so neither depends on the other.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vknn::model {

using TensorShape = std::vector<std::int64_t>;

struct TensorSpec {
  std::string name;   // e.g. "conv2d/kernel"
  TensorShape shape;  // e.g. (3, 3, 1, 64); () is a scalar

  bool operator==(const TensorSpec&) const = default;
};

// "(3, 3, 1, 64)", "(128)", "()".
std::string format_tensor_shape(const TensorShape& shape);

}  // namespace vknn::model
