// The augmented gather's arithmetic, line for line src/ops/augmentation_math
// .hpp (which carries the conventions, quoted from Keras, and the reasons):
// the same float32 operations in the same order, every one `precise` (no
// fused multiply-add), no driver sin/cos and no division, so the device
// computes the CPU reference's bits.
#ifndef VKNN_AUGMENTATION_GLSL
#define VKNN_AUGMENTATION_GLSL

#include "philox.glsl"

const uint kAugmentStream = 0x41554731u;  // augmentation_math::kStream
const uint kFillNearest = 0u;             // vknn::FillMode
const uint kFillReflect = 1u;
const uint kFillWrap = 2u;
const uint kFillConstant = 3u;

// Settings of the draw (the push block's fields, gathered).
struct AugmentDraw {
  float rotation_range, width_shift, height_shift, shear_range, zoom_lo, zoom_hi;
  bool width_whole_pixels, height_whole_pixels, horizontal_flip, vertical_flip;
  bool same_zoom_both_axes, layers_geometry;  // AugmentationGeometry::preprocessing_layers
};

struct AugmentParameters {
  float theta, tx, ty, shear, zx, zy;
  bool flip_horizontal, flip_vertical;
};

precise float aug_unit(uint b) { return float(b >> 8) * uintBitsToFloat(0x33800000u); }  // 2^-24

precise float aug_symmetric(float range, uint b) {
  precise float value = range * (2.0 * aug_unit(b) - 1.0);
  return range > 0.0 ? value : 0.0;
}

precise float aug_shift(float range, bool whole_pixels, uint b, bool negative, uint side) {
  if (!(range > 0.0)) return 0.0;
  if (whole_pixels) {
    uint hi, lo;
    umulExtended(b, uint(range), hi, lo);
    const float k = float(hi);
    return negative ? -k : k;
  }
  precise float value = aug_symmetric(range, b);
  precise float scaled = value * float(side);
  return range < 1.0 ? scaled : value;
}

vec2 aug_sin_cos_degrees(float degrees) {
  precise float quarter = floor(degrees * uintBitsToFloat(0x3c360b61u) + 0.5);
  precise float reduced = degrees - quarter * 90.0;
  precise float x = reduced * uintBitsToFloat(0x3c8efa35u);
  precise float x2 = x * x;
  precise float s =
      x + x * x2 * (uintBitsToFloat(0xbe2aaaabu) +
                    x2 * (uintBitsToFloat(0x3c088889u) +
                          x2 * (uintBitsToFloat(0xb9500d01u) + x2 * uintBitsToFloat(0x3638ef1du))));
  precise float c =
      1.0 + x2 * (-0.5 + x2 * (uintBitsToFloat(0x3d2aaaabu) +
                               x2 * (uintBitsToFloat(0xbab60b61u) +
                                     x2 * (uintBitsToFloat(0x37d00d01u) +
                                           x2 * uintBitsToFloat(0xb493f27eu)))));
  switch (int(quarter) & 3) {
    case 0: return vec2(s, c);
    case 1: return vec2(c, -s);
    case 2: return vec2(-s, -c);
    default: return vec2(-c, s);
  }
}

AugmentParameters aug_draw(AugmentDraw a, uint height, uint width, uint sample_index, uint step,
                           uvec2 key) {
  const uvec4 w0 = vknn_philox4x32_10(uvec4(sample_index, step, kAugmentStream, 0u), key);
  const uvec4 w1 = vknn_philox4x32_10(uvec4(sample_index, step, kAugmentStream, 1u), key);
  AugmentParameters p;
  p.theta = aug_symmetric(a.rotation_range, w0.x);
  if (a.layers_geometry) {
    p.tx = aug_shift(a.width_shift, a.width_whole_pixels, w0.y, (w1.w & 4u) != 0u, width);
    p.ty = aug_shift(a.height_shift, a.height_whole_pixels, w0.z, (w1.w & 8u) != 0u, height);
  } else {
    p.tx = aug_shift(a.height_shift, a.height_whole_pixels, w0.y, (w1.w & 4u) != 0u, height);
    p.ty = aug_shift(a.width_shift, a.width_whole_pixels, w0.z, (w1.w & 8u) != 0u, width);
  }
  p.shear = aug_symmetric(a.shear_range, w0.w);
  p.zx = 1.0;
  p.zy = 1.0;
  if (a.zoom_lo != 1.0 || a.zoom_hi != 1.0) {
    precise float span = a.zoom_hi - a.zoom_lo;
    precise float zx = a.zoom_lo + span * aug_unit(w1.x);
    precise float zy = a.zoom_lo + span * aug_unit(w1.y);
    p.zx = zx;
    p.zy = a.same_zoom_both_axes ? zx : zy;
  }
  p.flip_horizontal = a.horizontal_flip && (w1.w & 1u) != 0u;
  p.flip_vertical = a.vertical_flip && (w1.w & 2u) != 0u;
  return p;
}

