// One picture file's bytes -> 8-bit pixels with the channels asked for:
// JPEG through libjpeg-turbo (jpeg_decoder.hpp), PNG, BMP and GIF through
// stb_image (the folder reader filters by extension; this goes by content). Private to the library;
// the fuzzer tests/fuzz/picture_fuzzer.cpp calls it directly.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vknn::data::detail {

struct Picture {
  int width = 0;
  int height = 0;
  int channels = 0;  // as asked for
  std::vector<std::uint8_t> pixels;  // height x width x channels, row-major
};

// Decodes `bytes` (named `name` in errors) to `channels` (1, 3 or 4) per
// pixel. The size comes from the header first: a picture of more than
// max_pixels pixels is refused before any pixel is decoded. Throws
// vknn::Error naming `name` and stb's reason for anything it cannot decode
// (not a picture, an unsupported variant, truncated or corrupt data).
Picture decode_picture(std::span<const std::uint8_t> bytes, int channels, std::int64_t max_pixels,
                       const std::string& name);

}  // namespace vknn::data::detail
