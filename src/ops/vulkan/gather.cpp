#include "ops/vulkan/gather.hpp"

#include <algorithm>
#include <sstream>
#include <vector>

#include "vknn/error.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "vulkan/device.hpp"
#include "ops/vulkan/step_state.hpp"
#include "ops/vulkan/dispatch.hpp"
#include "ops/vulkan/training_shaders.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk::ops {

using namespace detail;  // the dispatch vocabulary, dispatch.hpp

std::uint64_t packed_bytes_size(std::uint64_t count) {
  return std::max<std::uint64_t>((count + 3) / 4 * 4, 4);
}

Buffer upload_packed_bytes(Device& device, std::span<const std::uint8_t> bytes, std::string name) {
  const std::uint64_t size = packed_bytes_size(bytes.size());
  device.check_storage_buffer_size(size, "packed bytes '" + name + "'");
  // Packed explicitly rather than copied, so the word layout is the
  // shader's on a host of any endianness.
  std::vector<std::uint32_t> words(size / 4, 0u);
  for (std::size_t b = 0; b < bytes.size(); ++b) {
    words[b / 4] |= std::uint32_t(bytes[b]) << (8 * (b % 4));
  }
  Buffer buffer(device, size, std::move(name));
  buffer.upload(words.data(), size);
  return buffer;
}

namespace {

// Sizes both gathers take: positive, and a batch's count at most its size.
void require_batch_counts(const char* op, std::uint32_t sample_size, std::uint32_t batch_size,
                          std::uint32_t count, std::uint32_t first, const std::string& context) {
  require_positive(op, "sample_size", sample_size, context);
  require_positive(op, "batch_size", batch_size, context);
  require_positive(op, "count", count, context);
  if (count > batch_size) {
    throw Error(std::string(op) + ": count must be at most batch_size (a partial last batch is " +
                "smaller, never larger), got " + context);
  }
  if (std::uint64_t(first) + count > batch_size) {
    throw Error(std::string(op) + ": first + count must be at most batch_size (a micro-batch " +
                "lies within its batch), got first " + std::to_string(first) + ", " + context);
  }
}

// The buffers both gathers share besides the dataset: the step state, the
// labels and the epoch's order (at least one entry each; the shader guards
// every index), and the batch they write.
void require_gather_buffers(const char* op, std::uint32_t sample_size, std::uint32_t count,
                            const std::string& context, const Buffer& state, const Buffer& labels,
                            const Buffer& order, const Buffer& x, const Buffer& labels_out) {
  require_step_state(op, state);
  require_bytes(op, "labels", labels, 4, "at least one label byte, packed four to a word");
  require_bytes(op, "order", order, 4, "at least one uint32 sample index");
  require_bytes(op, "x", x, std::uint64_t(count) * sample_size * sizeof(float),
                std::to_string(count) + " x " + std::to_string(sample_size) + " floats (" +
                    context + ")");
  require_bytes(op, "labels_out", labels_out, std::uint64_t(count) * 4,
                std::to_string(count) + " uint32 labels (" + context + ")");
}

}  // namespace

void gather_batch(Recording& recording, std::uint32_t sample_size, std::uint32_t batch_size,
                  std::uint32_t count, const Buffer& images, const Buffer& labels,
                  const Buffer& order, const Buffer& state, const Buffer& x,
                  const Buffer& labels_out, std::uint32_t first) {
  const char* op = "gather_batch";
  require_recording_open(op, recording);
  std::ostringstream context_stream;
  context_stream << "sample_size " << sample_size << ", batch_size " << batch_size << ", count "
                 << count;
  const std::string context = context_stream.str();
  require_batch_counts(op, sample_size, batch_size, count, first, context);
  require_fits_u32(op, "count * sample_size",
                                    std::uint64_t(count) * sample_size);
  require_bytes(op, "images", images, packed_bytes_size(sample_size),
                "at least one sample of " + std::to_string(sample_size) +
                    " bytes, packed four to a word");
  require_gather_buffers(op, sample_size, count, context, state, labels, order, x, labels_out);

  // What the shader may read: whole samples in both dataset buffers, and
  // order's entries.
  const std::uint64_t capacity = std::min(images.size() / sample_size, labels.size());
  const GatherPush push{sample_size, batch_size, count,
                        std::uint32_t(std::min<std::uint64_t>(capacity, 0xffffffffull)),
                        std::uint32_t(std::min<std::uint64_t>(order.size() / 4, 0xffffffffull)),
                        first};

  const PipelineDesc desc = pipeline_1d("gather_batch", sizeof(GatherPush),
                                                 elementwise_width(recording.device()));
  // One invocation per word of four packed bytes.
  const std::uint64_t items = std::uint64_t(count) * ((sample_size + 3) / 4);
  record_grid_stride(recording, desc, GridStrideOp::batch_copy, items,
                     {&images, &labels, &order, &state, &x, &labels_out}, push);
}

