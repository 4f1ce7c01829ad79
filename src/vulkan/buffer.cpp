#include "vulkan/buffer.hpp"

#include <cstring>
#include <sstream>

#include "vknn/error.hpp"
#include "vulkan/check.hpp"
#include "vulkan/command.hpp"
#include "vulkan/device.hpp"

namespace vknn::vk {

namespace {
constexpr VkDeviceSize kTexelBytes = 16;  // one vec4
}  // namespace

Buffer::Buffer(Device& device, VkDeviceSize bytes, std::string name, BufferKind kind)
    : device_(&device), size_(bytes), name_(std::move(name)) {
  if (bytes == 0) throw Error("buffer '" + name_ + "': size must be positive");
  if (kind == BufferKind::storage) device.check_storage_buffer_size(bytes, "buffer '" + name_ + "'");

  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  // Whole vec4s, so that a texel view (vec4_view) reaches every float.
  info.size = (bytes + kTexelBytes - 1) / kTexelBytes * kTexelBytes;
  info.usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  if (kind == BufferKind::storage) {
    info.usage |= VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT;
  }
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  vk_check(vkCreateBuffer(device.handle(), &info, nullptr, &buffer_), "vkCreateBuffer",
           "creating buffer '" + name_ + "' of " + format_bytes(bytes));

  VkMemoryRequirements requirements;
  vkGetBufferMemoryRequirements(device.handle(), buffer_, &requirements);
  VkMemoryPropertyFlags required = 0;
  VkMemoryPropertyFlags preferred = 0;
  const VkMemoryPropertyFlags host =
      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  if (kind == BufferKind::staging) {
    required = host;
    preferred = VK_MEMORY_PROPERTY_HOST_CACHED_BIT;  // fast host reads of results
  } else if (device.unified_memory()) {
    required = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | host;
  } else {
    required = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
  }
  try {
    allocation_ = device.memory().allocate(requirements, required, preferred, "buffer '" + name_ + "'");
    vk_check(vkBindBufferMemory(device.handle(), buffer_, allocation_.memory, allocation_.offset),
             "vkBindBufferMemory", "binding memory to buffer '" + name_ + "'");
    host_access_ = allocation_.mapped && (kind == BufferKind::staging || device.unified_memory());
  } catch (...) {
    if (allocation_.block) device.memory().free(allocation_);
    vkDestroyBuffer(device.handle(), buffer_, nullptr);
    throw;
  }
}

Buffer::Buffer(Buffer&& other) noexcept
    : device_(other.device_),
      buffer_(other.buffer_),
      size_(other.size_),
      name_(std::move(other.name_)),
      allocation_(other.allocation_),
      host_access_(other.host_access_),
      vec4_view_(other.vec4_view_) {
  other.buffer_ = VK_NULL_HANDLE;
  other.allocation_ = {};
  other.vec4_view_ = VK_NULL_HANDLE;
}

Buffer::~Buffer() {
  if (vec4_view_ != VK_NULL_HANDLE) vkDestroyBufferView(device_->handle(), vec4_view_, nullptr);
  if (buffer_ != VK_NULL_HANDLE) vkDestroyBuffer(device_->handle(), buffer_, nullptr);
  if (allocation_.block) device_->memory().free(allocation_);
}

VkBufferView Buffer::vec4_view() const {
  if (vec4_view_ != VK_NULL_HANDLE) return vec4_view_;
  const VkDeviceSize texels = (size_ + kTexelBytes - 1) / kTexelBytes;  // allocated whole
  device_->check_texel_buffer_elements(texels, "buffer '" + name_ + "'");
  VkBufferViewCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO};
  info.buffer = buffer_;
  info.format = VK_FORMAT_R32G32B32A32_SFLOAT;
  info.offset = 0;
  info.range = texels * kTexelBytes;
  vk_check(vkCreateBufferView(device_->handle(), &info, nullptr, &vec4_view_), "vkCreateBufferView",
           "viewing buffer '" + name_ + "' as vec4 texels");
  return vec4_view_;
}

void Buffer::check_range(VkDeviceSize bytes, VkDeviceSize offset, const char* op) const {
  if (offset > size_ || bytes > size_ - offset) {
    std::ostringstream msg;
    msg << op << " of " << bytes << " bytes at offset " << offset << " does not fit buffer '"
        << name_ << "' of " << size_ << " bytes";
    throw Error(msg.str());
  }
}

void Buffer::upload(const void* data, VkDeviceSize bytes, VkDeviceSize offset) {
  check_range(bytes, offset, "upload");
  if (bytes == 0) return;
  device_->counters().bytes_uploaded += bytes;
  if (mapped()) {
    std::memcpy(mapped() + offset, data, bytes);
    return;
  }
  Buffer staging(*device_, bytes, name_ + " (staging)", BufferKind::staging);
  std::memcpy(staging.mapped(), data, bytes);
  Recording recording(*device_, "upload to '" + name_ + "'", RecordingUse::once);
  recording.copy(staging, *this, bytes, 0, offset);
  recording.finish();
  submit(*device_, recording).wait();
}

void Buffer::download(void* data, VkDeviceSize bytes, VkDeviceSize offset) const {
  check_range(bytes, offset, "download");
  if (bytes == 0) return;
  device_->counters().bytes_downloaded += bytes;
  if (mapped()) {
    std::memcpy(data, mapped() + offset, bytes);
    return;
  }
  Buffer staging(*device_, bytes, name_ + " (read-back)", BufferKind::staging);
  Recording recording(*device_, "download from '" + name_ + "'", RecordingUse::once);
  recording.copy(*this, staging, bytes, offset, 0);
  recording.host_read_barrier();
  recording.finish();
  submit(*device_, recording).wait();
  std::memcpy(data, staging.mapped(), bytes);
}

void Buffer::fill_zero() {
  if (mapped()) {
    std::memset(mapped(), 0, size_);
    return;
  }
  Recording recording(*device_, "clear '" + name_ + "'", RecordingUse::once);
  recording.fill(*this, 0);
  recording.finish();
  submit(*device_, recording).wait();
}

}  // namespace vknn::vk
