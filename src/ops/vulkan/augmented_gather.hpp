// The augmented batch gather on the device: the first op of a training step
// whose data carries Keras's ImageDataGenerator augmentation
// (vknn/data/augmentation.hpp). It gathers as gather_batch and
// gather_float_batch do (gather.hpp: the packed uint8 dataset, the float
// dataset's chunks, the order, the step state's batch_index) and, per
// sample, draws the transform from (sample, the step state's iterations)
// and samples the picture bilinearly with the fill mode:
// vknn::cpu::gather_augmented_batch's bits.
#pragma once

#include <cstdint>
#include <vector>

#include "vknn/data/augmentation.hpp"
#include "vulkan/fwd.hpp"

namespace vknn::vk::ops {

// The sizes of one recording: pictures of height x width x channels; a
// step's batch of batch_size samples (batch_index's stride), of which this
// recording gathers count starting at its `first` (0 unless the batch is
// split into micro-batches).
struct AugmentedGatherSizes {
  std::uint32_t height, width, channels;
  std::uint32_t batch_size, first, count;
};

// For i < count, with s = order[state.batch_index * batch_size + first + i]:
// x[i, :] = sample s transformed (see above), labels_out[i] = labels[s].
// `dataset`: a packed uint8 buffer (upload_packed_bytes; float_values
// false), or a float dataset's chunks (1..kFloatDatasetMaxChunks, every one
// but the last holding samples_per_chunk samples). The guard is gather_batch's.
void gather_augmented_batch(Recording& recording, const Augmentation& augmentation,
                            const AugmentedGatherSizes& sizes, bool float_values,
                            const std::vector<const Buffer*>& dataset,
                            std::uint32_t samples_per_chunk, const Buffer& labels,
                            const Buffer& order, const Buffer& state, const Buffer& x,
                            const Buffer& labels_out, const Buffer* keys = nullptr);

}  // namespace vknn::vk::ops
