// The formatting of model.summary()'s Keras table (Architecture::summary,
// defined in summary.cpp), exposed for its tests.
#pragma once

#include <cstdint>
#include <string>

#include "vknn/model/layers.hpp"

namespace vknn::model {

// "(None, 26, 26, 64)", "(None, 1600)": a Keras output shape with the batch.
std::string format_batched_shape(const Shape& shape);
// 243786 -> "243,786".
std::string with_thousands(std::int64_t value);

}  // namespace vknn::model
