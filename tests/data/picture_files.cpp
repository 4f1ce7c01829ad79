#include "picture_files.hpp"

#include <zlib.h>

#include <cstring>
#include <stdexcept>
#include <string>

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#endif
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace vknn::data::testing {

namespace {

void append(void* context, void* data, int size) {
  auto* out = static_cast<PictureBytes*>(context);
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  out->insert(out->end(), bytes, bytes + size);
}

void check(int ok, const char* what) {
  if (ok == 0) throw std::runtime_error(std::string("test helper: stb could not write ") + what);
}

void be32(PictureBytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(std::uint8_t(v >> shift));
}

void chunk(PictureBytes& out, const char* type, const PictureBytes& data) {
  be32(out, std::uint32_t(data.size()));
  PictureBytes typed(type, type + 4);
  typed.insert(typed.end(), data.begin(), data.end());
  out.insert(out.end(), typed.begin(), typed.end());
  be32(out, std::uint32_t(crc32(0, typed.data(), uInt(typed.size()))));
}

}  // namespace

PictureBytes png_bytes(int width, int height, int channels, const std::vector<std::uint8_t>& pixels) {
  PictureBytes out;
  check(stbi_write_png_to_func(append, &out, width, height, channels, pixels.data(),
                               width * channels),
        "PNG");
  return out;
}

PictureBytes jpeg_bytes(int width, int height, int channels, const std::vector<std::uint8_t>& pixels,
                        int quality) {
  PictureBytes out;
  check(stbi_write_jpg_to_func(append, &out, width, height, channels, pixels.data(), quality),
        "JPEG");
  return out;
}

PictureBytes bmp_bytes(int width, int height, int channels, const std::vector<std::uint8_t>& pixels) {
  PictureBytes out;
  check(stbi_write_bmp_to_func(append, &out, width, height, channels, pixels.data()), "BMP");
  return out;
}

PictureBytes handmade_png(std::uint32_t width, std::uint32_t height, int bit_depth, int color_type,
                          const std::vector<std::uint8_t>& raw_rows,
                          const std::vector<std::uint8_t>& palette) {
  PictureBytes out = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  PictureBytes header;
  be32(header, width);
  be32(header, height);
  header.insert(header.end(), {std::uint8_t(bit_depth), std::uint8_t(color_type), 0, 0, 0});
  chunk(out, "IHDR", header);
  if (!palette.empty()) chunk(out, "PLTE", palette);
  PictureBytes filtered;
  const std::size_t row_bytes = height ? raw_rows.size() / height : 0;
  for (std::uint32_t y = 0; y < height && row_bytes; ++y) {
    filtered.push_back(0);
    filtered.insert(filtered.end(), raw_rows.begin() + std::ptrdiff_t(y * row_bytes),
                    raw_rows.begin() + std::ptrdiff_t((y + 1) * row_bytes));
  }
  uLongf size = compressBound(uLong(filtered.size()));
  PictureBytes compressed(size);
  if (compress(compressed.data(), &size, filtered.data(), uLong(filtered.size())) != Z_OK) {
    throw std::runtime_error("test helper: zlib compress failed");
  }
  compressed.resize(size);
  chunk(out, "IDAT", compressed);
  chunk(out, "IEND", {});
  return out;
}

PictureBytes red_pixel_gif() {
  // GIF89a, 1x1, a global table of two colours (red, black), a graphic
  // control extension, one image whose LZW data is the index 0.
  return {0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xff, 0x00,
          0x00, 0x00, 0x00, 0x00, 0x21, 0xf9, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00,
          0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b};
}

}  // namespace vknn::data::testing
