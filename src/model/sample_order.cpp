#include "model/sample_order.hpp"

#include <limits>
#include <numeric>
#include <random>
#include <utility>

#include "model/seeding.hpp"

namespace vknn::model {
namespace {

// A uniform integer in [0, bound) without modulo bias.
std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t bound) {
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() -
                              std::numeric_limits<std::uint64_t>::max() % bound;
  std::uint64_t r;
  do r = rng(); while (r >= limit);
  return r % bound;
}

}  // namespace

std::vector<std::uint32_t> epoch_order(std::int64_t count, bool shuffle, std::uint64_t seed,
                                       int epoch) {
  std::vector<std::uint32_t> order(static_cast<std::size_t>(count));
  std::iota(order.begin(), order.end(), 0u);
  if (!shuffle) return order;
  std::mt19937_64 rng(shuffle_seed(seed, epoch));
  for (std::size_t i = order.size(); i > 1; --i) {
    std::swap(order[i - 1], order[uniform_below(rng, i)]);
  }
  return order;
}

}  // namespace vknn::model
