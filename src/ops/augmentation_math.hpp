// The augmented gather's arithmetic, shared by the CPU reference and, line
// for line, shaders/augmentation.glsl: how a sample's transform is drawn
// (Philox), how it becomes Keras's matrix, and how one output pixel is
// sampled (scipy.ndimage's order-1 affine_transform with its boundary
// modes). Both sides run the same float32 operations in the same order, each
// correctly rounded and none fused (the shader's are `precise`; this file is
// built with -std=c++20, which turns GCC's contraction off, and x86-64's SSE
// has no excess precision), so the two backends give the same bits: the op
// table checks them (tests/ops/op_table_entries.cpp, add_augmented_gather).
//
// What makes that possible:
// - no driver sin/cos (Vulkan allows them large errors): sin_cos_degrees
//   reduces the angle in degrees and evaluates Taylor polynomials (error
//   below 2e-7 on [-45, 45] degrees), with constants given as float bits so
//   that no compiler parses a decimal literal differently;
// - no division (Vulkan's is 2.5 ulp): periods' reciprocals are computed on
//   the host (inverse_period) and multiplied;
// - integers and floor() are exact on both sides.
//
// The conventions, quoted from Keras (keras-preprocessing 1.1.2,
// image_data_generator.py get_random_transform / apply_transform, and
// affine_transformations.py apply_affine_transform; identical in Keras 3's
// keras/src/legacy/preprocessing/image.py):
//   theta = uniform(-rotation_range, rotation_range)           (degrees)
//   tx = uniform(-h_range, h_range) * height if h_range < 1     (height_shift_range)
//   ty = uniform(-w_range, w_range) * width  if w_range < 1     (width_shift_range)
//   shear = uniform(-shear_range, shear_range)                  (degrees)
//   zx, zy = uniform(zoom_range[0], zoom_range[1], 2)
//   flip_horizontal, flip_vertical = random() < 0.5 each
//   M = rotation @ shift([[1,0,tx],[0,1,ty]]) @ shear([[1,-sin,0],[0,cos,0]]) @ zoom
//   M = offset(o) @ M @ offset(-o), o = (height / 2 - 0.5, width / 2 - 0.5)
//   M' = P M P (the "x/y swap": rows and columns of M exchanged), then
//   scipy.ndimage.affine_transform(channel, M'[:2,:2], M'[:2,2], order=1,
//   mode=fill_mode, cval=cval): the output pixel (row, col) reads the input
//   at M' @ (row, col, 1); then flip_axis(cols), flip_axis(rows).
// Multiplied out: M acts on (a, b) = (col, row), so
//   col_in = A00 (col - oa) + A01 (row - ob) + tx' + oa
//   row_in = A10 (col - oa) + A11 (row - ob) + ty' + ob
// with oa = height / 2 - 0.5 and ob = width / 2 - 0.5 (Keras's offsets land
// on the swapped axes: for a picture that is not square its centre of
// rotation is off centre, as in Keras), A = R Sh Z and (tx', ty') = R (tx, ty).
//
// The Random* preprocessing layers (AugmentationGeometry::
// preprocessing_layers; Keras 2.15 keras/layers/preprocessing/
// image_preprocessing.py, tf.raw_ops.ImageProjectiveTransformV3) map the
// output pixel (x, y) = (col, row) to the input point M (x, y, 1) with
//   RandomRotation:    [cos, -sin, xo; sin, cos, yo], angle uniform in
//                      [-factor, factor) * 2 pi, about ((w - 1) / 2, (h - 1) / 2)
//   RandomZoom:        diag(zx, zy) about the same centre, zx = zy (no
//                      width_factor) uniform in [1 + lower, 1 + upper)
//   RandomTranslation: [1, 0, -dx; 0, 1, -dy], dx uniform in
//                      [-width_factor, width_factor) * w, dy likewise * h
//   RandomFlip:        x -> w - 1 - x and / or y -> h - 1 - y, each p = 1/2
// and layers applied in turn compose as M1 M2 ... (the first layer's
// outermost). This file computes R T Z F, the order Rotation, Translation,
// Zoom, Flip: with symmetric ranges, a flip anywhere and an isotropic zoom
// anywhere give the same distribution of transforms (F R(a) = R(-a) F,
// F T(t) = T(F t) F, R Z = Z R), so only a translation after a zoom or
// before a rotation draws differently. The centre is oa = (w - 1) / 2 for
// columns and ob = (h - 1) / 2 for rows, the shift of columns tx = dx and of
// rows ty = dy. Their borders: TF maps the point into the picture (reflect,
// nearest) and then samples bilinearly, which gives the same values as
// scipy's taps below; 'constant' and 'wrap' differ (docs/image-folders.md).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>

