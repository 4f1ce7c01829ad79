// Philox4x32-10, the counter-based generator of Salmon et al. (Random123):
// random bits as a pure function of a counter and a key, so the CPU
// reference and the shaders (shaders/philox.glsl) draw the same bits for the
// same (counter, key) with no state to carry between steps. Dropout's mask
// is philox({element, step, 0, 0}, seed): the backward pass recomputes it
// instead of storing it.
#pragma once

#include <array>
#include <cstdint>

namespace vknn {

inline std::array<std::uint32_t, 4> philox4x32_10(std::array<std::uint32_t, 4> counter,
                                                  std::array<std::uint32_t, 2> key) {
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t p0 = std::uint64_t(0xD2511F53u) * counter[0];
    const std::uint64_t p1 = std::uint64_t(0xCD9E8D57u) * counter[2];
    counter = {std::uint32_t(p1 >> 32) ^ counter[1] ^ key[0], std::uint32_t(p1),
               std::uint32_t(p0 >> 32) ^ counter[3] ^ key[1], std::uint32_t(p0)};
    key[0] += 0x9E3779B9u;
    key[1] += 0xBB67AE85u;
  }
  return counter;
}

}  // namespace vknn
