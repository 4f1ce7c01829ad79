// Device memory sub-allocation.
//
// Drivers cap the number of live vkAllocateMemory allocations (often 4096)
// and each one is slow, so buffers take their memory from large blocks. A
// block serves one memory type; its free ranges are kept in an ordered map
// and merged on free. Requests larger than half a block get a block of their
// own. Host-visible blocks are mapped once, for their whole life.
#pragma once

#include <vulkan/vulkan.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string_view>
#include <vector>

namespace vknn::vk {

class Device;
struct MemoryBlock;

struct Allocation {
  VkDeviceMemory memory = VK_NULL_HANDLE;
  VkDeviceSize offset = 0;
  VkDeviceSize size = 0;
  std::byte* mapped = nullptr;  // null unless the memory is host-visible
  MemoryBlock* block = nullptr;
};

struct MemoryStats {
  std::uint64_t device_allocations = 0;  // live vkAllocateMemory blocks
  std::uint64_t bytes_reserved = 0;      // sum of block sizes
  std::uint64_t bytes_in_use = 0;        // sum of live sub-allocations
  std::uint64_t live_allocations = 0;
};

class MemoryAllocator {
 public:
  static constexpr VkDeviceSize kDefaultBlockSize = VkDeviceSize(64) << 20;

  MemoryAllocator(Device& device, VkDeviceSize block_size = kDefaultBlockSize);
  ~MemoryAllocator();
  MemoryAllocator(const MemoryAllocator&) = delete;
  MemoryAllocator& operator=(const MemoryAllocator&) = delete;

  // Picks the first memory type allowed by requirements that has all of
  // `required` and, if possible, all of `preferred`. `what` names the
  // buffer in error messages.
  Allocation allocate(const VkMemoryRequirements& requirements, VkMemoryPropertyFlags required,
                      VkMemoryPropertyFlags preferred, std::string_view what);
  void free(const Allocation& allocation);

  MemoryStats stats() const;
  VkMemoryPropertyFlags memory_type_flags(std::uint32_t type) const;

 private:
  std::uint32_t choose_memory_type(std::uint32_t allowed, VkMemoryPropertyFlags required,
                                   VkMemoryPropertyFlags preferred, std::string_view what) const;
  MemoryBlock& new_block(std::uint32_t type, VkDeviceSize size, bool dedicated,
                         std::string_view what);

  Device& device_;
  VkDeviceSize block_size_;
  VkPhysicalDeviceMemoryProperties properties_{};
  std::vector<std::unique_ptr<MemoryBlock>> blocks_;
};

struct MemoryBlock {
  VkDeviceMemory memory = VK_NULL_HANDLE;
  VkDeviceSize size = 0;
  std::uint32_t memory_type = 0;
  std::byte* mapped = nullptr;
  bool dedicated = false;  // holds one large buffer; freed with it
  std::map<VkDeviceSize, VkDeviceSize> free_ranges;  // offset -> size
  std::uint64_t live = 0;
  VkDeviceSize in_use = 0;

  // First fit with alignment; returns false when nothing fits.
  bool try_allocate(VkDeviceSize size, VkDeviceSize alignment, VkDeviceSize& offset);
  void release(VkDeviceSize offset, VkDeviceSize size);
};

}  // namespace vknn::vk
