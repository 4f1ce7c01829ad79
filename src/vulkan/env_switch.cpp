#include "vulkan/env_switch.hpp"

#include <cctype>
#include <cstdlib>
#include <string>

#include "vknn/error.hpp"

namespace vknn::vk {

bool env_switch(const char* variable, bool by_default, const char* on_means, const char* off_means) {
  const char* value = std::getenv(variable);
  if (!value || !*value) return by_default;
  std::string v(value);
  for (char& c : v) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (v == "0" || v == "off" || v == "false" || v == "no") return false;
  if (v == "1" || v == "on" || v == "true" || v == "yes") return true;
  throw Error(std::string(variable) + "='" + value + "' is not understood; use 1/on (" + on_means +
              (by_default ? ", the default" : "") + ") or 0/off (" + off_means +
              (by_default ? "" : ", the default") + ")");
}

bool texel_reads_enabled() {
  return env_switch("VKNN_TEXEL_READS", true,
                    "read through texel views where the device profile says so",
                    "read storage buffers, as on GPUs");
}

}  // namespace vknn::vk
