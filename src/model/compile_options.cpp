// What compile and fit take apart from the model (vknn/model/compile.hpp):
// the optimizer factories and the Samples views.
#include "vknn/model/compile.hpp"

#include <utility>

namespace vknn {

const char* to_string(BackendKind kind) { return kind == BackendKind::vulkan ? "vulkan" : "cpu"; }

Optimizer Adam(float learning_rate, float beta_1, float beta_2, float epsilon) {
  Optimizer o;
  o.kind = Optimizer::Kind::adam;
  o.adam = {learning_rate, beta_1, beta_2, epsilon};
  return o;
}

Optimizer SGD(float learning_rate, float momentum) {
  Optimizer o;
  o.kind = Optimizer::Kind::sgd;
  o.sgd = {learning_rate, momentum};
  return o;
}

Optimizer RMSprop(float learning_rate, float rho, float momentum, float epsilon) {
  Optimizer o;
  o.kind = Optimizer::Kind::rmsprop;
  o.rmsprop = {learning_rate, rho, momentum, epsilon};
  return o;
}

Samples Samples::of(const data::ImageSet& images) {
  return {images.pixels, images.count, {images.rows, images.cols, 1}, {}};
}

Samples Samples::of_pixels(std::span<const std::uint8_t> pixels, std::int64_t count,
                           Shape shape) {
  return {pixels, count, std::move(shape), {}};
}

Samples Samples::of_values(std::span<const float> values, std::int64_t count, Shape shape) {
  return {{}, count, std::move(shape), values};
}

}  // namespace vknn
