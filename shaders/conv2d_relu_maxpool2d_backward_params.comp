#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// The fused conv2d + relu + maxpool2d's parameter gradients straight from
// the pooled gradient and the winner bytes the training forward stored
// (conv2d_relu_maxpool2d_forward.comp):
//
//   dkernel[ky,kx,ci,c] = sum over (n,oy,ox) of dy[n,oy,ox,c] * x[n,iy,ix,ci]
//   dbias[c]           = sum over (n,oy,ox) of dy[n,oy,ox,c]
//   over the windows whose winner byte for c is a tap t (not 255: relu's
//   output was 0 there), with iy = (oy*POOL_H + t / POOL_W)*CONV_STRIDE_H
//   + ky - pad_top, ix likewise (zero outside x).
//
// That is conv2d_backward_kernel and conv2d_backward_bias of the gradient
// at the conv's linear output, which is dy at each window's winner and 0
// elsewhere (maxpool2d_backward_from_winners): so that gradient, a map as
// large as the conv's output (5.5 MB for the course's conv1 at batch 32),
// is neither written nor read twice.
//
// A reduction over every window, in two dispatches and deterministic (no
// atomics): this shader sums a slice of consecutive windows per invocation
// into partial sums, partials[slice][t][c] (t = TAPS holds the bias), and
// sum_slices.comp adds the slices in order. An invocation owns one slice
// and 4*CHANNEL_VECS channels; with CHANNELS (CPU drivers, as in the
// forward) all of them, so the input patch of a window (16 floats for one
// channel, 48 for RGB; conv2d_relu_maxpool2d_patch.glsl) is loaded once for
// every channel. With IN_C input channels an invocation holds
// TAPS = KERNEL_H*KERNEL_W*IN_C sums per 4 channels (RGB 3x3: 27 vec4s, 112
// with the bias for 16 channels); each multiply-add of a window is done for
// every pool position with dy masked to the winner's (so 4x the FMAs a
// gather of the winner's inputs would do: on lavapipe a select costs what
// an FMA does, and the masked form needs no per-channel patch select).
// Cats-vs-dogs' conv1 (150x150x3 -> 16) at batch 32: 18-20 ms, about what
// conv2d_backward_kernel takes on the gradient map the fusion no longer
// writes (docs/performance.md section 14).
//
// Bindings: 0 x (NHWC, IN_C channels), 1 dy (pooled NHWC), 2 winners (uint
//           words), 3 partials (floats, SLICES * (TAPS + 1) * channels,
//           written). x and dy are inputs in the sense of texel_reads.glsl.
// Dispatch: grid-stride over SLICES * channel blocks (the block fastest).
#include "common.glsl"
#include "conv2d_relu_maxpool2d.glsl"
#include "texel_reads.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(constant_id = 6) const int KERNEL_H = 3;
layout(constant_id = 7) const int KERNEL_W = 3;
layout(constant_id = 8) const int CONV_STRIDE_H = 1;
layout(constant_id = 9) const int CONV_STRIDE_W = 1;
layout(constant_id = 10) const int CHANNEL_VECS = 1;  // groups of 4 channels per invocation
layout(constant_id = 11) const int SLICES = 1;        // runs of consecutive windows
// The conv's output channels, fixed at pipeline creation (0: p.channels);
// the host sets it only with CHANNEL_VECS covering all channels.
layout(constant_id = 12) const int CHANNELS = 0;

// The conv's input channels (x's C; the forward's constant 14 too).
layout(constant_id = 14) const int IN_C = 1;

const int PATCH_H = (POOL_H - 1) * CONV_STRIDE_H + KERNEL_H;
const int PATCH_W = (POOL_W - 1) * CONV_STRIDE_W + KERNEL_W;
const int TAPS = KERNEL_H * KERNEL_W * IN_C;  // kernel rows (ky, kx, ci)

VKNN_INPUT(0, x_in);
#include "conv2d_relu_maxpool2d_patch.glsl"
VKNN_INPUT(1, dy_in);
layout(set = 0, binding = 2) readonly buffer W { uint winners[]; };
layout(set = 0, binding = 3) writeonly buffer P { float partials[]; };
layout(set = 0, binding = 3) writeonly buffer P4 { vec4 partials4[]; };

