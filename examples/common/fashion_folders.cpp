#include "common/fashion_folders.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <span>
#include <stdexcept>
#include <tuple>

#include "common/files.hpp"
#include "common/image_io.hpp"

namespace vknn::examples {

namespace fs = std::filesystem;

std::vector<FashionClass> fashion_class_set(const std::string& set) {
  if (set == "sneakers_vs_boots") return {{7, "sneakers"}, {9, "ankle_boots"}};
  if (set == "three_classes") return {{8, "bags"}, {7, "sneakers"}, {1, "trousers"}};
  throw std::runtime_error("unknown class set '" + set + "' (known: " + kFashionClassSets + ")");
}

namespace {

// Upscales a 28x28 grey image to size x size, bilinear with half-pixel
// centres (the generator's own code, independent of the library's reader).
std::vector<float> upscale(std::span<const std::uint8_t> gray, int rows, int cols, int size) {
  std::vector<float> out(std::size_t(size) * std::size_t(size));
  const auto coordinate = [](int o, int in, int out_size) {
    const double s = (o + 0.5) * in / out_size - 0.5;
    const double clamped = std::clamp(s, 0.0, double(in - 1));
    const int lower = int(std::floor(clamped));
    const int upper = std::min(lower + 1, in - 1);
    return std::tuple{lower, upper, clamped - lower};
  };
  for (int y = 0; y < size; ++y) {
    const auto [y0, y1, wy] = coordinate(y, rows, size);
    for (int x = 0; x < size; ++x) {
      const auto [x0, x1, wx] = coordinate(x, cols, size);
      const auto at = [&](int r, int c) { return double(gray[std::size_t(r * cols + c)]); };
      const double top = at(y0, x0) + (at(y0, x1) - at(y0, x0)) * wx;
      const double bottom = at(y1, x0) + (at(y1, x1) - at(y1, x0)) * wx;
      out[std::size_t(y * size + x)] = float(top + (bottom - top) * wy);
    }
  }
  return out;
}

struct Colours {
  float background[3];
  float foreground[3];
};

// Per picture, from (seed, index) alone: a darkish background and a light
// foreground of random hues, so that the garment stays visible.
Colours colours_of(std::uint64_t seed, std::int64_t index) {
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + std::uint64_t(index));
  std::uniform_real_distribution<float> dark(0.0f, 110.0f), light(150.0f, 255.0f);
  Colours c{};
  for (int k = 0; k < 3; ++k) c.background[k] = dark(rng);
  for (int k = 0; k < 3; ++k) c.foreground[k] = light(rng);
  return c;
}

}  // namespace

std::int64_t write_fashion_folder(const fs::path& folder, const data::LabeledImages& source,
                                  const FashionFolderSpec& spec) {
  if (spec.size < 1 || spec.per_class < 1) {
    throw std::runtime_error("write_fashion_folder: size and per_class must be positive");
  }
  std::int64_t written = 0;
  std::int64_t picture_index = 0;  // across classes, for the colours and the format
  for (const auto& cls : spec.classes) {
    const fs::path class_dir = folder / cls.name;
    fs::create_directories(class_dir);
    int taken = 0;
    for (std::int64_t i = 0; i < source.size() && taken < spec.per_class; ++i) {
      if (source.labels[std::size_t(i)] != cls.label) continue;
      const auto values = upscale(source.images.image(i), source.images.rows, source.images.cols,
                                  spec.size);
      const Colours colours = colours_of(spec.seed, picture_index);
      Image8 picture;
      picture.width = spec.size;
      picture.height = spec.size;
      picture.channels = 3;
      picture.pixels.resize(values.size() * 3);
      for (std::size_t p = 0; p < values.size(); ++p) {
        const float g = values[p] / 255.0f;
        for (int k = 0; k < 3; ++k) {
          const float v = colours.background[k] + (colours.foreground[k] - colours.background[k]) * g;
          picture.pixels[p * 3 + std::size_t(k)] = std::uint8_t(std::clamp(std::lround(v), 0L, 255L));
        }
      }
      const bool jpeg = spec.format == PictureFormat::jpeg ||
                        (spec.format == PictureFormat::mixed && picture_index % 2 == 1);
      char name[64];
      std::snprintf(name, sizeof name, "%05d.%s", taken, jpeg ? "jpg" : "png");
      const auto bytes = jpeg ? encode_jpeg(picture, spec.jpeg_quality) : encode_png(picture);
      write_file_atomically(class_dir / (cls.name + "_" + name),
                            std::span<const unsigned char>(bytes.data(), bytes.size()));
      ++taken;
      ++written;
      ++picture_index;
    }
    if (taken < spec.per_class) {
      throw std::runtime_error("write_fashion_folder: the source has only " +
                               std::to_string(taken) + " images of class " + cls.name + " (" +
                               std::to_string(cls.label) + "), " + std::to_string(spec.per_class) +
                               " were asked for");
    }
  }
  return written;
}

}  // namespace vknn::examples
