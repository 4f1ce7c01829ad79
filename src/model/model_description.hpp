// A model described as text, where two descriptions are compared: a
// checkpoint's architecture against the model loading it, and the model of
// each rank against the others' before a data-parallel call.
#pragma once

#include <string>
#include <vector>

#include "vknn/model/sequential.hpp"

namespace vknn::model {

class Trainer;

// "(28, 28, 1)", "(1600,)": a per-sample shape as Python writes a tuple, in
// the call checks' messages and in architecture_text (so in checkpoints:
// changing it would refuse every checkpoint written before).
std::string shape_text(const Shape& shape);

// The layers as a checkpoint records them, to refuse another model's:
// "input (28, 28, 1); conv2d Conv2D (26, 26, 64); ...".
std::string architecture_text(const Shape& input, const std::vector<LayerSummary>& layers);

// The model as ranks must agree on it: its layers, which are frozen, its loss.
std::string model_text(const Sequential& model, const Trainer& trainer);

}  // namespace vknn::model
