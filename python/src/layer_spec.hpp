// A layer's configuration as the binding passes it around (vknn::Layer is a
// std::variant, which Python code only needs to hold, never to look into).
#pragma once

#include "vknn/model/layers.hpp"

namespace vknn::python {

struct LayerSpec {
  Layer layer;
};

}  // namespace vknn::python
