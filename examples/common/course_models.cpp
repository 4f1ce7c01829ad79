#include "common/course_models.hpp"

namespace vknn::examples {

std::vector<Layer> fashion_cnn(int filters, int conv_layers, float dropout) {
  std::vector<Layer> layers;
  layers.emplace_back(Conv2D(filters, {3, 3}, Activation::relu, Shape{28, 28, 1}));
  layers.emplace_back(MaxPooling2D(Size2{2, 2}));
  for (int i = 1; i < conv_layers; ++i) {
    layers.emplace_back(Conv2D(filters, {3, 3}, Activation::relu));
    layers.emplace_back(MaxPooling2D(Size2{2, 2}));
  }
  layers.emplace_back(Flatten());
  layers.emplace_back(Dense(128, Activation::relu));
  if (dropout > 0.0f) layers.emplace_back(Dropout(dropout));
  layers.emplace_back(Dense(10, Activation::softmax));
  return layers;
}

std::vector<Layer> mnist_cnn(int filters) { return fashion_cnn(filters, 1); }

}  // namespace vknn::examples