struct AugmentAffine {
  float a00, a01, a10, a11, c0, c1, oa, ob;
};

AugmentAffine aug_affine(AugmentParameters p, uint height, uint width, bool layers_geometry) {
  const vec2 r = aug_sin_cos_degrees(p.theta);  // (sin, cos)
  const vec2 sh = aug_sin_cos_degrees(p.shear);
  precise float a00 = r.y * p.zx;
  precise float a01 = -(r.y * sh.x + r.x * sh.y) * p.zy;
  precise float a10 = r.x * p.zx;
  precise float a11 = (r.y * sh.y - r.x * sh.x) * p.zy;
  precise float oa = float(layers_geometry ? width : height) * 0.5 - 0.5;
  precise float ob = float(layers_geometry ? height : width) * 0.5 - 0.5;
  precise float c0 = (r.y * p.tx - r.x * p.ty) + oa;
  precise float c1 = (r.x * p.tx + r.y * p.ty) + ob;
  AugmentAffine m;
  m.a00 = a00;
  m.a01 = a01;
  m.a10 = a10;
  m.a11 = a11;
  m.c0 = c0;
  m.c1 = c1;
  m.oa = oa;
  m.ob = ob;
  return m;
}

precise float aug_modulo(float x, float m, float inverse_m) {
  precise float r = x - floor(x * inverse_m) * m;
  if (r < 0.0) r += m;
  if (r >= m) r -= m;
  return r;
}

struct AugmentTaps {
  int i0, i1;
  float t;
  bool inside;
};

AugmentTaps aug_axis_taps(float coordinate, int len, uint mode, float inverse) {
  precise float cc = coordinate;
  const float last = float(len - 1);
  AugmentTaps taps;
  taps.i0 = 0;
  taps.i1 = 0;
  taps.t = 0.0;
  taps.inside = true;
  if (mode == kFillConstant) {
    if (!(cc >= 0.0 && cc <= last)) {
      taps.inside = false;
      return taps;
    }
  } else if (mode == kFillNearest) {
    cc = clamp(cc, -1.0, float(len));
  } else if (cc < 0.0 || cc > last) {
    if (len == 1) {
      cc = 0.0;
    } else if (mode == kFillReflect) {
      const float period = float(2 * len);
      cc = aug_modulo(cc, period, inverse);
      if (cc >= float(len)) cc = (period - 1.0) - cc;
    } else {
      cc = cc < 0.0 ? last - aug_modulo(-cc, last, inverse) : aug_modulo(cc, last, inverse);
    }
  }
  precise float start = floor(cc);
  precise float t = cc - start;
  const int s = int(start);
  int i[2] = int[2](s, s + 1);
  for (int n = 0; n < 2; ++n) {
    int k = i[n];
    if (k >= 0 && k < len) continue;
    if (len == 1) {
      k = 0;
    } else if (mode == kFillNearest) {
      k = k < 0 ? 0 : len - 1;
    } else if (mode == kFillReflect) {
      k = k < 0 ? -k - 1 : 2 * len - 1 - k;
    } else {
      k = k < 0 ? -k : 2 * len - 2 - k;
    }
    i[n] = k;
  }
  taps.i0 = i[0];
  taps.i1 = i[1];
  taps.t = t;
  return taps;
}

// Taps of output pixel (row, col): rows in .x of the pair, columns in .y.
void aug_pixel_taps(AugmentAffine m, AugmentParameters p, int row, int col, int height, int width,
                    uint mode, float inverse_rows, float inverse_cols, out AugmentTaps row_taps,
                    out AugmentTaps col_taps) {
  const int r = p.flip_vertical ? height - 1 - row : row;
  const int c = p.flip_horizontal ? width - 1 - col : col;
  precise float u = float(c) - m.oa;
  precise float v = float(r) - m.ob;
  precise float col_in = (m.a00 * u + m.a01 * v) + m.c0;
  precise float row_in = (m.a10 * u + m.a11 * v) + m.c1;
  row_taps = aug_axis_taps(row_in, height, mode, inverse_rows);
  col_taps = aug_axis_taps(col_in, width, mode, inverse_cols);
}

precise float aug_bilinear(AugmentTaps rows, AugmentTaps cols, float p00, float p01, float p10,
                           float p11) {
  precise float top = (1.0 - cols.t) * p00 + cols.t * p01;
  precise float bottom = (1.0 - cols.t) * p10 + cols.t * p11;
  precise float value = (1.0 - rows.t) * top + rows.t * bottom;
  return value;
}

#endif
