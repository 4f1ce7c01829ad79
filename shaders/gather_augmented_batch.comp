#version 450
#extension GL_GOOGLE_include_directive : require
// gather_augmented_batch: gather_batch / gather_float_batch with Keras's
// ImageDataGenerator augmentation fused in (vknn::cpu::gather_augmented_batch,
// whose arithmetic augmentation.glsl repeats bit for bit):
//   base = step.batch_index * batch_size + first      (step_state.glsl)
//   for i < count: s = order[base + i], its transform drawn by Philox from
//     (s, step.iterations) under the seed, and for each output pixel
//     (row, col) of the height x width x channels picture:
//     x[i, row, col, :] = bilinear(picture s at the transformed point) / 255
//                         (uint8; float values are not divided)
//                       = cval where fill_mode 'constant' fills (as it is)
//     labels_out[i] = labels[s]
// The draw is keyed by the sample, not its position in the batch, so a
// batch split into micro-batches (first > 0) or over ranks draws the same.
//
// The dataset: uint8 pixels packed four to a word in chunk 0 (FLOAT_VALUES
// false), or float values in up to 8 chunks of samples_per_chunk samples
// (FLOAT_VALUES true; gather_float_batch.comp says why chunks); both read as
// uint words. Unused chunk bindings repeat chunk 0.
//
// Out-of-range guard as in gather_batch.comp: a position past the end of
// `order` or a sample at or beyond sample_capacity gives x[i, :] = 0 and
// labels_out[i] = 0xffffffff.
//
// Bindings: 0 labels (uint words of packed bytes), 1 order (uint), 2 step
// state, 3 x (float, write), 4 labels_out (uint, write), 5..12 the dataset's
// chunks (uint words), 13 keys (uint).
// Dispatch: one invocation per output pixel (count * height * width),
// grid-stride; each writes the pixel's channels.
#include "common.glsl"
#include "step_state.glsl"
#include "augmentation.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(constant_id = 3) const bool FLOAT_VALUES = false;

layout(set = 0, binding = 0) readonly buffer Labels { uint label_words[]; };
layout(set = 0, binding = 1) readonly buffer Order { uint order[]; };
VKNN_STEP_STATE_BUFFER(2, readonly);
layout(set = 0, binding = 3) writeonly buffer X { float x[]; };
layout(set = 0, binding = 4) writeonly buffer LabelsOut { uint labels_out[]; };

#define VKNN_CHUNK(n) \
  layout(set = 0, binding = 5 + n) readonly buffer Chunk##n { uint words##n[]; };
VKNN_CHUNK(0)
VKNN_CHUNK(1)
VKNN_CHUNK(2)
VKNN_CHUNK(3)
VKNN_CHUNK(4)
VKNN_CHUNK(5)
VKNN_CHUNK(6)
VKNN_CHUNK(7)
// keys[s]: the sample slot s's draw is keyed by, when flags bit 6 is set
// (a streamed window); otherwise this binding repeats `order`, unread.
layout(set = 0, binding = 13) readonly buffer Keys { uint keys[]; };

layout(push_constant) uniform Push {
  uint height;
  uint width;
  uint channels;
  uint batch_size;         // the stride of batch_index
  uint first;              // this recording's first sample within the step's batch
  uint count;              // samples this recording gathers
  uint sample_capacity;    // samples the dataset and the labels hold
  uint order_length;       // entries in order
  uint samples_per_chunk;  // whole samples per chunk buffer (float values)
  uint seed_lo;
  uint seed_hi;
  uint flags;              // bit 0 horizontal_flip, 1 vertical_flip, 2/3 width/height whole
                           // pixels, 4 same_zoom_both_axes, 5 the Random* layers' geometry,
                           // 6 keyed (binding 13)
  uint fill_mode;          // vknn::FillMode
  float rotation_range;
  float width_shift;
  float height_shift;
  float shear_range;
  float zoom_lo;
  float zoom_hi;
  float cval;
  float inverse_rows;      // augmentation_math::axis_inverse of each axis
  float inverse_cols;
} p;

const uint kInvalidLabel = 0xffffffffu;

uint byte_at(uint word, uint b) { return (word >> (8u * (b & 3u))) & 0xffu; }

