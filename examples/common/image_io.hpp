// Reading and writing pictures for the example programs, through stb
// (Debian's libstb-dev): PNG, JPEG, binary PGM/PPM (P5/P6), BMP, GIF and TGA
// in; PNG and JPEG out.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace vknn::examples {

// 8-bit pixels as stored: channels 1 (gray), 2 (gray, alpha), 3 (RGB) or
// 4 (RGBA), row-major, interleaved.
struct Image8 {
  int width = 0;
  int height = 0;
  int channels = 1;
  std::vector<std::uint8_t> pixels;  // width * height * channels
};

// One channel of floats in the 0..255 range (no division by 255), row-major:
// the units the course's "exploring convolutions" notebook works in.
struct GrayImage {
  int width = 0;
  int height = 0;
  std::vector<float> pixels;  // width * height
  float at(int x, int y) const { return pixels[std::size_t(y) * std::size_t(width) + std::size_t(x)]; }
};

// Reads PNG, JPEG, BMP and GIF through the library (vknn::data::read_picture),
// binary PGM/PPM and TGA through stb, with its channels as stored (gray +
// alpha comes back as RGBA). Throws
// std::runtime_error naming the file and the reason (missing, unreadable,
// not a supported format).
Image8 read_image(const std::filesystem::path& path);

// Luma, 0.299 R + 0.587 G + 0.114 B, from any of the channel layouts;
// alpha is ignored.
GrayImage to_grayscale(const Image8& image);

// Clips to 0..255 (below 0 -> 0, above 255 -> 255, as the notebook does) and
// rounds to the nearest integer.
Image8 to_image8(const GrayImage& image);

// Encodes as PNG in memory; writes it atomically (temporary file + rename).
std::vector<std::uint8_t> encode_png(const Image8& image);
void write_png(const std::filesystem::path& path, const Image8& image);

// Encodes as baseline JPEG (quality 1..100; an alpha channel is dropped).
// stb's encoder is deterministic: the same pixels give the same bytes.
std::vector<std::uint8_t> encode_jpeg(const Image8& image, int quality = 90);

}  // namespace vknn::examples
