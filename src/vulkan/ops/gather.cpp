#include "vulkan/ops/gather.hpp"

#include <algorithm>
#include <sstream>
#include <vector>

#include "vknn/error.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "vulkan/device.hpp"
#include "vulkan/ops/step_state.hpp"
#include "vulkan/ops/training_checks.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk::ops {

using training_detail::grid_groups;
using training_detail::require_bytes;
using training_detail::require_positive;
using training_detail::require_recording_open;
using training_detail::workgroup_width;

namespace {

constexpr std::uint32_t kGpuWidth = 256;
constexpr std::uint32_t kCpuWidth = 64;

struct GatherPush {
  std::uint32_t sample_size;
  std::uint32_t batch_size;
  std::uint32_t count;
  std::uint32_t sample_capacity;
  std::uint32_t order_length;
};

}  // namespace

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

void gather_batch(Recording& recording, std::uint32_t sample_size, std::uint32_t batch_size,
                  const Buffer& images, const Buffer& labels, const Buffer& order,
                  const Buffer& state, std::uint32_t count, const Buffer& x,
                  const Buffer& labels_out) {
  const char* op = "gather_batch";
  require_recording_open(op, recording);
  std::ostringstream context_stream;
  context_stream << "sample_size " << sample_size << ", batch_size " << batch_size << ", count "
                 << count;
  const std::string context = context_stream.str();
  require_positive(op, "sample_size", sample_size, context);
  require_positive(op, "batch_size", batch_size, context);
  require_positive(op, "count", count, context);
  if (count > batch_size) {
    throw Error(std::string(op) + ": count must be at most batch_size (a partial last batch is " +
                "smaller, never larger), got " + context);
  }
  training_detail::require_fits_u32(op, "count * sample_size",
                                    std::uint64_t(count) * sample_size);
  require_step_state(op, state);
  require_bytes(op, "images", images, packed_bytes_size(sample_size),
                "at least one sample of " + std::to_string(sample_size) +
                    " bytes, packed four to a word");
  require_bytes(op, "labels", labels, 4, "at least one label byte, packed four to a word");
  require_bytes(op, "order", order, 4, "at least one uint32 sample index");
  require_bytes(op, "x", x, std::uint64_t(count) * sample_size * sizeof(float),
                std::to_string(count) + " x " + std::to_string(sample_size) + " floats (" +
                    context + ")");
  require_bytes(op, "labels_out", labels_out, std::uint64_t(count) * 4,
                std::to_string(count) + " uint32 labels (" + context + ")");

  // What the shader may read: whole samples in both dataset buffers, and
  // order's entries.
  const std::uint64_t capacity = std::min(images.size() / sample_size, labels.size());
  const GatherPush push{sample_size, batch_size, count,
                        std::uint32_t(std::min<std::uint64_t>(capacity, 0xffffffffull)),
                        std::uint32_t(std::min<std::uint64_t>(order.size() / 4, 0xffffffffull))};

  Device& device = recording.device();
  PipelineDesc desc;
  desc.shader = "gather_batch";
  desc.buffer_count = 6;
  desc.push_constant_bytes = sizeof(GatherPush);
  desc.workgroup = {workgroup_width(device, kGpuWidth, kCpuWidth), 1, 1};
  const std::uint64_t items = std::uint64_t(count) * ((sample_size + 3) / 4);
  recording.dispatch(device.pipeline(desc), {&images, &labels, &order, &state, &x, &labels_out},
                     push, {grid_groups(device, items, desc.workgroup[0]), 1, 1});
  recording.barrier();
}

}  // namespace vknn::vk::ops
