// The models of the TensorFlow course's week 3, as layer lists.
#pragma once

#include <vector>

#include "vknn/model/layers.hpp"

namespace vknn::examples {

// Lab 1, "improving accuracy using convolutions" (Fashion-MNIST):
//   Conv2D(filters, 3x3, relu, input 28x28x1), MaxPooling2D(2, 2),
//   Conv2D(filters, 3x3, relu), MaxPooling2D(2, 2),            (conv_layers 2)
//   Flatten, Dense(128, relu), Dense(10, softmax).
// conv_layers 1 is the exercise that removes the final convolution and
// pooling. dropout > 0 puts Dropout(dropout) before the last Dense (week 4's
// remedy for overfitting). The caller's flags check the arguments.
std::vector<Layer> fashion_cnn(int filters, int conv_layers, float dropout = 0.0f);

// Exercise 3, "improve MNIST with convolutions": one Conv2D(filters, 3x3,
// relu) and one MaxPooling2D(2, 2), then Flatten, Dense(128, relu),
// Dense(10, softmax). The same as fashion_cnn(filters, 1).
std::vector<Layer> mnist_cnn(int filters);

}  // namespace vknn::examples
