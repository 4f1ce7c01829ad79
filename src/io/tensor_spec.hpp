// A named tensor's shape, without its values: what a weights file says it
// holds, and what a model expects to find in one. It lives in io/ because
// files are where tensors are named; the model layer (architecture.hpp)
// uses it from here, and io/ includes nothing of model/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vknn::io {

using TensorShape = std::vector<std::int64_t>;

struct TensorSpec {
  std::string name;   // e.g. "conv2d/kernel"
  TensorShape shape;  // e.g. (3, 3, 1, 64); () is a scalar

  bool operator==(const TensorSpec&) const = default;
};

// "(3, 3, 1, 64)", "(128)", "()".
std::string format_tensor_shape(const TensorShape& shape);

}  // namespace vknn::io
