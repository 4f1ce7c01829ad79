// Parameter initialisers, as Keras defaults them: kernels glorot_uniform,
// biases zeros. Seeded and deterministic on every platform and compiler.
//
// Determinism: values come from std::mt19937_64, whose output sequence the
// C++ standard fixes exactly, mapped to floats by our own arithmetic (the top
// 24 bits of each 64-bit draw give u = k / 2^24 in [0, 1), then
// x = limit * (2u - 1), rounded once to float). std::uniform_real_distribution
// is deliberately not used: its algorithm is implementation-defined, so
// libstdc++, libc++ and MSVC give different values for the same seed.
//
// Seeds: each tensor draws from its own generator, seeded from the model seed
// and the tensor's name (tensor_seed), so a tensor's initial values do not
// depend on which other layers the model has or in what order they are
// initialised. Keras draws from one global stream instead; the values differ
// from Keras's for the same seed (only the distribution matches).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "model/architecture.hpp"
#include "model/seeding.hpp"

namespace vknn::model {

// Keras's _compute_fans: rank 2 (in, out): fan_in = in, fan_out = out;
// rank >= 3 (..., in, out): both times the receptive field (the product of the
// leading dims), so a (kh, kw, in, out) kernel has fan_in = kh*kw*in and
// fan_out = kh*kw*out; rank 1 (n): both n; rank 0: both 1.
struct Fans {
  double fan_in = 1.0;
  double fan_out = 1.0;
};
Fans compute_fans(const Shape& shape);

// sqrt(6 / (fan_in + fan_out)).
double glorot_uniform_limit(const Shape& shape);

// The seed of one tensor's generator: model/seeding.hpp's tensor_seed.

// Fills out with values uniform in [-limit, limit], limit from shape's fans,
// drawn from std::mt19937_64(seed). out.size() must be the shape's size.
void glorot_uniform(std::span<float> out, const Shape& shape, std::uint64_t seed);
std::vector<float> glorot_uniform(const Shape& shape, std::uint64_t seed);

// One parameter's initial values: glorot_uniform for kernels (seeded with
// tensor_seed(model_seed, spec.name)), zeros for biases.
std::vector<float> initial_values(const ParameterSpec& spec, std::uint64_t model_seed);

// Every parameter of the model, in Architecture::parameters() order.
std::vector<std::vector<float>> initial_parameters(const Architecture& architecture,
                                                   std::uint64_t model_seed);

}  // namespace vknn::model
