// Layer descriptions for vknn::Sequential, in the spirit of Keras:
//
//   vknn::Sequential model({
//       vknn::Conv2D(64, {3, 3}, vknn::Activation::relu, vknn::Shape{28, 28, 1}),
//       vknn::MaxPooling2D(2, 2),
//       vknn::Conv2D(64, {3, 3}, vknn::Activation::relu),
//       vknn::MaxPooling2D(2, 2),
//       vknn::Flatten(),
//       vknn::Dense(128, vknn::Activation::relu),
//       vknn::Dense(10, vknn::Activation::softmax),
//   });
//
// A layer here is only its configuration; the model turns the list into a
// plan of ops and buffers when it is compiled.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "vknn/error.hpp"
#include "vknn/ops/geometry.hpp"

namespace vknn {

// A per-sample shape, without the batch dimension: (H, W, C) or (features).
using Shape = std::vector<int>;

struct Size2 {
  int h = 1;
  int w = 1;
  Size2() = default;
  Size2(int both) : h(both), w(both) {}  // NOLINT: Keras accepts 3 for (3, 3)
  Size2(int h_, int w_) : h(h_), w(w_) {}
};

struct Conv2D {
  int filters = 1;
  Size2 kernel_size{3, 3};
  Activation activation = Activation::linear;
  std::optional<Shape> input_shape;  // only on the first layer
  Padding padding = Padding::valid;
  Size2 strides{1, 1};
  std::string name;  // empty: Keras-style automatic name (conv2d, conv2d_1, ...)

  Conv2D(int filters_, Size2 kernel, Activation act = Activation::linear,
         std::optional<Shape> input = std::nullopt, Padding pad = Padding::valid,
         Size2 stride = {1, 1})
      : filters(filters_), kernel_size(kernel), activation(act), input_shape(std::move(input)),
        padding(pad), strides(stride) {}
};

// What every windowed pooling layer takes (Keras's Pooling2D arguments).
struct Pooling2D {
  Size2 pool_size{2, 2};
  std::optional<Size2> strides;  // Keras: defaults to pool_size
  Padding padding = Padding::valid;
  std::optional<Shape> input_shape;
  std::string name;

  Pooling2D(Size2 pool = {2, 2}, std::optional<Size2> stride = std::nullopt,
            Padding pad = Padding::valid)
      : pool_size(pool), strides(stride), padding(pad) {}
  // MaxPooling2D({2, 2}): the pool size alone. Without this overload the
  // braces could also build a whole layer, which is ambiguous.
  Pooling2D(std::initializer_list<int> pool) {
    if (pool.size() == 1) {
      pool_size = Size2(*pool.begin());
    } else if (pool.size() == 2) {
      pool_size = Size2(*pool.begin(), *(pool.begin() + 1));
    } else {
      throw Error("pooling layer: a pool size has 1 or 2 values (height, width), got " +
                  std::to_string(pool.size()));
    }
  }
};

// The maximum of each window.
struct MaxPooling2D : Pooling2D {
  using Pooling2D::Pooling2D;
};

// The mean of each window; in 'same' mode a border window averages only the
// pixels it covers, as TensorFlow does.
struct AveragePooling2D : Pooling2D {
  using Pooling2D::Pooling2D;
};

// The mean of each channel over the whole map: (H, W, C) -> (C).
struct GlobalAveragePooling2D {
  std::optional<Shape> input_shape;
  std::string name;
  GlobalAveragePooling2D() = default;
  explicit GlobalAveragePooling2D(Shape input) : input_shape(std::move(input)) {}
};

// Inverted dropout (Keras's Dropout): in training each input is zeroed with
// probability `rate` and the rest scaled by 1 / (1 - rate); evaluate and
// predict pass the input through. The mask is drawn from Philox4x32-10 on
// the device, so `seed` reproduces a run exactly on every backend; without
// a seed, one is derived from the compile seed and the layer's position.
struct Dropout {
  float rate = 0.5f;
  std::optional<std::uint64_t> seed;
  std::optional<Shape> input_shape;
  std::string name;

  explicit Dropout(float rate_, std::optional<std::uint64_t> seed_ = std::nullopt)
      : rate(rate_), seed(seed_) {}
};

// Keras's Rescaling: y = x * scale + offset, one scale and offset for every
// element (Rescaling(1.0 / 255) turns 0..255 pixels into 0..1). No
// parameters; anywhere in the model, any input shape.
struct Rescaling {
  float scale = 1.0f;
  float offset = 0.0f;
  std::optional<Shape> input_shape;
  std::string name;

  explicit Rescaling(float scale_, float offset_ = 0.0f, std::optional<Shape> input = std::nullopt)
      : scale(scale_), offset(offset_), input_shape(std::move(input)) {}
};

// Keras's LeakyReLU: x for x >= 0, negative_slope * x below (Keras 3's
// argument name; Keras 2 called it alpha). No parameters.
struct LeakyReLU {
  float negative_slope = 0.3f;
  std::optional<Shape> input_shape;
  std::string name;

  explicit LeakyReLU(float negative_slope_ = 0.3f) : negative_slope(negative_slope_) {}
};

struct Flatten {
  std::optional<Shape> input_shape;
  std::string name;
  Flatten() = default;
  explicit Flatten(Shape input) : input_shape(std::move(input)) {}
};

struct Dense {
  int units = 1;
  Activation activation = Activation::linear;
  std::optional<Shape> input_shape;
  std::string name;

  Dense(int units_, Activation act = Activation::linear, std::optional<Shape> input = std::nullopt)
      : units(units_), activation(act), input_shape(std::move(input)) {}
};

using Layer = std::variant<Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Dropout,
                           Rescaling, LeakyReLU, Flatten, Dense>;

// The layer of the elementwise family (Rescaling, ...) whose Keras class is
// `keras_class`, with `settings` by their Keras config keys (a missing one
// keeps Keras's default), as Keras's layers.deserialize builds it from a
// config: what bindings to other languages call. Throws vknn::Error naming
// an unknown class or setting; the layer's checks run when a model is built.
Layer elementwise_layer(const std::string& keras_class, const std::map<std::string, float>& settings);

}  // namespace vknn
