#include "model/model_description.hpp"

#include <sstream>

#include "model/trainer.hpp"

namespace vknn::model {

std::string shape_text(const Shape& shape) {
  std::ostringstream s;
  s << "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
  if (shape.size() == 1) s << ",";
  s << ")";
  return s.str();
}

std::string architecture_text(const Shape& input, const std::vector<LayerSummary>& layers) {
  std::string text = "input " + shape_text(input);
  for (const auto& layer : layers) {
    text += "; " + layer.name + " " + layer.type + " " + shape_text(layer.output_shape);
  }
  return text;
}

std::string model_text(const Sequential& model, const Trainer& trainer) {
  std::string text = architecture_text(model.input_shape(), model.layers());
  for (const auto& layer : model.layers()) {
    if (!layer.trainable) text += "; " + layer.name + " frozen";
  }
  return text + (trainer.loss() == Loss::binary_crossentropy ? "; binary cross-entropy"
                                                             : "; sparse categorical cross-entropy");
}

}  // namespace vknn::model