int out_channels() { return CHANNELS > 0 ? CHANNELS : p.channels; }

void main() {
  const int channels = out_channels();
  const int groups = (channels + 3) / 4;
  const int blocks = (groups + CHANNEL_VECS - 1) / CHANNEL_VECS;
  const int windows = p.batch * p.out_h * p.out_w;
  const int per_slice = (windows + SLICES - 1) / SLICES;
  const uint items = uint(SLICES * blocks);
  const uint grid = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < items; i += grid) {
    const int block = int(i % uint(blocks));
    const int slice = int(i / uint(blocks));
    vec4 acc[CHANNEL_VECS][TAPS + 1];  // [.][TAPS]: the bias
    [[unroll]] for (int q = 0; q < CHANNEL_VECS; ++q)
      [[unroll]] for (int t = 0; t <= TAPS; ++t) acc[q][t] = vec4(0.0);

    const int last_window = min(windows, (slice + 1) * per_slice);
    for (int window = slice * per_slice; window < last_window; ++window) {
      const int ox = window % p.out_w;
      const int oy = (window / p.out_w) % p.out_h;
      const int n = window / (p.out_w * p.out_h);
      const int iy0 = oy * POOL_H * CONV_STRIDE_H - p.pad_top;
      const int ix0 = ox * POOL_W * CONV_STRIDE_W - p.pad_left;
      float x_patch[PATCH_H][PATCH_ROW];
      load_patch(n, iy0, ix0, x_patch);
      [[unroll]] for (int q = 0; q < CHANNEL_VECS; ++q) {
        // Groups past the end read the last one; their sums are not stored.
        const int group = min(block * CHANNEL_VECS + q, groups - 1);
        const int c0 = 4 * group;
        vec4 g;
        if (OC_VEC4) {
          g = VKNN_LOAD4(dy_in, (window * channels + c0) >> 2);
        } else {
          const int at = window * channels, last = channels - 1;
          g = vec4(VKNN_LOAD1(dy_in, at + min(c0, last)), VKNN_LOAD1(dy_in, at + min(c0 + 1, last)),
                   VKNN_LOAD1(dy_in, at + min(c0 + 2, last)), VKNN_LOAD1(dy_in, at + min(c0 + 3, last)));
        }
        const uint word = winners[window * groups + group];
        const ivec4 tap = ivec4(uvec4(word, word >> 8, word >> 16, word >> 24) & uvec4(0xffu));
        // dy to each pool position where it won (NO_WINNER matches none).
        [[unroll]] for (int py = 0; py < POOL_H; ++py) {
          [[unroll]] for (int px = 0; px < POOL_W; ++px) {
            const vec4 d = mix(vec4(0.0), g, equal(tap, ivec4(py * POOL_W + px)));
            acc[q][TAPS] += d;
            [[unroll]] for (int ky = 0; ky < KERNEL_H; ++ky) {
              [[unroll]] for (int kx = 0; kx < KERNEL_W; ++kx) {
                [[unroll]] for (int ci = 0; ci < IN_C; ++ci) {
                  const int t = (ky * KERNEL_W + kx) * IN_C + ci;
                  acc[q][t] = fma(
                      vec4(x_patch[py * CONV_STRIDE_H + ky][(px * CONV_STRIDE_W + kx) * IN_C + ci]),
                      d, acc[q][t]);
                }
              }
            }
          }
        }
      }
    }

    [[unroll]] for (int q = 0; q < CHANNEL_VECS; ++q) {
      const int group = block * CHANNEL_VECS + q;
      if (group >= groups) break;
      const int c0 = 4 * group;
      [[unroll]] for (int t = 0; t <= TAPS; ++t) {
        const int at = (slice * (TAPS + 1) + t) * channels + c0;
        if (OC_VEC4) {
          partials4[at >> 2] = acc[q][t];
        } else {
          [[unroll]] for (int j = 0; j < 4; ++j) {
            if (c0 + j < channels) partials[at + j] = acc[q][t][j];
          }
        }
      }
    }
  }
}
