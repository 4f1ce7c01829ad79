// Every seed vknn derives from a user's seed, in one place: the weights'
// initial values (per tensor), the dropout masks (per layer) and the
// shuffled sample order (per epoch). Each is a fixed function of the seed,
// the same on every platform and in every process, which is what makes a
// run reproducible, a checkpoint resumable and N data-parallel ranks agree.
// Changing any of them changes every trained result: tests pin them.
#pragma once

#include <cstdint>
#include <string>

namespace vknn::model {

// 2^64 / golden ratio: SplitMix64's increment (Steele, Lea, Flood 2014).
inline constexpr std::uint64_t kGoldenGamma = 0x9E3779B97F4A7C15ull;

// SplitMix64's output function: a bijection that spreads every input bit.
constexpr std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// One SplitMix64 step from state `x`.
constexpr std::uint64_t splitmix64(std::uint64_t x) { return mix64(x + kGoldenGamma); }

// The seed of one weight tensor's generator (glorot_uniform): the model
// seed mixed with a hash (FNV-1a) of the tensor's name, so tensors draw
// unrelated values and adding a layer does not move the others'.
std::uint64_t tensor_seed(std::uint64_t model_seed, const std::string& tensor_name);

// The seed of a Dropout layer's masks when the layer names none: distinct
// layers of one model, and one layer under distinct compile seeds, draw
// unrelated masks.
constexpr std::uint64_t dropout_seed(std::uint64_t compile_seed, std::uint64_t layer_index) {
  return mix64(compile_seed * kGoldenGamma + 0xD1B54A32D192ED03ull * (layer_index + 1));
}

// The seed of the std::mt19937_64 that shuffles epoch `epoch`'s sample
// order (a Fisher-Yates shuffle in fit).
constexpr std::uint64_t shuffle_seed(std::uint64_t seed, int epoch) {
  return seed * kGoldenGamma + std::uint64_t(epoch) + 1;
}

}  // namespace vknn::model
