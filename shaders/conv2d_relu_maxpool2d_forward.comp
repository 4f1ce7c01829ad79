#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// conv2d (one input channel) + bias + relu + maxpool2d, one pass:
//   y[n,oy,ox,c] = max over the pool window (oy, ox) of
//                  relu(bias[c] + sum_{ky,kx} x[n,iy,ix] * kernel[ky,kx,0,c])
// with the conv's taps at iy = my*CONV_STRIDE_H + ky - pad_top (zero outside
// the input) for the window's map rows my = oy*POOL_H .. +POOL_H-1, likewise
// for columns. The winner is the first maximum in row-major window order
// (Pool2DGeometry's tie rule). The conv map is never stored: that is the
// point. In the course model it is 26x26x64 floats per image, 5.5 MB at
// batch 32, which the unfused pair wrote and read again (20-23% of the
// training step in place, docs/performance.md).
//
// Conv outputs that lie in no pool window (floor rounding, a map of 27 ->
// 13 windows) are never computed: nothing downstream reads them (the
// backward from winners writes 0 there).
//
// Training (WRITE_WINNERS): also writes each pooled element's winning tap
// (ky * POOL_W + kx) as a byte, or 255 where the maximum is not > 0 (relu's
// output 0: no gradient), four channels per word; so the backward needs
// neither the map nor a recompute. Prediction leaves binding 4 alone.
//
// Why this shape: with one input channel every output channel reads the
// same input patch, so an invocation loads the (POOL-1)*STRIDE + KERNEL
// square patch once (16 floats for the course's 3x3 conv and 2x2 pool) and
// uses it for 4*CHANNEL_VECS channels, with their kernel taps held in
// registers across WINDOWS windows. On lavapipe every buffer load is a loop
// over the SIMD lanes, about the cost of 60-80 vec4 FMAs; the loops are
// unrolled (spec constants) so the patch and kernel stay in registers.
//
// Taps at the top (CHANNELS > 0, CPU drivers): the output channel count is
// fixed at pipeline creation and one invocation computes all of them, so
// every invocation needs every tap, at offsets known when the pipeline is
// built. lavapipe turns a load at such an offset into one scalar load for all
// SIMD lanes, but only outside all control flow (inside the grid-stride loop
// the lanes may be partly masked, and every load is a loop over them); so the
// taps are loaded once at the top of main. Measured on the course's conv1 +
// pool1 at batch 32: 3.0-3.2 ms against 6.5-7.6 ms for 16 channels per
// invocation with the taps loaded in the loop (docs/performance.md).
//
// Bindings: 0 x (NHWC, 1 channel; an input in the sense of texel_reads.glsl),
//           1 kernel (kh,kw,1,c), 2 bias (c), 3 y (pooled NHWC),
//           4 winners (uint words).
// Dispatch: grid-stride over div_up(windows, WINDOWS) * channel blocks
//           (a block is 4*CHANNEL_VECS channels, the fastest index).
#include "common.glsl"
#include "conv2d_relu_maxpool2d.glsl"
#include "texel_reads.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(constant_id = 6) const int KERNEL_H = 3;
layout(constant_id = 7) const int KERNEL_W = 3;
layout(constant_id = 8) const int CONV_STRIDE_H = 1;
layout(constant_id = 9) const int CONV_STRIDE_W = 1;
layout(constant_id = 10) const int CHANNEL_VECS = 1;  // groups of 4 channels per invocation
layout(constant_id = 11) const int WINDOWS = 1;       // pool windows per invocation
layout(constant_id = 12) const bool WRITE_WINNERS = false;
// The conv's output channels, fixed at pipeline creation (0: p.channels).
// The host sets it only with CHANNEL_VECS covering all channels.
layout(constant_id = 13) const int CHANNELS = 0;
const bool TAPS_AT_TOP = CHANNELS > 0;
// Winner words for 16 channels are stored as one uvec4 (whole groups of 4
// words per pixel).
const bool WINNERS_VEC4 = TAPS_AT_TOP && CHANNELS % 16 == 0;

const int PATCH_H = (POOL_H - 1) * CONV_STRIDE_H + KERNEL_H;
const int PATCH_W = (POOL_W - 1) * CONV_STRIDE_W + KERNEL_W;
const int TAPS = KERNEL_H * KERNEL_W;

VKNN_INPUT(0, x_in);
layout(set = 0, binding = 1) readonly buffer K { float kernel[]; };
layout(set = 0, binding = 1) readonly buffer K4 { vec4 kernel4[]; };
layout(set = 0, binding = 2) readonly buffer B { float bias[]; };
layout(set = 0, binding = 2) readonly buffer B4 { vec4 bias4[]; };
layout(set = 0, binding = 3) writeonly buffer Y { float y[]; };
layout(set = 0, binding = 3) writeonly buffer Y4 { vec4 y4[]; };
layout(set = 0, binding = 4) writeonly buffer W { uint winners[]; };
layout(set = 0, binding = 4) writeonly buffer W4 { uvec4 winners4[]; };

int out_channels() { return TAPS_AT_TOP ? CHANNELS : p.channels; }
int out_groups() { return (out_channels() + 3) / 4; }

// row[c0 .. c0+3] of a (rows, channels) array; channels past the end read a
// clamped valid element whose results are never stored.
vec4 kernel_vec(int row, int c0) {
  if (OC_VEC4) return kernel4[(row * out_channels() + c0) >> 2];
  const int last = out_channels() - 1, at = row * out_channels();
  return vec4(kernel[at + min(c0, last)], kernel[at + min(c0 + 1, last)],
              kernel[at + min(c0 + 2, last)], kernel[at + min(c0 + 3, last)]);
}
vec4 bias_vec(int c0) {
  if (OC_VEC4) return bias4[c0 >> 2];
  const int last = out_channels() - 1;
  return vec4(bias[min(c0, last)], bias[min(c0 + 1, last)], bias[min(c0 + 2, last)],
              bias[min(c0 + 3, last)]);
}

