// Picture files for the image-folder tests: PNG, JPEG and BMP through
// stb_image_write (picture_files.cpp holds its implementation, static
// there), and hand-built PNGs of the kinds stb cannot write (16-bit,
// palette, a header claiming a huge size) and a GIF.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace vknn::data::testing {

using PictureBytes = std::vector<std::uint8_t>;

// pixels: height x width x channels (1..4), row-major.
PictureBytes png_bytes(int width, int height, int channels, const std::vector<std::uint8_t>& pixels);
PictureBytes jpeg_bytes(int width, int height, int channels, const std::vector<std::uint8_t>& pixels,
                        int quality = 95);
PictureBytes bmp_bytes(int width, int height, int channels, const std::vector<std::uint8_t>& pixels);

// A PNG built chunk by chunk: IHDR with bit_depth and color_type (0 grey,
// 2 RGB, 3 palette, ...), PLTE when palette is not empty, one IDAT of the
// rows (each prefixed with filter 0) compressed by zlib, IEND. raw_rows is
// the unfiltered row bytes, height rows one after the other.
PictureBytes handmade_png(std::uint32_t width, std::uint32_t height, int bit_depth, int color_type,
                          const std::vector<std::uint8_t>& raw_rows,
                          const std::vector<std::uint8_t>& palette = {});

// A 1x1 GIF89a whose one pixel is red (255, 0, 0).
PictureBytes red_pixel_gif();

}  // namespace vknn::data::testing
