// Layer configurations: vknn.keras.layers turns its Keras-style arguments
// (already checked) into these.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "bindings.hpp"
#include "layer_spec.hpp"

namespace py = pybind11;

namespace vknn::python {
namespace {

Activation activation_of(const std::string& name) {
  if (name == "relu") return Activation::relu;
  if (name == "softmax") return Activation::softmax;
  if (name == "linear") return Activation::linear;
  if (name == "sigmoid") return Activation::sigmoid;
  throw py::value_error("unknown activation '" + name + "' (relu, softmax, sigmoid or linear)");
}

Padding padding_of(const std::string& name) {
  if (name == "valid") return Padding::valid;
  if (name == "same") return Padding::same;
  throw py::value_error("unknown padding '" + name + "' (valid or same)");
}

using Pair = std::pair<int, int>;

// What every layer takes besides its own arguments: an input shape (first
// layer only) and a name (empty: Keras's automatic one).
template <class LayerType>
LayerSpec spec_of(LayerType layer, std::optional<Shape> input_shape, std::string name) {
  layer.input_shape = std::move(input_shape);
  layer.name = std::move(name);
  return LayerSpec{layer};
}

// MaxPooling2D and AveragePooling2D share Keras's Pooling2D arguments.
template <class Pooling>
LayerSpec pooling(Pair pool, std::optional<Pair> strides, const std::string& padding,
                  std::optional<Shape> input_shape, std::string name) {
  std::optional<Size2> stride;
  if (strides) stride = Size2(strides->first, strides->second);
  return spec_of(Pooling(Size2(pool.first, pool.second), stride, padding_of(padding)),
                 std::move(input_shape), std::move(name));
}

// Flatten and GlobalAveragePooling2D have no arguments of their own.
template <class LayerType>
LayerSpec without_settings(std::optional<Shape> input_shape, std::string name) {
  return spec_of(LayerType(), std::move(input_shape), std::move(name));
}

}  // namespace

void bind_layers(py::module_& m) {
  py::class_<LayerSpec>(m, "LayerSpec");
  m.def(
      "conv2d",
      [](int filters, Pair kernel, Pair strides, const std::string& padding,
         const std::string& activation, std::optional<Shape> input_shape, std::string name) {
        Conv2D layer(filters, Size2(kernel.first, kernel.second), activation_of(activation),
                     std::move(input_shape), padding_of(padding),
                     Size2(strides.first, strides.second));
        layer.name = std::move(name);
        return LayerSpec{layer};
      },
      py::arg("filters"), py::arg("kernel_size"), py::arg("strides"), py::arg("padding"),
      py::arg("activation"), py::arg("input_shape"), py::arg("name"));
  m.def("max_pooling2d", &pooling<MaxPooling2D>, py::arg("pool_size"), py::arg("strides"),
        py::arg("padding"), py::arg("input_shape"), py::arg("name"));
  m.def("average_pooling2d", &pooling<AveragePooling2D>, py::arg("pool_size"),
        py::arg("strides"), py::arg("padding"), py::arg("input_shape"), py::arg("name"));
  m.def("global_average_pooling2d", &without_settings<GlobalAveragePooling2D>, py::arg("input_shape"), py::arg("name"));
  m.def(
      "dropout",
      [](float rate, std::optional<std::uint64_t> seed, std::optional<Shape> input_shape,
         std::string name) {
        return spec_of(Dropout(rate, seed), std::move(input_shape), std::move(name));
      },
      py::arg("rate"), py::arg("seed"), py::arg("input_shape"), py::arg("name"));
  // Every layer of the elementwise family (Rescaling, ...), by its Keras class
  // name and settings.
  m.def(
      "elementwise_layer",
      [](const std::string& keras_class, const std::map<std::string, float>& settings,
         std::optional<Shape> input_shape, std::string name) {
        Layer layer = elementwise_layer(keras_class, settings);
        std::visit(
            [&](auto& l) {
              l.input_shape = std::move(input_shape);
              l.name = std::move(name);
            },
            layer);
        return LayerSpec{layer};
      },
      py::arg("keras_class"), py::arg("settings"), py::arg("input_shape"), py::arg("name"));
  m.def("flatten", &without_settings<Flatten>, py::arg("input_shape"), py::arg("name"));
  m.def(
      "dense",
      [](int units, const std::string& activation, std::optional<Shape> input_shape,
         std::string name) {
        Dense layer(units, activation_of(activation), std::move(input_shape));
        layer.name = std::move(name);
        return LayerSpec{layer};
      },
      py::arg("units"), py::arg("activation"), py::arg("input_shape"), py::arg("name"));
}

}  // namespace vknn::python
