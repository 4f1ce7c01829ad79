// config.json of a Keras v3 `.keras` file: a Sequential model's layers and
// compile settings as keras.saving.serialize_keras_object writes them
// (keras/src/saving/serialization_lib.py and each layer's get_config, Keras
// 3.16), and back. docs/saving.md lists the keys and what was checked.
//
// Writing produces exactly Keras's structure: {"module": "keras",
// "class_name": "Sequential", "config": {name, trainable, dtype, layers:
// [InputLayer, Conv2D, ...], build_input_shape}, "registered_name": null,
// "build_config": {"input_shape": [null, ...]}, "compile_config":
// {optimizer, loss, loss_weights, metrics, weighted_metrics, run_eagerly,
// steps_per_execution, jit_compile}}.
//
// Reading accepts what Keras writes for the layers vknn has and refuses,
// with a vknn::Error naming the file, the layer and the key, anything vknn
// would not honour: another model class, a layer class vknn lacks, a
// setting vknn does not implement (use_bias false, a regularizer, dilation,
// channels_first, a dtype other than float32, ...), a key it does not know
// unless its value is null.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vknn/model/compile.hpp"
#include "vknn/model/layers.hpp"

namespace vknn::model {

class Architecture;

// What config.json says about a model, in vknn's terms.
struct ModelConfig {
  std::string name = "sequential";
  // The layers with their names; the first carries the input shape.
  std::vector<Layer> layers;
  std::vector<bool> trainable;  // per layer
  Optimizer optimizer;          // its learning rate: as config.json states it
  std::string loss = "sparse_categorical_crossentropy";
  std::vector<std::string> metrics;
};

// The config.json text. `architecture` is the built model (layer names,
// shapes); `dropout_seeds` the seed each Dropout layer draws its masks with
// (written as the layer's "seed", so a reloaded model drops the same
// elements), by layer index.
std::string write_keras_config(const ModelConfig& config, const Architecture& architecture,
                               const std::vector<std::optional<std::uint64_t>>& dropout_seeds);

// Parses config.json; `source` names the file in errors ("model.keras
// (config.json)").
ModelConfig read_keras_config(const std::string& json, const std::string& source);

// The float as JSON should carry it: the shortest decimal that reads back
// as the same float (0.9f -> 0.9, as Keras writes the Python float 0.9).
double shortest_double(float value);

}  // namespace vknn::model
