#include "ops/kernel_variant.hpp"

#include <cstddef>
#include <iterator>

namespace vknn {

const char* variant_name(KernelVariant variant) {
  // In the enum's order; these names are what the tuning cache stores.
  static const char* const names[] = {"automatic", "register_blocked", "shared_tiled", "winograd"};
  const auto index = static_cast<std::size_t>(variant);
  return index < std::size(names) ? names[index] : "unknown";
}

}  // namespace vknn
