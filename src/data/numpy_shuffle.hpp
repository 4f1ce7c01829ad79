// numpy's legacy np.random.RandomState(seed).shuffle(list), bit for bit, so
// the folder reader orders files as Keras's index_directory does for the
// same seed (its validation split takes the same files). RandomState seeds
// an integer with MT19937's init_genrand, which is std::mt19937's seeding,
// and shuffles by Fisher-Yates from the end, drawing j in [0, i] by masking
// 32-bit outputs to the smallest all-ones mask >= i and redrawing above i
// (numpy's random_interval).
#pragma once

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace vknn::data::detail {

inline std::uint32_t numpy_random_interval(std::mt19937& generator, std::uint32_t max) {
  if (max == 0) return 0;
  std::uint32_t mask = max;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  std::uint32_t value = 0;
  while ((value = std::uint32_t(generator()) & mask) > max) {
  }
  return value;
}

// The permutation numpy applies: after it, element i of the shuffled list is
// element order[i] of the original.
inline std::vector<std::size_t> numpy_shuffled_order(std::size_t count, std::uint32_t seed) {
  std::vector<std::size_t> order(count);
  for (std::size_t i = 0; i < count; ++i) order[i] = i;
  std::mt19937 generator(seed);
  for (std::size_t i = count; i-- > 1;) {
    const std::size_t j = numpy_random_interval(generator, std::uint32_t(i));
    std::swap(order[i], order[j]);
  }
  return order;
}

}  // namespace vknn::data::detail
