// Philox4x32-10 (Salmon et al., Random123), bit for bit the CPU's
// src/ops/philox.hpp: random bits as a pure function of (counter, key).
#ifndef VKNN_PHILOX_GLSL
#define VKNN_PHILOX_GLSL

uvec4 vknn_philox4x32_10(uvec4 counter, uvec2 key) {
  for (int round = 0; round < 10; ++round) {
    uint hi0, lo0, hi1, lo1;
    umulExtended(0xD2511F53u, counter.x, hi0, lo0);
    umulExtended(0xCD9E8D57u, counter.z, hi1, lo1);
    counter = uvec4(hi1 ^ counter.y ^ key.x, lo1, hi0 ^ counter.w ^ key.y, lo0);
    key += uvec2(0x9E3779B9u, 0xBB67AE85u);
  }
  return counter;
}

#endif
