// Storage buffers in device memory.
//
// On unified-memory devices (lavapipe, integrated GPUs) a buffer's memory is
// mapped and upload/download are plain copies. Elsewhere it lives in
// device-local memory and upload/download go through a staging buffer and a
// one-off transfer; those are for setup and read-back, never for a training
// step, which keeps its data on the device.
#pragma once

#include <vulkan/vulkan.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "vulkan/memory.hpp"

namespace vknn::vk {

class Device;

enum class BufferKind {
  storage,  // read and written by shaders; device-local
  staging,  // host-visible, for transfers
};

class Buffer {
 public:
  Buffer(Device& device, VkDeviceSize bytes, std::string name,
         BufferKind kind = BufferKind::storage);
  ~Buffer();
  Buffer(Buffer&& other) noexcept;
  Buffer& operator=(Buffer&&) = delete;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  VkBuffer handle() const { return buffer_; }
  VkDeviceSize size() const { return size_; }
  const std::string& name() const { return name_; }
  // Host pointer to the contents where the host may access them directly
  // (unified memory, staging buffers), else null.
  std::byte* mapped() const { return host_access_ ? allocation_.mapped : nullptr; }

  // Blocking copies between host memory and the buffer. The caller makes
  // sure no submission in flight uses the buffer.
  void upload(const void* data, VkDeviceSize bytes, VkDeviceSize offset = 0);
  void download(void* data, VkDeviceSize bytes, VkDeviceSize offset = 0) const;
  void fill_zero();

  // A view of the whole buffer as vec4 texels (R32G32B32A32_SFLOAT), for
  // shaders that read it as a uniform texel buffer; made on first use. The
  // buffer is allocated in whole vec4s, so the last texel holds its last
  // floats (and unspecified padding).
  VkBufferView vec4_view() const;

 private:
  void check_range(VkDeviceSize bytes, VkDeviceSize offset, const char* op) const;

  Device* device_;
  VkBuffer buffer_ = VK_NULL_HANDLE;
  VkDeviceSize size_ = 0;
  std::string name_;
  Allocation allocation_;
  bool host_access_ = false;
  mutable VkBufferView vec4_view_ = VK_NULL_HANDLE;
};

}  // namespace vknn::vk
