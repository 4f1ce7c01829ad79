// The one translation unit that holds stb's implementations.
#include "common/image_io.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

#include "common/files.hpp"
#include "vknn/data/image_folder.hpp"
#include "vknn/error.hpp"

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#endif
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
// stb_image reports its reasons in stbi_failure_reason(); its strings are
// short ("can't fopen"), so the messages below add the file and the formats.
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace vknn::examples {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFormats = "PNG, JPEG, binary PGM/PPM (P5/P6), BMP, GIF or TGA";

// Above this the float copies the programs make get unreasonable (and a
// single Vulkan storage buffer may not hold them).
constexpr long long kMaxPixels = 16384LL * 16384LL;

// PNG, JPEG, BMP and GIF, by their first bytes: the formats the library
// decodes (vknn::data::read_picture); PGM/PPM and TGA stay with stb.
bool decoded_by_the_library(const fs::path& path) {
  unsigned char head[8] = {};
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return false;
  const std::size_t n = std::fread(head, 1, sizeof head, file);
  std::fclose(file);
  const auto starts = [&](std::initializer_list<unsigned char> magic) {
    return n >= magic.size() && std::equal(magic.begin(), magic.end(), head);
  };
  return starts({0x89, 'P', 'N', 'G'}) || starts({0xFF, 0xD8, 0xFF}) || starts({'B', 'M'}) ||
         starts({'G', 'I', 'F', '8'});
}

}  // namespace

Image8 read_image(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw std::runtime_error("cannot read image '" + path.string() + "': no such file");
  if (fs::is_directory(path, ec)) {
    throw std::runtime_error("cannot read image '" + path.string() + "': it is a folder");
  }
  int width = 0, height = 0, channels = 0;
  if (stbi_info(path.c_str(), &width, &height, &channels) == 0) {
    const char* reason = stbi_failure_reason();
    throw std::runtime_error("cannot read image '" + path.string() + "': " +
                             (reason ? reason : "unknown reason") + " (expected " + kFormats + ")");
  }
  if (width <= 0 || height <= 0 || (long long)width * height > kMaxPixels) {
    throw std::runtime_error("cannot read image '" + path.string() + "': it is " +
                             std::to_string(width) + "x" + std::to_string(height) +
                             " pixels; at most 16384x16384 are supported");
  }
  if (decoded_by_the_library(path)) {
    // The library's decoder: libjpeg-turbo for JPEG, stb behind its checks
    // for the others (stb 2.27 alone reads out of bounds on some corrupt
    // JPEGs). Gray + alpha comes back as RGBA (the library decodes 1, 3 or
    // 4 channels); to_grayscale gives the same luma.
    try {
      vknn::data::Picture picture = vknn::data::read_picture(path, channels == 2 ? 4 : channels, kMaxPixels);
      return Image8{picture.width, picture.height, picture.channels, std::move(picture.pixels)};
    } catch (const vknn::Error& e) {
      throw std::runtime_error(e.what());
    }
  }
  std::unique_ptr<stbi_uc, void (*)(void*)> data(
      stbi_load(path.c_str(), &width, &height, &channels, 0), stbi_image_free);
  if (!data) {
    const char* reason = stbi_failure_reason();
    throw std::runtime_error("cannot read image '" + path.string() + "': " +
                             (reason ? reason : "unknown reason") + " (expected " + kFormats + ")");
  }
  if (channels < 1 || channels > 4) {
    throw std::runtime_error("cannot read image '" + path.string() + "': " +
                             std::to_string(channels) + " channels are not supported");
  }
  Image8 image;
  image.width = width;
  image.height = height;
  image.channels = channels;
  image.pixels.assign(data.get(), data.get() + std::size_t(width) * std::size_t(height) * std::size_t(channels));
  return image;
}

GrayImage to_grayscale(const Image8& image) {
  GrayImage gray;
  gray.width = image.width;
  gray.height = image.height;
  const std::size_t count = std::size_t(image.width) * std::size_t(image.height);
  gray.pixels.resize(count);
  const int c = image.channels;
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t* p = image.pixels.data() + i * std::size_t(c);
    gray.pixels[i] = c >= 3 ? 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2] : float(p[0]);
  }
  return gray;
}

Image8 to_image8(const GrayImage& image) {
  Image8 out;
  out.width = image.width;
  out.height = image.height;
  out.channels = 1;
  out.pixels.resize(image.pixels.size());
  for (std::size_t i = 0; i < image.pixels.size(); ++i) {
    const float v = image.pixels[i];
    // NaN goes to 0 with the negatives: !(v > 0).
    out.pixels[i] = !(v > 0.0f) ? 0 : v >= 255.0f ? 255 : std::uint8_t(std::lround(v));
  }
  return out;
}

namespace {

void check_encodable(const char* what, const Image8& image) {
  if (image.width <= 0 || image.height <= 0 || image.channels < 1 || image.channels > 4 ||
      image.pixels.size() != std::size_t(image.width) * std::size_t(image.height) * std::size_t(image.channels)) {
    throw std::runtime_error(std::string(what) + ": an image of " + std::to_string(image.width) + "x" +
                             std::to_string(image.height) + "x" + std::to_string(image.channels) +
                             " needs width*height*channels bytes, got " +
                             std::to_string(image.pixels.size()));
  }
}

void append(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(context);
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  out->insert(out->end(), bytes, bytes + size);
}

}  // namespace

std::vector<std::uint8_t> encode_png(const Image8& image) {
  check_encodable("encode_png", image);
  std::vector<std::uint8_t> png;
  if (stbi_write_png_to_func(append, &png, image.width, image.height, image.channels,
                             image.pixels.data(), image.width * image.channels) == 0) {
    throw std::runtime_error("encode_png: stb could not encode the image");
  }
  return png;
}

std::vector<std::uint8_t> encode_jpeg(const Image8& image, int quality) {
  check_encodable("encode_jpeg", image);
  if (quality < 1 || quality > 100) {
    throw std::runtime_error("encode_jpeg: quality must be 1..100, got " + std::to_string(quality));
  }
  std::vector<std::uint8_t> jpeg;
  if (stbi_write_jpg_to_func(append, &jpeg, image.width, image.height, image.channels,
                             image.pixels.data(), quality) == 0) {
    throw std::runtime_error("encode_jpeg: stb could not encode the image");
  }
  return jpeg;
}

void write_png(const fs::path& path, const Image8& image) {
  const auto png = encode_png(image);
  write_file_atomically(path, std::span<const unsigned char>(png.data(), png.size()));
}

}  // namespace vknn::examples
