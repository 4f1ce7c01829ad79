#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// conv2d + bias + relu + maxpool2d, one pass:
//   y[n,oy,ox,c] = max over the pool window (oy, ox) of
//                  relu(bias[c] + sum_{ky,kx,ci} x[n,iy,ix,ci] * kernel[ky,kx,ci,c])
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
// Why this shape: every output channel of a window reads the same input
// patch, (POOL-1)*STRIDE + KERNEL squared pixels of IN_C channels (16
// floats for the course's 3x3 conv on one channel and 2x2 pool, 48 for
// RGB), so an invocation loads it once (conv2d_relu_maxpool2d_patch.glsl:
// for RGB row by row as vec4s, 4 loads a row instead of 12) and uses it for
// 4*CHANNEL_VECS channels, with their kernel rows (ky, kx, ci) held in
// registers across WINDOWS windows: KERNEL_H*KERNEL_W*IN_C vec4s per 4
// channels (9 on one input channel, 144 for the course's 64 channels; 27
// for RGB, 108 for cats' 16 channels). On
// lavapipe every buffer load is a loop over the SIMD lanes (a gather from a
// texel buffer), about the cost of 60-80 vec4 FMAs; held taps that spill
// are plain stack reloads, far cheaper. The loops are unrolled (spec
// constants) so the patch and kernel stay in registers. The sums run tap by
// tap over all pool positions of a window (POOL_H*POOL_W accumulators), so
// a held tap is fetched once per window and 4 FMAs, not once per FMA.
//
// Measured on cats-vs-dogs' conv1 + pool1 (150x150x3 -> 16, batch 32,
// process CPU ms): patch rows as vec4s 42 ms, as single floats 85; no x
// loads at all (constants) 38; no stores 39; tap by tap over the positions
// 39 against 42 position by position; 1, 2, 4 or 8 windows per invocation
// all 38-42. What remains is the arithmetic: about 15 GFLOP/s per CPU
// second, some 40% of fma_peak's rate per core (76 GFLOP/s on 2 quiet
// cores). A GPU would want the patch of a row of
// windows in shared memory and fewer held taps per invocation (its
// registers are per lane: CHANNEL_VECS shrinks with IN_C, host side).
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
// Bindings: 0 x (NHWC, IN_C channels; an input in the sense of
//           texel_reads.glsl), 1 kernel (kh,kw,IN_C,c), 2 bias (c), 3 y (pooled NHWC),
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

// The conv's input channels (x's C).
layout(constant_id = 14) const int IN_C = 1;

const int PATCH_H = (POOL_H - 1) * CONV_STRIDE_H + KERNEL_H;
const int PATCH_W = (POOL_W - 1) * CONV_STRIDE_W + KERNEL_W;
const int TAPS = KERNEL_H * KERNEL_W * IN_C;  // kernel rows (ky, kx, ci)

VKNN_INPUT(0, x_in);
#include "conv2d_relu_maxpool2d_patch.glsl"
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
      float x_patch[PATCH_H][PATCH_ROW];
      load_patch(n, iy0, ix0, x_patch);
      uvec4 words = uvec4(0);  // WINNERS_VEC4: the last 4 groups' winner words
      [[unroll]] for (int q = 0; q < CHANNEL_VECS; ++q) {
        const int group = block * CHANNEL_VECS + q;
        if (group >= groups) break;
        vec4 best = vec4(0.0);
        ivec4 tap = ivec4(0);
        // Tap by tap, every pool position's sum: each tap (held in
        // registers, or spilled) is fetched once for the window's
        // POOL_H*POOL_W independent sums, not once per sum. Each sum still
        // adds bias, then the taps in (ky, kx, ci) order, as before.
        vec4 acc[POOL_H * POOL_W];
        [[unroll]] for (int pos = 0; pos < POOL_H * POOL_W; ++pos) acc[pos] = b[q];
        [[unroll]] for (int ky = 0; ky < KERNEL_H; ++ky) {
          [[unroll]] for (int kx = 0; kx < KERNEL_W; ++kx) {
            [[unroll]] for (int ci = 0; ci < IN_C; ++ci) {
              const vec4 tap_k = k[q][(ky * KERNEL_W + kx) * IN_C + ci];
              [[unroll]] for (int py = 0; py < POOL_H; ++py) {
                [[unroll]] for (int px = 0; px < POOL_W; ++px) {
                  acc[py * POOL_W + px] = fma(
                      vec4(x_patch[py * CONV_STRIDE_H + ky][(px * CONV_STRIDE_W + kx) * IN_C + ci]),
                      tap_k, acc[py * POOL_W + px]);
                }
              }
            }
          }
        }
        [[unroll]] for (int py = 0; py < POOL_H; ++py) {
          [[unroll]] for (int px = 0; px < POOL_W; ++px) {
            // relu as the CPU reference writes it (out < 0 -> 0), so a NaN
            // passes through.
            const vec4 v = mix(acc[py * POOL_W + px], vec4(0.0), lessThan(acc[py * POOL_W + px], vec4(0.0)));
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
