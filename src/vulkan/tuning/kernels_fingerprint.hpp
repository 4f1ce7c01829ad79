// What the tuning cache's choices were measured with, beyond vknn's version
// number: the embedded shaders. A choice made before a kernel changed (a
// faster Winograd, a new blocking) is a stale choice, and the version
// string alone does not change between builds of one release: a developer's
// cache kept choosing the register-blocked conv3 forward for cats vs dogs
// (31 ms) long after Winograd had become faster there (19 ms, measured
// again on an empty cache). The fingerprint goes into the cache's identity
// ("vknn 0.1.0+kernels.<16 hex digits>"), so a build with other shaders
// measures again. Dispatch parameters chosen on the host (block sizes,
// tiles' defaults) are not in it: after changing those, delete the cache
// (docs/performance.md section 6).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace vknn::vk {

// 64-bit FNV-1a over each shader's name and words, in name order (so the
// order given does not matter), as 16 lowercase hex digits.
std::string kernels_fingerprint(
    std::vector<std::pair<std::string, std::span<const std::uint32_t>>> shaders);

// The fingerprint of the shaders embedded in this library, computed once.
const std::string& embedded_kernels_fingerprint();

}  // namespace vknn::vk
