// The input patch one pool window's conv outputs read, as the fused
// conv2d + relu + maxpool2d forward and its parameter gradients load it
// (conv2d_relu_maxpool2d_forward.comp, conv2d_relu_maxpool2d_backward_params.comp):
//   x_patch[r][s * IN_C + ci] = x[n, iy0 + r, ix0 + s, ci]   (0 outside x)
// for r < PATCH_H, s < PATCH_W. A patch row is IN_C * PATCH_W consecutive
// floats of x (NHWC), so it is loaded as a row, not as pixels.
//
// The including shader declares VKNN_INPUT(0, x_in), the push block p
// (conv2d_relu_maxpool2d.glsl) and the constants IN_C, PATCH_H, PATCH_W.
//
// How a row is loaded (each load on lavapipe is a gather from a texel
// buffer, or a loop over the SIMD lanes from a storage buffer; both cost
// far more than the arithmetic around them):
// - IN_C == 1: float by float (the course's conv1: 16 floats a window;
//   this is the code the 1-channel op was measured with, unchanged).
// - IN_C % 4 == 0: the row is whole vec4s, IN_C / 4 of them per pixel.
// - otherwise (RGB): the row's vec4s, at most ROW_TEXELS of them, and the
//   floats picked out by the row's offset modulo 4 (a per-lane value: 3
//   selects a float, no dynamic indexing). An RGB row of 4 pixels is 12
//   floats: 4 vec4 loads instead of 12 float loads. A vec4 index is clamped
//   into x on its own; a float inside x never needs a clamped vec4 (its
//   vec4 lies inside x), so clamping changes only floats that are masked.
#ifndef VKNN_CONV2D_RELU_MAXPOOL2D_PATCH_GLSL
#define VKNN_CONV2D_RELU_MAXPOOL2D_PATCH_GLSL

const int PATCH_ROW = PATCH_W * IN_C;
// vec4s a run of PATCH_ROW floats can touch, whatever its offset.
const int ROW_TEXELS = (PATCH_ROW + 2) / 4 + 1;

void load_patch(int n, int iy0, int ix0, out float x_patch[PATCH_H][PATCH_ROW]) {
  if (IN_C == 1) {
    [[unroll]] for (int r = 0; r < PATCH_H; ++r) {
      [[unroll]] for (int s = 0; s < PATCH_W; ++s) {
        const int iy = iy0 + r, ix = ix0 + s;
        const bool inside = iy >= 0 && iy < p.in_h && ix >= 0 && ix < p.in_w;
        // Outside x (padding): a read at 0, then zero; no branch.
        const float value = VKNN_LOAD1(x_in, inside ? (n * p.in_h + iy) * p.in_w + ix : 0);
        x_patch[r][s] = inside ? value : 0.0;
      }
    }
  } else if (IN_C % 4 == 0) {
    [[unroll]] for (int r = 0; r < PATCH_H; ++r) {
      [[unroll]] for (int s = 0; s < PATCH_W; ++s) {
        const int iy = iy0 + r, ix = ix0 + s;
        const bool inside = iy >= 0 && iy < p.in_h && ix >= 0 && ix < p.in_w;
        const int pixel = inside ? (n * p.in_h + iy) * p.in_w + ix : 0;
        [[unroll]] for (int v = 0; v < IN_C / 4; ++v) {
          const vec4 value = VKNN_LOAD4(x_in, pixel * (IN_C / 4) + v);
          [[unroll]] for (int j = 0; j < 4; ++j) {
            x_patch[r][s * IN_C + 4 * v + j] = inside ? value[j] : 0.0;
          }
        }
      }
    }
  } else {
    const int last_texel = (p.batch * p.in_h * p.in_w * IN_C + 3) / 4 - 1;
    [[unroll]] for (int r = 0; r < PATCH_H; ++r) {
      const int iy = iy0 + r;
      const bool row_inside = iy >= 0 && iy < p.in_h;
      // Where the row's first float would be (negative or past x where
      // the patch hangs over x's edge: those floats are masked below).
      const int first = ((n * p.in_h + iy) * p.in_w + ix0) * IN_C;
      const int texel0 = first >> 2;  // floor, also below 0
      const int shift = first & 3;
      float run[ROW_TEXELS * 4];
      [[unroll]] for (int t = 0; t < ROW_TEXELS; ++t) {
        const vec4 value = VKNN_LOAD4(x_in, clamp(texel0 + t, 0, last_texel));
        [[unroll]] for (int j = 0; j < 4; ++j) run[4 * t + j] = value[j];
      }
      [[unroll]] for (int s = 0; s < PATCH_W; ++s) {
        const int ix = ix0 + s;
        const bool inside = row_inside && ix >= 0 && ix < p.in_w;
        [[unroll]] for (int ci = 0; ci < IN_C; ++ci) {
          const int j = s * IN_C + ci;
          const float value = shift == 0   ? run[j]
                              : shift == 1 ? run[j + 1]
                              : shift == 2 ? run[j + 2]
                                           : run[j + 3];
          x_patch[r][j] = inside ? value : 0.0;
        }
      }
    }
  }
}

#endif
