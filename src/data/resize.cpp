#include "data/resize.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace vknn::data::detail {

namespace {

struct Tap {
  int lower = 0;
  int upper = 0;
  float weight = 0;  // of upper
};

// TensorFlow's compute_interpolation_weights with HalfPixelScaler, in
// float as TensorFlow computes it.
std::vector<Tap> bilinear_taps(int out_size, int in_size) {
  const float scale = float(in_size) / float(out_size);
  std::vector<Tap> taps(static_cast<std::size_t>(out_size));
  for (int o = 0; o < out_size; ++o) {
    const float s = (float(o) + 0.5f) * scale - 0.5f;
    const float s_floor = std::floor(s);
    taps[std::size_t(o)] = {std::max(int(s_floor), 0), std::min(int(std::ceil(s)), in_size - 1),
                            s - s_floor};
  }
  return taps;
}

std::vector<int> nearest_taps(int out_size, int in_size) {
  const float scale = float(in_size) / float(out_size);
  std::vector<int> taps(static_cast<std::size_t>(out_size));
  for (int o = 0; o < out_size; ++o) {
    taps[std::size_t(o)] =
        std::min(int(std::floor((float(o) + 0.5f) * scale)), in_size - 1);
  }
  return taps;
}

std::uint8_t to_byte(float v) {
  // Bilinear weights are convex, so v is within 0..255 up to rounding.
  return std::uint8_t(std::clamp(std::lround(v), 0L, 255L));
}

}  // namespace

void resize_picture(std::span<const std::uint8_t> in, int in_height, int in_width, int channels,
                    std::span<std::uint8_t> out, int out_height, int out_width,
                    Interpolation interpolation) {
  const std::size_t c = std::size_t(channels);
  if (in_height == out_height && in_width == out_width) {
    std::memcpy(out.data(), in.data(), std::size_t(in_height) * std::size_t(in_width) * c);
    return;
  }
  const auto at = [&](int y, int x) {
    return in.data() + (std::size_t(y) * std::size_t(in_width) + std::size_t(x)) * c;
  };
  if (interpolation == Interpolation::nearest) {
    const auto ys = nearest_taps(out_height, in_height);
    const auto xs = nearest_taps(out_width, in_width);
    std::uint8_t* dst = out.data();
    for (int y = 0; y < out_height; ++y) {
      for (int x = 0; x < out_width; ++x, dst += c) {
        std::memcpy(dst, at(ys[std::size_t(y)], xs[std::size_t(x)]), c);
      }
    }
    return;
  }
  const auto ys = bilinear_taps(out_height, in_height);
  const auto xs = bilinear_taps(out_width, in_width);
  std::uint8_t* dst = out.data();
  for (int y = 0; y < out_height; ++y) {
    const Tap& ty = ys[std::size_t(y)];
    for (int x = 0; x < out_width; ++x) {
      const Tap& tx = xs[std::size_t(x)];
      const std::uint8_t* tl = at(ty.lower, tx.lower);
      const std::uint8_t* tr = at(ty.lower, tx.upper);
      const std::uint8_t* bl = at(ty.upper, tx.lower);
      const std::uint8_t* br = at(ty.upper, tx.upper);
      for (std::size_t k = 0; k < c; ++k, ++dst) {
        const float top = float(tl[k]) + (float(tr[k]) - float(tl[k])) * tx.weight;
        const float bottom = float(bl[k]) + (float(br[k]) - float(bl[k])) * tx.weight;
        *dst = to_byte(top + (bottom - top) * ty.weight);
      }
    }
  }
}

}  // namespace vknn::data::detail
