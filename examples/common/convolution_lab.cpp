#include "common/convolution_lab.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "common/cli.hpp"

namespace vknn::examples {

namespace {

struct NamedFilter {
  const char* name;
  Filter3x3 taps;
};

// The notebook's filters.
constexpr NamedFilter kFilters[] = {
    {"laplacian", {0, 1, 0, 1, -4, 1, 0, 1, 0}},     // edges in every direction
    {"horizontal", {-1, -2, -1, 0, 0, 0, 1, 2, 1}},  // horizontal lines (a vertical gradient)
    {"vertical", {-1, 0, 1, -2, 0, 2, -1, 0, 1}},    // vertical lines (a horizontal gradient)
};

}  // namespace

std::optional<Filter3x3> builtin_filter(const std::string& name) {
  for (const auto& f : kFilters) {
    if (name == f.name) return f.taps;
  }
  return std::nullopt;
}

std::vector<std::string> builtin_filter_names() {
  std::vector<std::string> names;
  for (const auto& f : kFilters) names.emplace_back(f.name);
  return names;
}

Filter3x3 parse_filter(const std::string& flag, const std::string& text) {
  const std::vector<double> values = parse_real_list(flag, text);
  if (values.size() != 9) {
    throw UsageError(flag, "a 3x3 filter has 9 numbers, row by row (as \"0,1,0,1,-4,1,0,1,0\"), got " +
                               std::to_string(values.size()));
  }
  Filter3x3 taps{};
  for (std::size_t i = 0; i < 9; ++i) {
    if (std::abs(values[i]) > 1e6) {
      throw UsageError(flag, "filter values must be within -1e6..1e6, got " + std::to_string(values[i]));
    }
    taps[i] = float(values[i]);
  }
  return taps;
}

GrayImage synthetic_test_picture(int size) {
  if (size < 16) throw std::runtime_error("synthetic_test_picture: size must be at least 16");
  GrayImage picture;
  picture.width = picture.height = size;
  picture.pixels.resize(std::size_t(size) * std::size_t(size));
  const double s = size / 512.0;  // everything below is laid out for 512
  const int step_w = std::max(1, int(48 * s)), step_h = std::max(1, int(28 * s));
  const int tread = std::max(1, int(7 * s));
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      // A wall lit from the left: a smooth gradient, which the notebook's
      // filters turn (nearly) black.
      double v = 150 + 60.0 * y / size - 30.0 * x / size;

      // Rings in the upper right: edges in every direction.
      const double dx = x - 380 * s, dy = y - 130 * s;
      const double r = std::sqrt(dx * dx + dy * dy);
      for (int k = 1; k <= 4; ++k) {
        if (std::abs(r - 25 * k * s) < 2.5 * s + 0.5) v = (k % 2) ? 30 : 235;
      }
      if (r < 10 * s) v = 235;

      // Horizontal and vertical bars in the upper left.
      if (x >= 30 * s && x < 150 * s && y >= 40 * s && y < 160 * s &&
          int((y - 40 * s) / (12 * s)) % 2 == 0 && std::fmod(y - 40 * s, 12 * s) < 4 * s) {
        v = 40;
      }
      if (x >= 170 * s && x < 270 * s && y >= 40 * s && y < 160 * s &&
          std::fmod(x - 170 * s, 14 * s) < 5 * s) {
        v = 215;
      }

      // A staircase rising to the right across the lower half: bright
      // treads, shaded risers.
      const int step = x / step_w;
      const int top = size - (step + 1) * step_h - int(60 * s);
      if (y >= top && x < int(430 * s)) {
        v = (y - top < tread) ? 230 : 95 + 25.0 * ((y - top) % step_h) / step_h + 8 * (step % 2);
      }
      // Its handrail, a diagonal, with a baluster at every step.
      const double rail = size - int(60 * s) - (x + step_w / 2.0) * double(step_h) / step_w - 70 * s;
      if (x < int(430 * s)) {
        if (std::abs(y - rail) < 2.5 * s + 0.5) v = 20;
        if (y > rail && y < top && (x % step_w) >= step_w / 2 - int(2 * s) - 1 &&
            (x % step_w) <= step_w / 2 + int(2 * s)) {
          v = 45;
        }
      }
      picture.pixels[std::size_t(y) * std::size_t(size) + std::size_t(x)] =
          float(std::clamp(std::round(v), 0.0, 255.0));
    }
  }
  return picture;
}

FilteredAndPooled filter_and_pool(const GrayImage& picture, const Filter3x3& filter, float weight,
                                  OpTarget target) {
  if (picture.width < 4 || picture.height < 4) {
    throw std::runtime_error("the picture is " + std::to_string(picture.width) + "x" +
                             std::to_string(picture.height) +
                             " pixels; a 3x3 filter followed by a 2x2 pool needs at least 4x4");
  }
  Conv2DGeometry conv;
  conv.in_h = picture.height;
  conv.in_w = picture.width;
  conv.kernel_h = conv.kernel_w = 3;
  // The notebook multiplies each sum by the weight; scaling the taps is the
  // same thing and keeps the op a plain convolution.
  std::array<float, 9> kernel{};
  for (int i = 0; i < 9; ++i) kernel[std::size_t(i)] = filter[std::size_t(i)] * weight;
  const float bias = 0.0f;
  std::vector<float> filtered =
      run_conv2d(conv, picture.pixels, kernel, std::span(&bias, 1), Activation::linear, target);
  for (float& v : filtered) v = !(v > 0.0f) ? 0.0f : std::min(v, 255.0f);

  FilteredAndPooled result;
  result.filtered = {conv.out_w(), conv.out_h(), std::move(filtered)};
  Pool2DGeometry pool;
  pool.in_h = result.filtered.height;
  pool.in_w = result.filtered.width;
  result.pooled = {pool.out_w(), pool.out_h(), run_maxpool2d(pool, result.filtered.pixels, target)};
  return result;
}

}  // namespace vknn::examples
