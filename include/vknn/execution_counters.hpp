// What running programs cost the host, as a model or a backend counts it.
#pragma once

#include <cstdint>

namespace vknn {

// What a training run cost the host, for the GPU-first guarantees (an
// epoch records a constant number of programs, uploads O(1) bytes per step
// and waits on the device far fewer times than it has steps).
struct ExecutionCounters {
  std::uint64_t launches = 0;
  std::uint64_t host_waits = 0;
  std::uint64_t recordings = 0;
  std::uint64_t bytes_uploaded = 0;
};

}  // namespace vknn