std::uint64_t float_chunk_capacity(const Device& device, std::uint32_t sample_size) {
  const DeviceInfo& info = device.info();
  const std::uint64_t limit = std::min(info.max_storage_buffer_range, info.max_memory_allocation_size);
  const std::uint64_t sample_bytes = std::uint64_t(sample_size) * sizeof(float);
  if (sample_size == 0 || sample_bytes > limit) {
    throw Error("float dataset: a sample of " + std::to_string(sample_size) + " floats (" +
                std::to_string(sample_bytes) + " bytes) does not fit one storage buffer of " +
                info.name + " (maxStorageBufferRange " +
                std::to_string(info.max_storage_buffer_range) + " bytes, maxMemoryAllocationSize " +
                std::to_string(info.max_memory_allocation_size) + " bytes)");
  }
  return limit / sample_bytes;
}

void gather_float_batch(Recording& recording, std::uint32_t sample_size, std::uint32_t batch_size,
                        std::uint32_t count, const std::vector<const Buffer*>& chunks,
                        std::uint32_t samples_per_chunk, const Buffer& labels, const Buffer& order,
                        const Buffer& state, const Buffer& x, const Buffer& labels_out,
                        std::uint32_t first) {
  const char* op = "gather_float_batch";
  require_recording_open(op, recording);
  std::ostringstream context_stream;
  context_stream << "sample_size " << sample_size << ", batch_size " << batch_size << ", count "
                 << count << ", " << chunks.size() << " chunks of " << samples_per_chunk
                 << " samples";
  const std::string context = context_stream.str();
  require_batch_counts(op, sample_size, batch_size, count, first, context);
  require_positive(op, "samples_per_chunk", samples_per_chunk, context);
  if (chunks.empty() || chunks.size() > kFloatDatasetMaxChunks) {
    throw Error(std::string(op) + ": needs 1 to " + std::to_string(kFloatDatasetMaxChunks) +
                " chunk buffers, got " + context);
  }
  require_fits_u32(op, "count * sample_size", std::uint64_t(count) * sample_size);
  require_fits_u32(op, "samples_per_chunk * sample_size / 4",
                   std::uint64_t(samples_per_chunk) * sample_size / 4);
  const std::uint64_t chunk_bytes = std::uint64_t(samples_per_chunk) * sample_size * sizeof(float);
  for (std::size_t c = 0; c + 1 < chunks.size(); ++c) {
    require_bytes(op, ("chunk " + std::to_string(c)).c_str(), *chunks[c], chunk_bytes,
                  std::to_string(samples_per_chunk) + " samples of " +
                      std::to_string(sample_size) + " floats (every chunk but the last is full)");
  }
  require_bytes(op, "last chunk", *chunks.back(), std::uint64_t(sample_size) * sizeof(float),
                "at least one sample of " + std::to_string(sample_size) + " floats");
  require_gather_buffers(op, sample_size, count, context, state, labels, order, x, labels_out);

  // What the shader may read: whole samples in the chunks (the last one's
  // own count) and in the labels, and order's entries.
  const std::uint64_t last_samples = std::min<std::uint64_t>(
      samples_per_chunk, chunks.back()->size() / (std::uint64_t(sample_size) * sizeof(float)));
  const std::uint64_t capacity =
      std::min(std::uint64_t(chunks.size() - 1) * samples_per_chunk + last_samples, labels.size());
  const GatherFloatPush push{sample_size, batch_size, count,
                             std::uint32_t(std::min<std::uint64_t>(capacity, 0xffffffffull)),
                             std::uint32_t(std::min<std::uint64_t>(order.size() / 4, 0xffffffffull)),
                             samples_per_chunk, first};

  // Unused chunk bindings repeat chunk 0: every binding must hold a valid
  // descriptor, and the shader never reads past the chunks it was given.
  const Buffer* c[kFloatDatasetMaxChunks];
  for (std::uint32_t k = 0; k < kFloatDatasetMaxChunks; ++k) {
    c[k] = k < chunks.size() ? chunks[k] : chunks[0];
  }
  static_assert(kFloatDatasetMaxChunks == 8, "the binding list below names 8 chunks");
  const PipelineDesc desc = pipeline_1d("gather_float_batch", sizeof(GatherFloatPush),
                                        elementwise_width(recording.device()));
  // One invocation per four floats of an output row.
  const std::uint64_t items = std::uint64_t(count) * ((sample_size + 3) / 4);
  record_grid_stride(recording, desc, GridStrideOp::batch_copy, items,
                     {&labels, &order, &state, &x, &labels_out, c[0], c[1], c[2], c[3], c[4], c[5],
                      c[6], c[7]},
                     push);
}

}  // namespace vknn::vk::ops
