// The models vknn-bench times whole (training step and predict): the
// course's Fashion-MNIST CNN and the two bigger models of the TensorFlow
// courses, each described once here. tests/model/bench_models_test.cpp
// checks their summary() parameter counts against the courses' numbers;
// bench/compare_pytorch.py builds the same three in PyTorch.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "vknn/error.hpp"
#include "vknn/model/compile.hpp"
#include "vknn/model/layers.hpp"

namespace vknn::bench {

struct BenchModel {
  std::string name;  // the benchmark name's second part: train_step/<name>/vulkan0/batch:32
  std::vector<Layer> layers;
  std::string loss;
  Optimizer optimizer;
  int label_classes = 10;  // synthetic labels cycle through 0 .. label_classes - 1
};

// Course 1 week 3: Fashion-MNIST, 28x28x1 (side 10 in quick mode),
// Conv2D(filters) + pool twice, Dense 128, Dense 10 softmax; Adam.
inline BenchModel course_model(int side, int filters) {
  return {"course_model",
          {Conv2D(filters, {3, 3}, Activation::relu, Shape{side, side, 1}), MaxPooling2D(2, 2),
           Conv2D(filters, {3, 3}, Activation::relu), MaxPooling2D(2, 2), Flatten(),
           Dense(128, Activation::relu), Dense(10, Activation::softmax)},
          "sparse_categorical_crossentropy",
          Adam(),
          10};
}

// The courses' binary picture classifiers: on side x side x 3 pictures, a
// 3x3 relu Conv2D of each of `filters` followed by a 2x2 max pool, then
// Dense 512 and one sigmoid unit; RMSprop(0.001), binary cross-entropy.
inline BenchModel binary_pictures_model(std::string name, int side,
                                        std::initializer_list<int> filters) {
  std::vector<Layer> layers;
  for (int f : filters) {
    layers.push_back(layers.empty() ? Conv2D(f, {3, 3}, Activation::relu, Shape{side, side, 3})
                                    : Conv2D(f, {3, 3}, Activation::relu));
    layers.push_back(MaxPooling2D(2, 2));
  }
  layers.insert(layers.end(),
                {Flatten(), Dense(512, Activation::relu), Dense(1, Activation::sigmoid)});
  return {std::move(name), std::move(layers), "binary_crossentropy", RMSprop(0.001f), 2};
}

// Course 2 week 1: cats vs dogs, 150x150x3, Conv2D 16/32/64 + pools.
// 9,494,561 parameters.
inline BenchModel cats_vs_dogs() { return binary_pictures_model("cats_vs_dogs", 150, {16, 32, 64}); }

// Course 1 week 4: horses or humans, 300x300x3, Conv2D 16/32/64/64/64 each
// with a pool. 1,704,097 parameters.
inline BenchModel horses_or_humans() {
  return binary_pictures_model("horses_or_humans", 300, {16, 32, 64, 64, 64});
}

inline const char* const kBenchModelNames = "course, cats_vs_dogs, horses_or_humans";

// The model a --model value names ("course" is the course model at its
// real or quick size); throws vknn::Error listing the names otherwise.
inline BenchModel bench_model_named(const std::string& name, bool quick) {
  if (name == "course" || name == "course_model") return course_model(quick ? 10 : 28, quick ? 8 : 64);
  if (name == "cats_vs_dogs") return cats_vs_dogs();
  if (name == "horses_or_humans") return horses_or_humans();
  throw Error("--model '" + name + "' is not one of " + kBenchModelNames + " (or all)");
}

}  // namespace vknn::bench
