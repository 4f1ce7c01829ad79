#version 450
#extension GL_GOOGLE_include_directive : require
// gather_batch: the first dispatch of a training step; picks this step's
// samples from the uint8 dataset on the device through the epoch's
// shuffled order and scales them to [0, 1] (vknn::cpu::gather_batch):
//   first = step.batch_index * batch_size + p.first  (step_state.glsl; p.first:
//                                       a micro-batch's offset in its batch)
//   for i < count: s = order[first + i]
//     x[i, j] = images[s * sample_size + j] / 255   (j < sample_size)
//     labels_out[i] = labels[s]
//
// The dataset is bytes packed four to a uint32 word, little-endian (byte b
// is bits 8*(b%4).. of word b/4), so no 8-bit storage feature is needed:
// each invocation reads the one or two words holding its four bytes and
// shifts. When sample_size % 4 == 0 (Fashion-MNIST's 784) each chunk is
// exactly one word and is written as one vec4 (binding 4 is also declared
// as vec4[]).
//
// Out-of-range guard: a position first + i past the end of `order`, or a
// sample index s at or beyond sample_capacity (the samples the buffers
// hold), reads nothing: x[i, :] = 0 and labels_out[i] = 0xffffffff, an
// invalid label that the loss shaders turn into a NaN loss.
//
// Layout: x (count, sample_size) row-major floats; labels_out (count) uint.
// Bindings: 0 images (uint words, read), 1 labels (uint words, read),
// 2 order (uint, read), 3 step state (read), 4 x (float, write),
// 5 labels_out (uint, write).
// Dispatch: one invocation per 4-byte chunk of an output row
// (count * div_up(sample_size, 4) invocations), grid-stride.
#include "common.glsl"
#include "step_state.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(set = 0, binding = 0) readonly buffer Images { uint image_words[]; };
layout(set = 0, binding = 1) readonly buffer Labels { uint label_words[]; };
layout(set = 0, binding = 2) readonly buffer Order { uint order[]; };
VKNN_STEP_STATE_BUFFER(3, readonly);
layout(set = 0, binding = 4) writeonly buffer X { float x[]; };
layout(set = 0, binding = 4) writeonly buffer X4 { vec4 x4[]; };
layout(set = 0, binding = 5) writeonly buffer LabelsOut { uint labels_out[]; };
layout(push_constant) uniform Push {
  uint sample_size;      // bytes (= floats) per sample
  uint batch_size;       // samples per full batch: the stride of batch_index
  uint count;            // samples this recording gathers (<= batch_size)
  uint sample_capacity;  // samples the images and labels buffers hold
  uint order_length;     // entries in order
  uint first;            // this gather's offset within the batch (first + count <= batch_size)
} p;

const uint kInvalidLabel = 0xffffffffu;

uint byte_at(uint word, uint b) { return (word >> (8u * (b & 3u))) & 0xffu; }

void main() {
  const uint chunks = div_up(p.sample_size, 4u);
  const uint total = p.count * chunks;
  // A runaway batch_index is refused before first = batch_index *
  // batch_size can overflow and wrap around into a valid position.
  const uint batch = step.batch_index;
  const bool batch_ok = batch <= p.order_length / p.batch_size;
  const uint first = batch_ok ? batch * p.batch_size + p.first : 0u;

  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint item = gl_GlobalInvocationID.x; item < total; item += stride) {
    const uint i = item / chunks;
    const uint j0 = (item - i * chunks) * 4u;
    const uint bytes = min(4u, p.sample_size - j0);
    const uint out_base = i * p.sample_size + j0;

    bool valid = batch_ok && first + i < p.order_length;
    const uint s = valid ? order[first + i] : 0u;
    valid = valid && s < p.sample_capacity;
    if (!valid) {
      for (uint k = 0u; k < bytes; ++k) x[out_base + k] = 0.0;
      if (j0 == 0u) labels_out[i] = kInvalidLabel;
      continue;
    }

    const uint b0 = s * p.sample_size + j0;
    if (p.sample_size % 4u == 0u) {
      // Every chunk is one whole word and one aligned vec4 of x: a single
      // load and a single 16-byte store. Division by 255 (not a multiply by
      // 1/255), as the reference does: 255 maps to exactly 1.
      const uint word = image_words[b0 >> 2u];
      x4[out_base >> 2u] = vec4(float(word & 0xffu), float((word >> 8u) & 0xffu),
                                float((word >> 16u) & 0xffu), float(word >> 24u)) / 255.0;
      if (j0 == 0u) labels_out[i] = byte_at(label_words[s >> 2u], s);
      continue;
    }
    // Otherwise the chunk's bytes span one word, or two when b0 is not
    // word-aligned and they cross a boundary.
    const uint w0 = b0 >> 2u;
    const uint lo = image_words[w0];
    const bool crosses = (b0 & 3u) + bytes > 4u;
    const uint hi = crosses ? image_words[w0 + 1u] : 0u;
    for (uint k = 0u; k < bytes; ++k) {
      const uint b = b0 + k;
      const uint word = (b >> 2u) == w0 ? lo : hi;
      x[out_base + k] = float(byte_at(word, b)) / 255.0;
    }
    if (j0 == 0u) labels_out[i] = byte_at(label_words[s >> 2u], s);
  }
}