#include "ops/philox.hpp"
#include "vknn/data/augmentation.hpp"

namespace vknn::augmentation_math {

// Counter word 2 of every draw: keeps the augmentation's Philox streams
// apart from Dropout's (which use 0) even under equal seeds.
inline constexpr std::uint32_t kStream = 0x41554731u;  // "AUG1"

// Constants as float bits (the shader spells the same bits), each checked
// against the value it stands for.
inline constexpr std::uint32_t kInv90Bits = 0x3c360b61u;         // 1/90
inline constexpr std::uint32_t kPiOver180Bits = 0x3c8efa35u;     // pi/180
inline constexpr std::uint32_t kSin3Bits = 0xbe2aaaabu;          // -1/3!
inline constexpr std::uint32_t kSin5Bits = 0x3c088889u;          // 1/5!
inline constexpr std::uint32_t kSin7Bits = 0xb9500d01u;          // -1/7!
inline constexpr std::uint32_t kSin9Bits = 0x3638ef1du;          // 1/9!
inline constexpr std::uint32_t kCos4Bits = 0x3d2aaaabu;          // 1/4!
inline constexpr std::uint32_t kCos6Bits = 0xbab60b61u;          // -1/6!
inline constexpr std::uint32_t kCos8Bits = 0x37d00d01u;          // 1/8!
inline constexpr std::uint32_t kCos10Bits = 0xb493f27eu;         // -1/10!
static_assert(std::bit_cast<float>(kInv90Bits) == float(1.0 / 90.0));
static_assert(std::bit_cast<float>(kPiOver180Bits) == float(3.14159265358979323846 / 180.0));
static_assert(std::bit_cast<float>(kSin3Bits) == float(-1.0 / 6.0));
static_assert(std::bit_cast<float>(kSin5Bits) == float(1.0 / 120.0));
static_assert(std::bit_cast<float>(kSin7Bits) == float(-1.0 / 5040.0));
static_assert(std::bit_cast<float>(kSin9Bits) == float(1.0 / 362880.0));
static_assert(std::bit_cast<float>(kCos4Bits) == float(1.0 / 24.0));
static_assert(std::bit_cast<float>(kCos6Bits) == float(-1.0 / 720.0));
static_assert(std::bit_cast<float>(kCos8Bits) == float(1.0 / 40320.0));
static_assert(std::bit_cast<float>(kCos10Bits) == float(-1.0 / 3628800.0));

inline float bits(std::uint32_t b) { return std::bit_cast<float>(b); }

// 1 / period, computed once on the host for both backends (the shader gets
// it in its push block): the shader's own division is not exact.
inline float inverse_period(std::int64_t period) { return 1.0f / float(period); }

// A uniform float in [0, 1) from the top 24 bits: exact.
inline float unit(std::uint32_t b) { return float(b >> 8) * 0x1p-24f; }

// Keras's uniform(-range, range): range * (2u - 1), 2u - 1 exact.
inline float symmetric(float range, std::uint32_t b) {
  return range > 0.0f ? range * (2.0f * unit(b) - 1.0f) : 0.0f;
}

// A shift in pixels (see ShiftRange): `side` is the axis's length.
inline float shift(const ShiftRange& s, std::uint32_t b, bool negative, std::int64_t side) {
  if (!(s.range > 0.0f)) return 0.0f;
  if (s.whole_pixels) {
    // np.random.choice(n): k uniform in 0..n-1, from the 32 bits' top part.
    const std::uint32_t n = std::uint32_t(s.range);
    const float k = float(std::uint32_t((std::uint64_t(b) * n) >> 32));
    return negative ? -k : k;
  }
  const float value = symmetric(s.range, b);
  return s.range < 1.0f ? value * float(side) : value;
}

struct SinCos {
  float sin, cos;
};

// sin and cos of an angle in degrees, from the same float operations on
// both backends: reduced to [-45, 45] degrees by quarter turns (exact
// integer bookkeeping), then Taylor polynomials in Horner form.
inline SinCos sin_cos_degrees(float degrees) {
  const float quarter = std::floor(degrees * bits(kInv90Bits) + 0.5f);
  const float reduced = degrees - quarter * 90.0f;
  const float x = reduced * bits(kPiOver180Bits);
  const float x2 = x * x;
  const float s =
      x + x * x2 * (bits(kSin3Bits) + x2 * (bits(kSin5Bits) + x2 * (bits(kSin7Bits) + x2 * bits(kSin9Bits))));
  const float c =
      1.0f + x2 * (-0.5f + x2 * (bits(kCos4Bits) +
                                 x2 * (bits(kCos6Bits) + x2 * (bits(kCos8Bits) + x2 * bits(kCos10Bits)))));
  switch (std::int32_t(quarter) & 3) {
    case 0: return {s, c};
    case 1: return {c, -s};
    case 2: return {-s, -c};
    default: return {-c, s};
  }
}

// Sample `sample`'s parameters at step `step` (draw_augmentation's
// contract). Two Philox blocks: (theta, tx, ty, shear) and (zx, zy, -,
// flags: bit 0 horizontal flip, bit 1 vertical flip, bits 2 and 3 the signs
// of whole-pixel tx and ty).
inline AugmentationParameters draw(const Augmentation& a, std::int64_t height, std::int64_t width,
                                   std::uint32_t sample, std::uint32_t step) {
  const std::array<std::uint32_t, 2> key = {std::uint32_t(a.seed), std::uint32_t(a.seed >> 32)};
  const auto w0 = philox4x32_10({sample, step, kStream, 0u}, key);
  const auto w1 = philox4x32_10({sample, step, kStream, 1u}, key);
  AugmentationParameters p;
  p.theta = symmetric(a.rotation_range, w0[0]);
  // Which range and side move columns (tx) and rows (ty): see
  // AugmentationGeometry.
  if (a.geometry == AugmentationGeometry::preprocessing_layers) {
    p.tx = shift(a.width_shift_range, w0[1], (w1[3] & 4u) != 0, width);
    p.ty = shift(a.height_shift_range, w0[2], (w1[3] & 8u) != 0, height);
  } else {
    p.tx = shift(a.height_shift_range, w0[1], (w1[3] & 4u) != 0, height);
    p.ty = shift(a.width_shift_range, w0[2], (w1[3] & 8u) != 0, width);
  }
  p.shear = symmetric(a.shear_range, w0[3]);
  if (a.zoom_range[0] != 1.0f || a.zoom_range[1] != 1.0f) {
    const float span = a.zoom_range[1] - a.zoom_range[0];
    p.zx = a.zoom_range[0] + span * unit(w1[0]);
    p.zy = a.same_zoom_both_axes ? p.zx : a.zoom_range[0] + span * unit(w1[1]);
  }
  p.flip_horizontal = a.horizontal_flip && (w1[3] & 1u) != 0;
  p.flip_vertical = a.vertical_flip && (w1[3] & 2u) != 0;
  return p;
}

// Input column and row of output pixel (col, row) before the flips' own
// index change: the multiplied-out matrix of the header comment.
struct Affine {
  float a00, a01, a10, a11;  // A = R Sh Z
  float c0, c1;              // R (tx, ty) + the centre offsets
  float oa, ob;              // height / 2 - 0.5, width / 2 - 0.5
};

inline Affine affine(const AugmentationParameters& p, std::int64_t height, std::int64_t width,
                     AugmentationGeometry geometry) {
  const SinCos r = sin_cos_degrees(p.theta);
  const SinCos sh = sin_cos_degrees(p.shear);
  Affine m;
  m.a00 = r.cos * p.zx;
  m.a01 = -(r.cos * sh.sin + r.sin * sh.cos) * p.zy;
  m.a10 = r.sin * p.zx;
  m.a11 = (r.cos * sh.cos - r.sin * sh.sin) * p.zy;
  // oa is subtracted from the column, ob from the row: ImageDataGenerator's
  // swap puts the height's centre on the columns.
  const bool layers = geometry == AugmentationGeometry::preprocessing_layers;
  m.oa = float(layers ? width : height) * 0.5f - 0.5f;
  m.ob = float(layers ? height : width) * 0.5f - 0.5f;
  m.c0 = (r.cos * p.tx - r.sin * p.ty) + m.oa;
  m.c1 = (r.sin * p.tx + r.cos * p.ty) + m.ob;
  return m;
}

// x mod m in [0, m), from m's host-computed reciprocal; the fix-ups absorb
// the reciprocal's rounding.
inline float modulo(float x, float m, float inverse_m) {
  float r = x - std::floor(x * inverse_m) * m;
  if (r < 0.0f) r += m;
  if (r >= m) r -= m;
  return r;
}

// One axis of the bilinear sample: the two taps and the second's weight t
// (the first's is 1 - t), or inside = false where constant mode fills.
struct Taps {
  std::int32_t i0, i1;
  float t;
  bool inside;
};

// scipy's map_coordinate for `mode` (ni_interpolation.c) and its taps'
// border mapping, which uses the spline mode: reflect for reflect, nearest
// for nearest, mirror for wrap and constant. `inverse` is 1 / (2 len) for
// reflect, 1 / (len - 1) for wrap (inverse_period).
inline Taps axis_taps(float cc, std::int32_t len, FillMode mode, float inverse) {
  const float last = float(len - 1);
  if (mode == FillMode::constant) {
    if (!(cc >= 0.0f && cc <= last)) return {0, 0, 0.0f, false};
  } else if (mode == FillMode::nearest) {
    // scipy does not map the coordinate; beyond one pixel out both taps
    // clamp to the edge, so clamping here changes no tap.
    cc = std::clamp(cc, -1.0f, float(len));
  } else if (cc < 0.0f || cc > last) {
    if (len == 1) {
      cc = 0.0f;
    } else if (mode == FillMode::reflect) {
      const float period = float(2 * len);
      cc = modulo(cc, period, inverse);
      if (cc >= float(len)) cc = (period - 1.0f) - cc;
    } else {  // wrap, period len - 1; negative coordinates land in (0, len - 1]
      cc = cc < 0.0f ? last - modulo(-cc, last, inverse) : modulo(cc, last, inverse);
    }
  }
  const float start = std::floor(cc);
  const float t = cc - start;
  const std::int32_t s = std::int32_t(start);
  std::int32_t i[2] = {s, s + 1};
  for (std::int32_t& k : i) {
    if (k >= 0 && k < len) continue;
    if (len == 1) {
      k = 0;
    } else if (mode == FillMode::nearest) {
      k = k < 0 ? 0 : len - 1;
    } else if (mode == FillMode::reflect) {
      // Taps are at most one past an edge here: -1 -> 0, len -> len - 1.
      k = k < 0 ? -k - 1 : 2 * len - 1 - k;
    } else {  // mirror: -1 -> 1, len -> len - 2
      k = k < 0 ? -k : 2 * len - 2 - k;
    }
  }
  return {i[0], i[1], t, true};
}

// Where output pixel (row, col) samples its input, for Affine m and the
// drawn flips; the weights and taps of both axes.
struct PixelTaps {
  Taps row, col;
  bool inside() const { return row.inside && col.inside; }
};

inline PixelTaps pixel_taps(const Affine& m, const AugmentationParameters& p, std::int32_t row,
                            std::int32_t col, std::int32_t height, std::int32_t width,
                            FillMode mode, float inverse_rows, float inverse_cols) {
  // The flips come after the affine transform: the flipped output pixel
  // takes the transformed picture's mirrored pixel.
  const std::int32_t r = p.flip_vertical ? height - 1 - row : row;
  const std::int32_t c = p.flip_horizontal ? width - 1 - col : col;
  const float u = float(c) - m.oa;
  const float v = float(r) - m.ob;
  const float col_in = (m.a00 * u + m.a01 * v) + m.c0;
  const float row_in = (m.a10 * u + m.a11 * v) + m.c1;
  return {axis_taps(row_in, height, mode, inverse_rows), axis_taps(col_in, width, mode, inverse_cols)};
}

// The bilinear value from the four taps' values (row-major: p00 = (i0 row,
// i0 col), p01 = (i0 row, i1 col), ...).
inline float bilinear(const PixelTaps& k, float p00, float p01, float p10, float p11) {
  const float top = (1.0f - k.col.t) * p00 + k.col.t * p01;
  const float bottom = (1.0f - k.col.t) * p10 + k.col.t * p11;
  return (1.0f - k.row.t) * top + k.row.t * bottom;
}

// The reciprocal axis_taps wants for an axis of `len` under `mode`.
inline float axis_inverse(FillMode mode, std::int64_t len) {
  if (len <= 1) return 0.0f;
  if (mode == FillMode::reflect) return inverse_period(2 * len);
  if (mode == FillMode::wrap) return inverse_period(len - 1);
  return 0.0f;
}

}  // namespace vknn::augmentation_math
