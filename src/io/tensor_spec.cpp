#include "io/tensor_spec.hpp"

namespace vknn::io {

std::string format_tensor_shape(const TensorShape& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + ")";
}

}  // namespace vknn::io
