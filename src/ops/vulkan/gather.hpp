// Batch gather on the device: the first op of a training step.
//
// The dataset lives on the device as uint8, packed four bytes to a uint32
// word (little-endian within the word: byte b is bits 8*(b%4) of word b/4),
// so no 8-bit storage feature is needed. Each step gathers its samples
// through the epoch's shuffled order, a uint32 permutation uploaded once
// per epoch, at batch_index * batch_size with batch_index read from the
// step state (step_state.hpp), and scales them to [0, 1].
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "vulkan/fwd.hpp"

namespace vknn::vk::ops {

// A storage buffer holding `bytes` packed four to a word, zero-padded to a
// multiple of 4 bytes (at least 4).
Buffer upload_packed_bytes(Device& device, std::span<const std::uint8_t> bytes, std::string name);
// Bytes such a buffer occupies for `count` bytes of payload.
std::uint64_t packed_bytes_size(std::uint64_t count);

// For i < count, with first = state.batch_index * batch_size and
// s = order[first + i]:
//   x[i, j] = images[s * sample_size + j] / 255   (float, j < sample_size)
//   labels_out[i] = labels[s]                     (uint32)
// images and labels are packed (upload_packed_bytes); order is uint32.
// count is this recording's batch size: batch_size for a full batch, less
// for the partial last batch, which gets its own recording. `first`: the
// offset of this recording's samples within the step's batch (a
// micro-batch after the first; first + count <= batch_size).
//
// Guard: the samples the buffers hold (sample_capacity = the smaller of
// images bytes / sample_size and labels bytes) and order's length bound
// what the shader reads. A position past the end of order, or an order
// entry >= sample_capacity, gives x[i, :] = 0 and labels_out[i] =
// 0xffffffff, which the loss shaders turn into a NaN loss. (Padding bytes
// count as capacity when the padding holds a whole sample: a permutation of
// the dataset never points there.) order's length is its buffer's size / 4:
// size it to the permutation, or fill unused entries with 0xffffffff.
void gather_batch(Recording& recording, std::uint32_t sample_size, std::uint32_t batch_size,
                  std::uint32_t count, const Buffer& images, const Buffer& labels,
                  const Buffer& order, const Buffer& state, const Buffer& x,
                  const Buffer& labels_out, std::uint32_t first = 0);

// ---- float datasets ----
// A float dataset is 4x its uint8 form and may exceed one storage buffer's
// range (Fashion-MNIST's training set as float32 is 188 MB; lavapipe's
// maxStorageBufferRange is 128 MiB). It is stored as up to
// kFloatDatasetMaxChunks buffers ("chunks") of whole samples: chunk c holds
// samples [c * samples_per_chunk, (c + 1) * samples_per_chunk), the last
// one possibly fewer.
inline constexpr std::uint32_t kFloatDatasetMaxChunks = 8;  // bindings of gather_float_batch.comp

// The most whole samples of `sample_size` floats one chunk buffer may hold
// on `device`: the smaller of maxStorageBufferRange and
// maxMemoryAllocationSize, over the sample's bytes. Throws vknn::Error when
// not even one sample fits.
std::uint64_t float_chunk_capacity(const Device& device, std::uint32_t sample_size);

// gather_batch for a float dataset, copying values as they are (no / 255):
//   x[i, j] = values[s * sample_size + j], labels_out[i] = labels[s]
// `chunks` are the dataset's buffers in order (1..kFloatDatasetMaxChunks),
// every one but the last holding exactly samples_per_chunk samples. The
// guard is gather_batch's, with sample_capacity the samples the chunks and
// the labels hold.
void gather_float_batch(Recording& recording, std::uint32_t sample_size, std::uint32_t batch_size,
                        std::uint32_t count, const std::vector<const Buffer*>& chunks,
                        std::uint32_t samples_per_chunk, const Buffer& labels, const Buffer& order,
                        const Buffer& state, const Buffer& x, const Buffer& labels_out,
                        std::uint32_t first = 0);

}  // namespace vknn::vk::ops
