// The order in which an epoch visits the samples: the permutation that fit
// uploads once per epoch and the gather of every step reads
// (order[batch_index * batch_size + i]).
#pragma once

#include <cstdint>
#include <vector>

namespace vknn::model {

// 0 .. count-1 when `shuffle` is off (evaluate, predict, unshuffled fit);
// otherwise a Fisher-Yates shuffle seeded by (seed, epoch) through
// shuffle_seed (model/seeding.hpp), identical on every platform
// (std::shuffle's is not specified). A resumed fit relies on this: the
// order of an epoch is a function of the seed and the epoch alone.
std::vector<std::uint32_t> epoch_order(std::int64_t count, bool shuffle, std::uint64_t seed,
                                       int epoch);

}  // namespace vknn::model
