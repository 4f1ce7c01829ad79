// JPEG files -> 8-bit pixels through libjpeg-turbo, the decoder TensorFlow's
// decode_jpeg uses (with its defaults: the fast integer IDCT, fancy
// upsampling). stb_image's JPEG reader is not used: the version in Debian
// bookworm (2.27) reads out of bounds on corrupt Huffman data (found by
// tests/fuzz/picture_fuzzer.cpp). Private to the library.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "data/picture_decoder.hpp"

namespace vknn::data::detail {

// Whether the bytes start as a JPEG file does (SOI marker FF D8 FF).
bool looks_like_jpeg(std::span<const std::uint8_t> bytes);

// As decode_picture, for JPEG data: 1 channel is libjpeg's grey (the luma
// plane), 3 RGB, 4 RGB with alpha 255. A file that ends before its scan data
// does ("Premature end of JPEG file", which libjpeg only warns about) is
// refused as truncated, as TensorFlow refuses it by default.
Picture decode_jpeg(std::span<const std::uint8_t> bytes, int channels, std::int64_t max_pixels,
                    const std::string& name);

}  // namespace vknn::data::detail
