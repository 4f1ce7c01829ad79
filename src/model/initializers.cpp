#include "model/initializers.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "model/seeding.hpp"
#include "vknn/error.hpp"

namespace vknn::model {
namespace {

std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace

Fans compute_fans(const Shape& shape) {
  Fans f;
  if (shape.empty()) return f;
  if (shape.size() == 1) {
    f.fan_in = f.fan_out = shape[0];
    return f;
  }
  double receptive_field = 1.0;
  for (std::size_t i = 0; i + 2 < shape.size(); ++i) receptive_field *= shape[i];
  f.fan_in = shape[shape.size() - 2] * receptive_field;
  f.fan_out = shape[shape.size() - 1] * receptive_field;
  return f;
}

double glorot_uniform_limit(const Shape& shape) {
  const Fans f = compute_fans(shape);
  return std::sqrt(6.0 / std::max(1.0, f.fan_in + f.fan_out));
}

std::uint64_t tensor_seed(std::uint64_t model_seed, const std::string& tensor_name) {
  return splitmix64(splitmix64(model_seed) ^ fnv1a(tensor_name));
}

void glorot_uniform(std::span<float> out, const Shape& shape, std::uint64_t seed) {
  const std::int64_t n = element_count(shape);
  if (n < 0 || static_cast<std::uint64_t>(n) != out.size()) {
    throw Error("glorot_uniform: shape " + format_shape(shape) + " has " + std::to_string(n) +
                " elements but the output holds " + std::to_string(out.size()));
  }
  const double limit = glorot_uniform_limit(shape);
  std::mt19937_64 engine(seed);
  constexpr double kTwoTo24 = 16777216.0;
  for (float& x : out) {
    // Top 24 bits: u = k / 2^24 in [0, 1), exact in double.
    const double u = static_cast<double>(engine() >> 40) / kTwoTo24;
    x = static_cast<float>(limit * (2.0 * u - 1.0));
  }
}

std::vector<float> glorot_uniform(const Shape& shape, std::uint64_t seed) {
  std::vector<float> values(static_cast<std::size_t>(element_count(shape)));
  glorot_uniform(values, shape, seed);
  return values;
}

std::vector<float> initial_values(const ParameterSpec& spec, std::uint64_t model_seed) {
  if (spec.role == ParameterRole::bias) {
    return std::vector<float>(static_cast<std::size_t>(spec.size()), 0.0f);
  }
  return glorot_uniform(spec.shape, tensor_seed(model_seed, spec.name));
}

std::vector<std::vector<float>> initial_parameters(const Architecture& architecture,
                                                   std::uint64_t model_seed) {
  std::vector<std::vector<float>> values;
  for (const ParameterSpec& spec : architecture.parameters()) {
    values.push_back(initial_values(spec, model_seed));
  }
  return values;
}

}  // namespace vknn::model
