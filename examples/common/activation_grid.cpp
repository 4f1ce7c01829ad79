#include "common/activation_grid.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace vknn::examples {

std::array<std::uint8_t, 3> inferno(float t) {
  // Degree-6 least-squares fit of matplotlib's inferno table (Matt Zucker's
  // "colormap polynomials"); within about 1/255 of the table.
  static constexpr double c[7][3] = {
      {0.0002189403691192265, 0.001651004631001012, -0.01948089843709184},
      {0.1065134194856116, 0.5639564367884091, 3.932712388889277},
      {11.60249308247187, -3.972853965665698, -15.9423941062914},
      {-41.70399613139459, 17.43639888205313, 44.35414519872813},
      {77.162935699427, -33.40235894210092, -81.80730925738993},
      {-71.31942824499214, 32.62606426397723, 73.20951985803202},
      {25.13112622477341, -12.24266895238567, -23.07032500287172},
  };
  const double x = std::isnan(t) ? 0.0 : std::clamp(double(t), 0.0, 1.0);
  std::array<std::uint8_t, 3> rgb{};
  for (int k = 0; k < 3; ++k) {
    double v = c[6][k];
    for (int i = 5; i >= 0; --i) v = v * x + c[i][k];
    rgb[std::size_t(k)] = std::uint8_t(std::lround(std::clamp(v, 0.0, 1.0) * 255.0));
  }
  return rgb;
}

Image8 compose_grid(const std::vector<std::vector<FeatureMap>>& rows, int cell, int gap,
                    Colormap colormap) {
  if (rows.empty() || rows.front().empty()) throw std::runtime_error("compose_grid: no feature maps");
  if (cell < 1 || gap < 0) throw std::runtime_error("compose_grid: cell must be >= 1 and gap >= 0");
  const std::size_t columns = rows.front().size();
  for (const auto& row : rows) {
    if (row.size() != columns) throw std::runtime_error("compose_grid: rows of different lengths");
    for (const auto& map : row) {
      if (map.width < 1 || map.height < 1 ||
          map.values.size() != std::size_t(map.width) * std::size_t(map.height)) {
        throw std::runtime_error("compose_grid: a " + std::to_string(map.width) + "x" +
                                 std::to_string(map.height) + " map with " +
                                 std::to_string(map.values.size()) + " values");
      }
    }
  }
  Image8 grid;
  grid.channels = colormap == Colormap::gray ? 1 : 3;
  grid.width = int(columns) * cell + (int(columns) - 1) * gap;
  grid.height = int(rows.size()) * cell + (int(rows.size()) - 1) * gap;
  grid.pixels.assign(std::size_t(grid.width) * std::size_t(grid.height) * std::size_t(grid.channels), 255);

  for (std::size_t r = 0; r < rows.size(); ++r) {
    for (std::size_t c = 0; c < columns; ++c) {
      const FeatureMap& map = rows[r][c];
      const auto [lo, hi] = std::minmax_element(map.values.begin(), map.values.end());
      const float low = *lo, range = *hi - *lo;
      const int left = int(c) * (cell + gap), top = int(r) * (cell + gap);
      for (int y = 0; y < cell; ++y) {
        const int sy = int(std::int64_t(y) * map.height / cell);
        for (int x = 0; x < cell; ++x) {
          const int sx = int(std::int64_t(x) * map.width / cell);
          const float v = map.values[std::size_t(sy) * std::size_t(map.width) + std::size_t(sx)];
          float t = range > 0 ? (v - low) / range : 0.0f;
          if (!(t >= 0.0f)) t = 0.0f;  // NaN and infinities draw as the lowest value
          if (t > 1.0f) t = 1.0f;
          std::uint8_t* out = grid.pixels.data() +
                              (std::size_t(top + y) * std::size_t(grid.width) + std::size_t(left + x)) *
                                  std::size_t(grid.channels);
          if (colormap == Colormap::gray) {
            out[0] = std::uint8_t(std::lround(t * 255.0f));
          } else {
            const auto rgb = inferno(t);
            out[0] = rgb[0];
            out[1] = rgb[1];
            out[2] = rgb[2];
          }
        }
      }
    }
  }
  return grid;
}

}  // namespace vknn::examples
