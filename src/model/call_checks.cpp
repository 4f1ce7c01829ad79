#include "model/call_checks.hpp"

#include <cmath>
#include <string>

#include "model/model_description.hpp"
#include "model/trainer.hpp"
#include "vknn/error.hpp"

namespace vknn::model {
namespace {

Shape without_trailing_ones(Shape shape) {
  while (shape.size() > 1 && shape.back() == 1) shape.pop_back();
  return shape;
}

}  // namespace

void require_compiled(const std::unique_ptr<Trainer>& trainer, const char* call) {
  if (!trainer) {
    throw Error(std::string(call) + ": the model is not compiled; call compile() first");
  }
}

void check_samples(const char* call, const Shape& input_shape, const Samples& x,
                   std::span<const std::uint8_t> y, bool need_labels, int classes) {
  if (x.count <= 0) throw Error(std::string(call) + ": no samples (count is " + std::to_string(x.count) + ")");
  if (without_trailing_ones(x.shape) != without_trailing_ones(input_shape)) {
    throw Error(std::string(call) + ": samples have shape " + shape_text(x.shape) +
                " but the model's input shape is " + shape_text(input_shape));
  }
  std::int64_t sample_size = 1;
  for (int d : input_shape) sample_size *= d;
  const bool has_pixels = !x.pixels.empty(), has_values = !x.values.empty();
  if (has_pixels == has_values) {
    throw Error(std::string(call) + ": samples need exactly one of `pixels` (uint8) and `values` " +
                "(float32), but " + (has_pixels ? "both were" : "neither was") + " given");
  }
  const std::int64_t given = has_pixels ? std::int64_t(x.pixels.size()) : std::int64_t(x.values.size());
  if (given != x.count * sample_size) {
    const char* unit = has_pixels ? " bytes" : " floats";
    throw Error(std::string(call) + ": " + std::to_string(x.count) + " samples of shape " +
                shape_text(x.shape) + " need " + std::to_string(x.count * sample_size) + unit +
                " but " + std::to_string(given) + " were given");
  }
  if (has_values) {
    // A NaN or infinite input would turn the loss and every weight into NaN
    // without an error; refuse it here, where it can be named.
    for (std::size_t i = 0; i < x.values.size(); ++i) {
      if (!std::isfinite(x.values[i])) {
        throw Error(std::string(call) + ": value " + std::to_string(x.values[i]) + " of sample " +
                    std::to_string(std::int64_t(i) / sample_size) + " (element " +
                    std::to_string(std::int64_t(i) % sample_size) +
                    ") is not finite; inputs must be finite numbers");
      }
    }
  }
  if (!need_labels) return;
  if (std::int64_t(y.size()) != x.count) {
    throw Error(std::string(call) + ": " + std::to_string(x.count) + " samples but " +
                std::to_string(y.size()) + " labels; x and y must have the same length");
  }
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (y[i] >= classes) {
      throw Error(std::string(call) + ": label " + std::to_string(int(y[i])) + " of sample " +
                  std::to_string(i) + " is out of range for a model with " +
                  std::to_string(classes) + " classes (labels must be 0.." +
                  std::to_string(classes - 1) + ")");
    }
  }
}

void check_batch_size(const char* call, int batch_size) {
  if (batch_size <= 0) {
    throw Error(std::string(call) + ": batch_size must be positive, got " +
                std::to_string(batch_size));
  }
}

}  // namespace vknn::model
