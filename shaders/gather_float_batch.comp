#version 450
#extension GL_GOOGLE_include_directive : require
// gather_float_batch: gather_batch for a float dataset. Picks this step's
// samples through the epoch's shuffled order and copies them as they are
// (no scaling: float inputs stay what the user gave; vknn::cpu::
// gather_float_batch):
//   first = step.batch_index * batch_size + p.first  (step_state.glsl; p.first:
//                                       a micro-batch's offset in its batch)
//   for i < count: s = order[first + i]
//     x[i, j] = values[s * sample_size + j]          (j < sample_size)
//     labels_out[i] = labels[s]
//
// Why chunks: a float dataset is 4x its uint8 form (Fashion-MNIST's
// training set is 188 MB) and one storage buffer may span only
// maxStorageBufferRange (128 MiB on lavapipe). So the values live in up to
// kMaxChunks buffers, each holding samples_per_chunk whole samples (the
// last may hold fewer); sample s is sample s % samples_per_chunk of chunk
// s / samples_per_chunk. Unused chunk bindings repeat chunk 0 and are
// never read. The chunk is chosen per invocation with a switch rather than
// by indexing an array of blocks, which needs no descriptor-indexing
// feature (a non-uniform index into a block array does).
//
// Out-of-range guard as in gather_batch.comp: a position past the end of
// `order` or a sample at or beyond sample_capacity gives x[i, :] = 0 and
// labels_out[i] = 0xffffffff.
//
// Bindings: 0 labels (uint words of packed bytes, read), 1 order (uint,
// read), 2 step state (read), 3 x (float, write), 4 labels_out (uint,
// write), 5..5+kMaxChunks-1 the value chunks (float, read; also declared as
// vec4[] for the sample_size % 4 == 0 path).
// Dispatch: one invocation per 4-float chunk of an output row
// (count * div_up(sample_size, 4) invocations), grid-stride.
#include "common.glsl"
#include "step_state.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(set = 0, binding = 0) readonly buffer Labels { uint label_words[]; };
layout(set = 0, binding = 1) readonly buffer Order { uint order[]; };
VKNN_STEP_STATE_BUFFER(2, readonly);
layout(set = 0, binding = 3) writeonly buffer X { float x[]; };
layout(set = 0, binding = 3) writeonly buffer X4 { vec4 x4[]; };
layout(set = 0, binding = 4) writeonly buffer LabelsOut { uint labels_out[]; };

// kMaxChunks = 8 (vk::ops::kFloatDatasetMaxChunks): 1 GiB of floats at
// lavapipe's 128 MiB range.
#define VKNN_CHUNK(n)                                                              \
  layout(set = 0, binding = 5 + n) readonly buffer Chunk##n { float values##n[]; };     \
  layout(set = 0, binding = 5 + n) readonly buffer Chunk4_##n { vec4 quads##n[]; };
VKNN_CHUNK(0)
VKNN_CHUNK(1)
VKNN_CHUNK(2)
VKNN_CHUNK(3)
VKNN_CHUNK(4)
VKNN_CHUNK(5)
VKNN_CHUNK(6)
VKNN_CHUNK(7)

layout(push_constant) uniform Push {
  uint sample_size;        // floats per sample
  uint batch_size;         // samples per full batch: the stride of batch_index
  uint count;              // samples this recording gathers (<= batch_size)
  uint sample_capacity;    // samples the chunks and the labels hold
  uint order_length;       // entries in order
  uint samples_per_chunk;  // whole samples per chunk buffer
  uint first;              // this gather's offset within the batch (first + count <= batch_size)
} p;

const uint kInvalidLabel = 0xffffffffu;

uint byte_at(uint word, uint b) { return (word >> (8u * (b & 3u))) & 0xffu; }

float value_at(uint chunk, uint i) {
  switch (chunk) {
    case 0u: return values0[i];
    case 1u: return values1[i];
    case 2u: return values2[i];
    case 3u: return values3[i];
    case 4u: return values4[i];
    case 5u: return values5[i];
    case 6u: return values6[i];
    default: return values7[i];
  }
}

vec4 vec4_at(uint chunk, uint i4) {
  switch (chunk) {
    case 0u: return quads0[i4];
    case 1u: return quads1[i4];
    case 2u: return quads2[i4];
    case 3u: return quads3[i4];
    case 4u: return quads4[i4];
    case 5u: return quads5[i4];
    case 6u: return quads6[i4];
    default: return quads7[i4];
  }
}

void main() {
  const uint quads = div_up(p.sample_size, 4u);
  const uint total = p.count * quads;
  // A runaway batch_index is refused before first = batch_index *
  // batch_size can overflow and wrap around into a valid position.
  const uint batch = step.batch_index;
  const bool batch_ok = batch <= p.order_length / p.batch_size;
  const uint first = batch_ok ? batch * p.batch_size + p.first : 0u;

  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint item = gl_GlobalInvocationID.x; item < total; item += stride) {
    const uint i = item / quads;
    const uint j0 = (item - i * quads) * 4u;
    const uint n = min(4u, p.sample_size - j0);
    const uint out_base = i * p.sample_size + j0;

    bool valid = batch_ok && first + i < p.order_length;
    const uint s = valid ? order[first + i] : 0u;
    valid = valid && s < p.sample_capacity;
    if (!valid) {
      for (uint k = 0u; k < n; ++k) x[out_base + k] = 0.0;
      if (j0 == 0u) labels_out[i] = kInvalidLabel;
      continue;
    }

    const uint chunk = s / p.samples_per_chunk;
    // Within a chunk the float index stays below its range / 4 < 2^32,
    // whatever the dataset's total size.
    const uint in_chunk = (s - chunk * p.samples_per_chunk) * p.sample_size + j0;
    if (p.sample_size % 4u == 0u) {
      // Samples start on a 16-byte boundary: one vec4 load and store.
      x4[out_base >> 2u] = vec4_at(chunk, in_chunk >> 2u);
    } else {
      for (uint k = 0u; k < n; ++k) x[out_base + k] = value_at(chunk, in_chunk + k);
    }
    if (j0 == 0u) labels_out[i] = byte_at(label_words[s >> 2u], s);
  }
}
