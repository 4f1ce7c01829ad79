// The host-side description of a Sequential model: what each layer is called,
// what shape goes in and out of it, which op geometry runs it, and which
// parameter tensors it owns. No Vulkan and no values here; the executor
// (Sequential) plans buffers from this and the initialisers and weights files
// work from its parameter specs.
//
// Architecture::build() checks the whole layer list once and throws
// vknn::Error for the first problem, naming the layer ("layer conv2d_1
// (Conv2D): ...") with what it got and what would be valid.
//
// Keras rules it follows:
//   - names: a user-given name wins; the others get the Keras prefix of their
//     type (conv2d, max_pooling2d, average_pooling2d, ...) and a counter per prefix
//     that starts at the bare prefix: conv2d, conv2d_1, conv2d_2, ... Unlike
//     Keras, whose counters are global to the Python session (hence names
//     like conv2d_4 in the course notes), the counter is per model, and an
//     automatic name skips names the user gave to other layers, so automatic
//     names never collide. Two user-given names that are equal are an error.
//   - shapes are per sample, without the batch: (H, W, C) for images,
//     (features) after Flatten; Flatten keeps H, W, C order (NHWC).
//   - parameters, in Keras layouts and names: "<layer>/kernel" then
//     "<layer>/bias"; Conv2D kernel (kh, kw, in_c, out_c), Dense kernel
//     (in, out), biases (out).
//   - MaxPooling2D strides default to the pool size; 'valid' rounds down
//     (26 -> 13, 11 -> 5).
// vknn's own limits: Conv2D activations linear or relu; Dense linear, relu or
// softmax, and softmax only on the last layer (the loss fuses it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "io/tensor_spec.hpp"
#include "model/elementwise_layers.hpp"
#include "vknn/model/layers.hpp"
#include "vknn/ops/geometry.hpp"

namespace vknn::model {

// Tensor names and shapes are io/'s (io/tensor_spec.hpp); the model layer
// speaks of them by these names.
using io::format_tensor_shape;
using io::TensorShape;
using io::TensorSpec;

enum class LayerKind {
  conv2d,
  max_pooling2d,
  average_pooling2d,
  global_average_pooling2d,
  dropout,
  elementwise,  // the family of model/elementwise_layers.hpp (Rescaling, ...)
  flatten,
  dense,
};

// The Keras class name: "Conv2D", "MaxPooling2D", "AveragePooling2D", ...
// For an elementwise layer, the family's name; LayerInfo::type_name() and
// the Layer overloads below give the member's own.
const char* type_name(LayerKind kind);
// The Keras automatic-name prefix: "conv2d", "max_pooling2d", "average_pooling2d", ...
const char* name_prefix(LayerKind kind);
const char* type_name(const Layer& layer);
const char* name_prefix(const Layer& layer);

enum class ParameterRole { kernel, bias };

// One trainable tensor of a layer, in Keras layout.
struct ParameterSpec {
  std::string name;  // "<layer>/kernel" or "<layer>/bias"
  Shape shape;       // kernel (kh, kw, in, out) or (in, out); bias (out)
  ParameterRole role = ParameterRole::kernel;

  std::int64_t size() const;  // number of elements
  TensorSpec tensor_spec() const;
};

// Flatten has no op of its own (NHWC is already H, W, C order in memory).
// A Dropout layer's geometry is the layer itself: its rate and, if the user
// gave one, its seed (the trainer derives one from the compile seed
// otherwise; model/seeding.hpp). An elementwise layer's is its function.
using LayerGeometry =
    std::variant<std::monostate, Conv2DGeometry, Pool2DGeometry, DenseGeometry, Dropout,
                 ElementwiseGeometry>;

struct LayerInfo {
  std::string name;                // "conv2d_1"
  LayerKind kind = LayerKind::dense;
  Shape input_shape;               // per sample: (H, W, C) or (features)
  Shape output_shape;
  Activation activation = Activation::linear;  // linear for pooling and Flatten
  LayerGeometry geometry;          // batch = 1; the executor sets the batch
  std::vector<ParameterSpec> parameters;  // kernel then bias; empty for pooling and Flatten
  std::int64_t params = 0;         // sum of the parameters' sizes
  // Keras's layer.trainable: false freezes the parameters (fit leaves them
  // as they are); read when a fit records its step.
  bool trainable = true;

  const char* type = "";            // the Keras class name: "Conv2D", "Rescaling", ...
  const char* prefix = "";          // Keras's automatic-name prefix: "conv2d", "rescaling", ...
  const char* type_name() const { return type; }
  // The geometry of this layer if it is of that kind, else nullptr.
  const Conv2DGeometry* conv2d() const { return std::get_if<Conv2DGeometry>(&geometry); }
  const Pool2DGeometry* pool2d() const { return std::get_if<Pool2DGeometry>(&geometry); }
  const DenseGeometry* dense() const { return std::get_if<DenseGeometry>(&geometry); }
  const Dropout* dropout() const { return std::get_if<Dropout>(&geometry); }
  const ElementwiseGeometry* elementwise() const { return std::get_if<ElementwiseGeometry>(&geometry); }
};

class Architecture {
 public:
  // Checks the layer list and infers everything; throws vknn::Error.
  static Architecture build(const std::vector<Layer>& layers);

  const std::vector<LayerInfo>& layers() const { return layers_; }
  std::size_t size() const { return layers_.size(); }
  const LayerInfo& operator[](std::size_t i) const { return layers_.at(i); }
  // The layer with that name; throws vknn::Error listing the names if none.
  const LayerInfo& layer(const std::string& name) const;

  const Shape& input_shape() const { return layers_.front().input_shape; }
  const Shape& output_shape() const { return layers_.back().output_shape; }

  std::int64_t total_params() const { return total_params_; }
  // Parameters of trainable layers, and of frozen ones (LayerInfo::trainable).
  std::int64_t trainable_params() const;
  std::int64_t non_trainable_params() const { return total_params_ - trainable_params(); }
  void set_trainable(std::size_t layer, bool trainable);

  // Every parameter tensor of the model, in layer order, kernel before bias.
  std::vector<ParameterSpec> parameters() const;
  // The same as names and shapes: what a weights file for this model holds.
  std::vector<TensorSpec> weight_specs() const;

  // The Keras (TF 2.9 - 2.12) model.summary() text, every line ending in
  // '\n': 65 columns, column ends at 29, 55 and 65, a blank line after each
  // layer row, totals with thousands separators. Defined in summary.cpp.
  std::string summary(const std::string& model_name = "sequential") const;

 private:
  std::vector<LayerInfo> layers_;
  std::int64_t total_params_ = 0;
};

// "(26, 26, 64)", "(1600)": a per-sample shape as the error messages show it.
std::string format_shape(const Shape& shape);
// The number of elements of one sample of that shape: 26 x 26 x 64.
std::int64_t element_count(const Shape& shape);

}  // namespace vknn::model
