// Sizes in messages: "12.3 MiB", or "4.2 KiB" under a mebibyte (a test's
// budget, a small model), so that no size reads "0.0 MiB".
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace vknn::model {

inline std::string byte_size_text(std::uint64_t bytes) {
  char text[32];
  if (bytes < 1024 * 1024) {
    std::snprintf(text, sizeof text, "%.1f KiB", double(bytes) / 1024.0);
  } else {
    std::snprintf(text, sizeof text, "%.1f MiB", double(bytes) / (1024.0 * 1024.0));
  }
  return text;
}

}  // namespace vknn::model
