// vknn::Augmentation's checks and the public CPU entry points (draw and
// apply one picture's transform) over the shared arithmetic of
// augmentation_math.hpp, the same the CPU reference gather runs.
#include "vknn/data/augmentation.hpp"

#include <cmath>
#include <sstream>

#include "ops/augmentation_math.hpp"
#include "vknn/error.hpp"

namespace vknn {

namespace am = augmentation_math;

std::string to_string(FillMode mode) {
  switch (mode) {
    case FillMode::nearest: return "nearest";
    case FillMode::reflect: return "reflect";
    case FillMode::wrap: return "wrap";
    case FillMode::constant: return "constant";
  }
  return "fill mode " + std::to_string(std::uint32_t(mode));
}

FillMode fill_mode_from_string(const std::string& name) {
  for (FillMode mode : {FillMode::nearest, FillMode::reflect, FillMode::wrap, FillMode::constant}) {
    if (to_string(mode) == name) return mode;
  }
  throw Error("fill_mode '" + name + "' is not one of 'nearest', 'reflect', 'wrap', 'constant'");
}

bool Augmentation::is_identity() const {
  return rotation_range == 0.0f && width_shift_range.range == 0.0f &&
         height_shift_range.range == 0.0f && shear_range == 0.0f && zoom_range[0] == 1.0f &&
         zoom_range[1] == 1.0f && !horizontal_flip && !vertical_flip;
}

namespace {

void require_range(const char* name, float value) {
  if (!std::isfinite(value) || value < 0.0f) {
    std::ostringstream s;
    s << "augmentation: " << name << " must be a finite number >= 0, got " << value;
    throw Error(s.str());
  }
}

void require_shift(const char* name, const ShiftRange& shift) {
  require_range(name, shift.range);
  if (shift.whole_pixels && (shift.range != std::floor(shift.range) || shift.range > 65536.0f)) {
    std::ostringstream s;
    s << "augmentation: " << name << " in whole pixels (Keras's int n) must be a whole number "
      << "of pixels up to 65536, got " << shift.range;
    throw Error(s.str());
  }
}

}  // namespace

void Augmentation::validate() const {
  require_range("rotation_range", rotation_range);
  require_shift("width_shift_range", width_shift_range);
  require_shift("height_shift_range", height_shift_range);
  require_range("shear_range", shear_range);
  // Angles beyond this lose the reduction's exactness (quarter * 90 must
  // stay an exact float); a rotation_range of a million degrees is a typo.
  for (auto [name, value] : {std::pair{"rotation_range", rotation_range}, {"shear_range", shear_range}}) {
    if (value > 1e6f) {
      std::ostringstream s;
      s << "augmentation: " << name << " " << value << " is over 1e6 degrees";
      throw Error(s.str());
    }
  }
  if (!std::isfinite(zoom_range[0]) || !std::isfinite(zoom_range[1])) {
    std::ostringstream s;
    s << "augmentation: zoom_range must be two finite numbers, got [" << zoom_range[0] << ", "
      << zoom_range[1] << "]";
    throw Error(s.str());
  }
  if (!std::isfinite(cval)) {
    std::ostringstream s;
    s << "augmentation: cval must be a finite number, got " << cval;
    throw Error(s.str());
  }
  if (std::uint32_t(geometry) > std::uint32_t(AugmentationGeometry::preprocessing_layers)) {
    throw Error("augmentation: geometry " + std::to_string(std::uint32_t(geometry)) +
                " is not image_data_generator or preprocessing_layers");
  }
  if (std::uint32_t(fill_mode) > std::uint32_t(FillMode::constant)) {
    throw Error("augmentation: fill_mode " + std::to_string(std::uint32_t(fill_mode)) +
                " is not one of nearest, reflect, wrap, constant");
  }
}

std::string Augmentation::describe() const {
  std::ostringstream s;
  const auto shift = [](const ShiftRange& r) {
    std::ostringstream t;
    t << r.range << (r.whole_pixels ? " (whole pixels)" : "");
    return t.str();
  };
  s << "rotation_range " << rotation_range << ", width_shift_range " << shift(width_shift_range)
    << ", height_shift_range " << shift(height_shift_range) << ", shear_range " << shear_range
    << ", zoom_range [" << zoom_range[0] << ", " << zoom_range[1] << "], horizontal_flip "
    << (horizontal_flip ? "on" : "off") << ", vertical_flip " << (vertical_flip ? "on" : "off")
    << (same_zoom_both_axes ? ", one zoom for both axes" : "")
    << (geometry == AugmentationGeometry::preprocessing_layers ? ", the Random* layers' geometry" : "")
    << ", fill_mode " << to_string(fill_mode) << ", cval " << cval << ", seed " << seed;
  return s.str();
}

namespace {

void require_picture(const char* call, int height, int width, int channels) {
  if (height < 1 || width < 1 || channels < 1) {
    throw Error(std::string(call) + ": a picture needs height, width and channels >= 1, got " +
                std::to_string(height) + "x" + std::to_string(width) + "x" +
                std::to_string(channels));
  }
}

}  // namespace

AugmentationParameters draw_augmentation(const Augmentation& augmentation, int height, int width,
                                         std::uint32_t sample, std::uint32_t step) {
  augmentation.validate();
  require_picture("draw_augmentation", height, width, 1);
  return am::draw(augmentation, height, width, sample, step);
}

std::vector<float> apply_augmentation(const Augmentation& augmentation,
                                      const AugmentationParameters& p,
                                      std::span<const float> image, int height, int width,
                                      int channels) {
  augmentation.validate();
  require_picture("apply_augmentation", height, width, channels);
  const std::size_t size = std::size_t(height) * std::size_t(width) * std::size_t(channels);
  if (image.size() != size) {
    throw Error("apply_augmentation: the picture has " + std::to_string(image.size()) +
                " values but " + std::to_string(height) + "x" + std::to_string(width) + "x" +
                std::to_string(channels) + " needs " + std::to_string(size));
  }
  for (float v : {p.theta, p.tx, p.ty, p.shear, p.zx, p.zy}) {
    if (!std::isfinite(v)) throw Error("apply_augmentation: the transform's parameters must be finite");
  }
  const am::Affine m = am::affine(p, height, width, augmentation.geometry);
  const float inverse_rows = am::axis_inverse(augmentation.fill_mode, height);
  const float inverse_cols = am::axis_inverse(augmentation.fill_mode, width);
  std::vector<float> out(size);
  const auto at = [&](std::int32_t r, std::int32_t c, int ch) {
    return image[(std::size_t(r) * std::size_t(width) + std::size_t(c)) * std::size_t(channels) +
                 std::size_t(ch)];
  };
  for (int row = 0; row < height; ++row) {
    for (int col = 0; col < width; ++col) {
      const am::PixelTaps k = am::pixel_taps(m, p, row, col, height, width,
                                             augmentation.fill_mode, inverse_rows, inverse_cols);
      float* o = out.data() + (std::size_t(row) * std::size_t(width) + std::size_t(col)) * std::size_t(channels);
      for (int ch = 0; ch < channels; ++ch) {
        o[ch] = k.inside() ? am::bilinear(k, at(k.row.i0, k.col.i0, ch), at(k.row.i0, k.col.i1, ch),
                                          at(k.row.i1, k.col.i0, ch), at(k.row.i1, k.col.i1, ch))
                           : augmentation.cval;
      }
    }
  }
  return out;
}

}  // namespace vknn