// The taps and bias of the invocation's channel block (groups past the end
// repeat the last one).
void load_taps(int block, out vec4 k[CHANNEL_VECS][TAPS], out vec4 b[CHANNEL_VECS]) {
  [[unroll]] for (int q = 0; q < CHANNEL_VECS; ++q) {
    const int c0 = 4 * min(block * CHANNEL_VECS + q, out_groups() - 1);
    b[q] = bias_vec(c0);
    [[unroll]] for (int t = 0; t < TAPS; ++t) k[q][t] = kernel_vec(t, c0);
  }
}

void main() {
  const int groups = out_groups();
  const int blocks = (groups + CHANNEL_VECS - 1) / CHANNEL_VECS;
  const int windows = p.batch * p.out_h * p.out_w;
  const uint items = uint((windows + WINDOWS - 1) / WINDOWS) * uint(blocks);
  const uint grid = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  // The taps, loaded once for all the invocation's windows: here, before
  // any control flow, when every invocation needs them all (see the top).
  vec4 k[CHANNEL_VECS][TAPS];
  vec4 b[CHANNEL_VECS];
  if (TAPS_AT_TOP) load_taps(0, k, b);
  for (uint i = gl_GlobalInvocationID.x; i < items; i += grid) {
    const int block = int(i % uint(blocks));
    const int first_window = int(i / uint(blocks)) * WINDOWS;
    if (!TAPS_AT_TOP) load_taps(block, k, b);

    [[unroll]] for (int w = 0; w < WINDOWS; ++w) {
      const int window = first_window + w;  // (n * out_h + oy) * out_w + ox
      if (window >= windows) break;
      const int ox = window % p.out_w;
      const int oy = (window / p.out_w) % p.out_h;
      const int n = window / (p.out_w * p.out_h);
      // The input patch every conv output of the window reads.
      const int iy0 = oy * POOL_H * CONV_STRIDE_H - p.pad_top;
      const int ix0 = ox * POOL_W * CONV_STRIDE_W - p.pad_left;
      float x_patch[PATCH_H][PATCH_W];
      [[unroll]] for (int r = 0; r < PATCH_H; ++r) {
        [[unroll]] for (int s = 0; s < PATCH_W; ++s) {
          const int iy = iy0 + r, ix = ix0 + s;
          const bool inside = iy >= 0 && iy < p.in_h && ix >= 0 && ix < p.in_w;
          // Outside x (padding): a read at 0, then zero; no branch.
          const float value = VKNN_LOAD1(x_in, inside ? (n * p.in_h + iy) * p.in_w + ix : 0);
          x_patch[r][s] = inside ? value : 0.0;
        }
      }
      uvec4 words = uvec4(0);  // WINNERS_VEC4: the last 4 groups' winner words
      [[unroll]] for (int q = 0; q < CHANNEL_VECS; ++q) {
        const int group = block * CHANNEL_VECS + q;
        if (group >= groups) break;
        vec4 best = vec4(0.0);
        ivec4 tap = ivec4(0);
        [[unroll]] for (int py = 0; py < POOL_H; ++py) {
          [[unroll]] for (int px = 0; px < POOL_W; ++px) {
            vec4 acc = b[q];
            [[unroll]] for (int ky = 0; ky < KERNEL_H; ++ky) {
              [[unroll]] for (int kx = 0; kx < KERNEL_W; ++kx) {
                acc = fma(vec4(x_patch[py * CONV_STRIDE_H + ky][px * CONV_STRIDE_W + kx]),
                          k[q][ky * KERNEL_W + kx], acc);
              }
            }
            // relu as the CPU reference writes it (out < 0 -> 0), so a NaN
            // passes through.
            const vec4 v = mix(acc, vec4(0.0), lessThan(acc, vec4(0.0)));
            if (py == 0 && px == 0) {
              best = v;  // the first tap always wins so far
            } else {
              // Strictly greater keeps the first maximum.
              const bvec4 take = greaterThan(v, best);
              best = mix(best, v, take);
              tap = mix(tap, ivec4(py * POOL_W + px), take);
            }
          }
        }
        const int c0 = 4 * group;
        const int pixel_out = window * out_channels() + c0;
        if (OC_VEC4) {
          y4[pixel_out >> 2] = best;
        } else {
          [[unroll]] for (int j = 0; j < 4; ++j) {
            if (c0 + j < out_channels()) y[pixel_out + j] = best[j];
          }
        }
        if (WRITE_WINNERS) {
          // 255 where relu's output is 0 (or NaN) and for channels past the end.
          const bvec4 passes = bvec4(uvec4(greaterThan(best, vec4(0.0))) &
                                     uvec4(lessThan(ivec4(c0) + ivec4(0, 1, 2, 3), ivec4(out_channels()))));
          const uvec4 code = mix(uvec4(NO_WINNER), uvec4(tap), passes);
          const uint word = code.x | (code.y << 8) | (code.z << 16) | (code.w << 24);
          if (WINNERS_VEC4) {
            words[q % 4] = word;
            if (q % 4 == 3) winners4[(window * groups + group) >> 2] = words;
          } else {
            winners[window * groups + group] = word;
          }
        }
      }
    }
  }
}