uint word_at(uint chunk, uint i) {
  switch (chunk) {
    case 0u: return words0[i];
    case 1u: return words1[i];
    case 2u: return words2[i];
    case 3u: return words3[i];
    case 4u: return words4[i];
    case 5u: return words5[i];
    case 6u: return words6[i];
    default: return words7[i];
  }
}

// Value k (an index into the sample's own values) of sample s.
float value_at(uint s, uint k) {
  if (FLOAT_VALUES) {
    const uint chunk = s / p.samples_per_chunk;
    const uint in_chunk = (s - chunk * p.samples_per_chunk) * (p.height * p.width * p.channels) + k;
    return uintBitsToFloat(word_at(chunk, in_chunk));
  }
  const uint b = s * (p.height * p.width * p.channels) + k;
  return float(byte_at(words0[b >> 2u], b));
}

void main() {
  const uint pixels = p.height * p.width;
  const uint total = p.count * pixels;
  const uint batch = step.batch_index;
  // A runaway batch_index is refused before batch_index * batch_size can
  // overflow and wrap around into a valid position.
  const bool batch_ok = batch <= p.order_length / p.batch_size;
  const uint base = batch_ok ? batch * p.batch_size + p.first : 0u;

  AugmentDraw draw;
  draw.rotation_range = p.rotation_range;
  draw.width_shift = p.width_shift;
  draw.height_shift = p.height_shift;
  draw.shear_range = p.shear_range;
  draw.zoom_lo = p.zoom_lo;
  draw.zoom_hi = p.zoom_hi;
  draw.horizontal_flip = (p.flags & 1u) != 0u;
  draw.vertical_flip = (p.flags & 2u) != 0u;
  draw.width_whole_pixels = (p.flags & 4u) != 0u;
  draw.height_whole_pixels = (p.flags & 8u) != 0u;
  draw.same_zoom_both_axes = (p.flags & 16u) != 0u;
  draw.layers_geometry = (p.flags & 32u) != 0u;
  const int h = int(p.height);
  const int w = int(p.width);

  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint item = gl_GlobalInvocationID.x; item < total; item += stride) {
    const uint i = item / pixels;
    const uint pixel = item - i * pixels;
    const int row = int(pixel / p.width);
    const int col = int(pixel - uint(row) * p.width);
    const uint out_base = item * p.channels;

    bool valid = batch_ok && base + i < p.order_length;
    const uint s = valid ? order[base + i] : 0u;
    valid = valid && s < p.sample_capacity;
    if (!valid) {
      for (uint c = 0u; c < p.channels; ++c) x[out_base + c] = 0.0;
      if (pixel == 0u) labels_out[i] = kInvalidLabel;
      continue;
    }

    // Every pixel of a sample draws the same transform (a pure function of
    // the sample and the step): recomputing it costs two Philox blocks and
    // a few dozen flops, less than a second pass and a barrier.
    const AugmentParameters params =
        aug_draw(draw, p.height, p.width, (p.flags & 64u) != 0u ? keys[s] : s, step.iterations,
                 uvec2(p.seed_lo, p.seed_hi));
    const AugmentAffine m = aug_affine(params, p.height, p.width, draw.layers_geometry);
    AugmentTaps rows, cols;
    aug_pixel_taps(m, params, row, col, h, w, p.fill_mode, p.inverse_rows, p.inverse_cols, rows,
                   cols);
    if (!(rows.inside && cols.inside)) {
      for (uint c = 0u; c < p.channels; ++c) x[out_base + c] = p.cval;
    } else {
      const uint k00 = (uint(rows.i0) * p.width + uint(cols.i0)) * p.channels;
      const uint k01 = (uint(rows.i0) * p.width + uint(cols.i1)) * p.channels;
      const uint k10 = (uint(rows.i1) * p.width + uint(cols.i0)) * p.channels;
      const uint k11 = (uint(rows.i1) * p.width + uint(cols.i1)) * p.channels;
      for (uint c = 0u; c < p.channels; ++c) {
        precise float v = aug_bilinear(rows, cols, value_at(s, k00 + c), value_at(s, k01 + c),
                                       value_at(s, k10 + c), value_at(s, k11 + c));
        // Division, as gather_batch divides: 255 maps to exactly 1.
        x[out_base + c] = FLOAT_VALUES ? v : v / 255.0;
      }
    }
    if (pixel == 0u) labels_out[i] = byte_at(label_words[s >> 2u], s);
  }
}
