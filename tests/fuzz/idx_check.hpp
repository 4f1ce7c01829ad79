// The IDX fuzz targets' common body: read a file as images and as labels;
// what is accepted must be consistent and survive a write and a re-read.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include "fuzz_support.hpp"
#include "vknn/data/idx.hpp"
#include "vknn/error.hpp"

namespace vknn::fuzz {

// Reads `path` both ways; `suffix` (".gz" or "") names the re-written copy,
// so a gzipped input is re-written gzipped.
inline void read_idx_both_ways(const std::filesystem::path& path, const std::string& suffix) {
  const char* images_stage = "images-accepted";
  try {
    const data::ImageSet images = data::read_idx_images(path);
    if (images.count <= 0 || images.rows <= 0 || images.cols <= 0 ||
        images.pixels.size() != static_cast<std::size_t>(images.count) * images.image_size()) {
      std::abort();
    }
    const auto copy = scratch_folder() / ("copy-images" + suffix);
    data::write_idx_images(copy, images);
    const data::ImageSet back = data::read_idx_images(copy);
    if (back.count != images.count || back.rows != images.rows || back.cols != images.cols ||
        back.pixels != images.pixels) {
      std::abort();
    }
  } catch (const Error&) {
    images_stage = "images-refused";
  }
  const char* labels_stage = "labels-accepted";
  try {
    const std::vector<std::uint8_t> labels = data::read_idx_labels(path, 10);
    if (labels.empty()) std::abort();
    for (std::uint8_t l : labels) {
      if (l >= 10) std::abort();
    }
    const auto copy = scratch_folder() / ("copy-labels" + suffix);
    data::write_idx_labels(copy, labels);
    if (data::read_idx_labels(copy, 10) != labels) std::abort();
  } catch (const Error&) {
    labels_stage = "labels-refused";
  }
  if (census_requested()) std::fprintf(stderr, "census: %s %s\n", images_stage, labels_stage);
}

}  // namespace vknn::fuzz
