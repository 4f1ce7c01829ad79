// The picture of the course's "visualizing the convolutions and pooling"
// lab: one row per image, one column per layer, each cell one feature map.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "common/image_io.hpp"

namespace vknn::examples {

// One channel of one layer's output for one image, row-major.
struct FeatureMap {
  int width = 0;
  int height = 0;
  std::vector<float> values;  // width * height
};

enum class Colormap { gray, inferno };

// matplotlib's 'inferno' (the lab's cmap) at t in [0, 1], from a
// polynomial fit of the table; t is clamped.
std::array<std::uint8_t, 3> inferno(float t);

// Each map normalised to its own min..max (0..255; a constant map is 0, as
// imshow draws it), upscaled by nearest neighbour to cell x cell pixels,
// and laid out in rows with `gap` pixels of white between cells. Rows may
// not be empty and must all have the same number of maps. Gray gives a
// 1-channel image, inferno an RGB one.
Image8 compose_grid(const std::vector<std::vector<FeatureMap>>& rows, int cell, int gap,
                    Colormap colormap);

}  // namespace vknn::examples
