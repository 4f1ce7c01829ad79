#include "vulkan/memory.hpp"

#include <algorithm>
#include <sstream>

#include "vknn/error.hpp"
#include "vulkan/check.hpp"
#include "vulkan/device.hpp"

namespace vknn::vk {

bool MemoryBlock::try_allocate(VkDeviceSize request, VkDeviceSize alignment,
                               VkDeviceSize& offset) {
  for (auto it = free_ranges.begin(); it != free_ranges.end(); ++it) {
    const VkDeviceSize start = it->first;
    const VkDeviceSize length = it->second;
    const VkDeviceSize aligned = (start + alignment - 1) / alignment * alignment;
    if (aligned + request > start + length) continue;
    free_ranges.erase(it);
    // Give back the alignment gap in front and the tail behind.
    if (aligned > start) free_ranges.emplace(start, aligned - start);
    const VkDeviceSize end = aligned + request;
    if (start + length > end) free_ranges.emplace(end, start + length - end);
    offset = aligned;
    ++live;
    in_use += request;
    return true;
  }
  return false;
}

void MemoryBlock::release(VkDeviceSize offset, VkDeviceSize length) {
  auto [it, inserted] = free_ranges.emplace(offset, length);
  (void)inserted;
  // Merge with the following range.
  auto next = std::next(it);
  if (next != free_ranges.end() && it->first + it->second == next->first) {
    it->second += next->second;
    free_ranges.erase(next);
  }
  // Merge with the preceding range.
  if (it != free_ranges.begin()) {
    auto prev = std::prev(it);
    if (prev->first + prev->second == it->first) {
      prev->second += it->second;
      free_ranges.erase(it);
    }
  }
  --live;
  in_use -= length;
}

MemoryAllocator::MemoryAllocator(Device& device, VkDeviceSize block_size)
    : device_(device), block_size_(block_size) {
  vkGetPhysicalDeviceMemoryProperties(device.physical(), &properties_);
  // Never ask for a block larger than the driver allows in one allocation.
  block_size_ = std::min<VkDeviceSize>(block_size_, device.info().max_memory_allocation_size);
}

MemoryAllocator::~MemoryAllocator() {
  for (auto& block : blocks_) {
    if (block->mapped) vkUnmapMemory(device_.handle(), block->memory);
    vkFreeMemory(device_.handle(), block->memory, nullptr);
  }
}

VkMemoryPropertyFlags MemoryAllocator::memory_type_flags(std::uint32_t type) const {
  return properties_.memoryTypes[type].propertyFlags;
}

std::uint32_t MemoryAllocator::choose_memory_type(std::uint32_t allowed,
                                                  VkMemoryPropertyFlags required,
                                                  VkMemoryPropertyFlags preferred,
                                                  std::string_view what) const {
  const VkMemoryPropertyFlags wanted = required | preferred;
  for (int pass = 0; pass < 2; ++pass) {
    const VkMemoryPropertyFlags flags = pass == 0 ? wanted : required;
    for (std::uint32_t i = 0; i < properties_.memoryTypeCount; ++i) {
      if ((allowed & (1u << i)) && (properties_.memoryTypes[i].propertyFlags & flags) == flags) {
        return i;
      }
    }
  }
  std::ostringstream msg;
  msg << "no memory type of device '" << device_.info().name << "' has the properties 0x"
      << std::hex << required << " needed for " << what;
  throw Error(msg.str());
}

MemoryBlock& MemoryAllocator::new_block(std::uint32_t type, VkDeviceSize size, bool dedicated,
                                        std::string_view what) {
  auto block = std::make_unique<MemoryBlock>();
  block->dedicated = dedicated;
  VkMemoryAllocateInfo info{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  info.allocationSize = size;
  info.memoryTypeIndex = type;
  std::string doing = "allocating a " + format_bytes(size) + " memory block for " + std::string(what);
  vk_check(vkAllocateMemory(device_.handle(), &info, nullptr, &block->memory), "vkAllocateMemory",
           doing);
  block->size = size;
  block->memory_type = type;
  block->free_ranges.emplace(0, size);
  if (properties_.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) {
    void* pointer = nullptr;
    VkResult r = vkMapMemory(device_.handle(), block->memory, 0, VK_WHOLE_SIZE, 0, &pointer);
    if (r != VK_SUCCESS) {
      vkFreeMemory(device_.handle(), block->memory, nullptr);
      vk_check(r, "vkMapMemory", "mapping a host-visible memory block for " + std::string(what));
    }
    block->mapped = static_cast<std::byte*>(pointer);
  }
  blocks_.push_back(std::move(block));
  return *blocks_.back();
}

Allocation MemoryAllocator::allocate(const VkMemoryRequirements& requirements,
                                     VkMemoryPropertyFlags required,
                                     VkMemoryPropertyFlags preferred, std::string_view what) {
  const DeviceInfo& info = device_.info();
  if (requirements.size > info.max_memory_allocation_size) {
    throw_limit_error("allocating " + std::string(what), "maxMemoryAllocationSize",
                      requirements.size, info.max_memory_allocation_size, info.name);
  }
  const std::uint32_t type =
      choose_memory_type(requirements.memoryTypeBits, required, preferred, what);
  const VkDeviceSize alignment = std::max<VkDeviceSize>(requirements.alignment, 16);

  VkDeviceSize offset = 0;
  MemoryBlock* chosen = nullptr;
  if (requirements.size <= block_size_ / 2) {
    for (auto& block : blocks_) {
      if (block->memory_type == type && !block->dedicated &&
          block->try_allocate(requirements.size, alignment, offset)) {
        chosen = block.get();
        break;
      }
    }
    if (!chosen) {
      chosen = &new_block(type, block_size_, false, what);
      chosen->try_allocate(requirements.size, alignment, offset);
    }
  } else {
    // A large buffer gets a dedicated block sized to fit.
    chosen = &new_block(type, requirements.size, true, what);
    chosen->try_allocate(requirements.size, alignment, offset);
  }

  Allocation a;
  a.memory = chosen->memory;
  a.offset = offset;
  a.size = requirements.size;
  a.mapped = chosen->mapped ? chosen->mapped + offset : nullptr;
  a.block = chosen;
  return a;
}

void MemoryAllocator::free(const Allocation& allocation) {
  if (!allocation.block) return;
  MemoryBlock* block = allocation.block;
  block->release(allocation.offset, allocation.size);
  // Dedicated blocks and empty shared blocks beyond the first of their
  // type go back to the driver, so a long program does not hoard memory.
  if (block->live == 0) {
    bool another_of_type = false;
    for (auto& other : blocks_) {
      if (other.get() != block && other->memory_type == block->memory_type &&
          !other->dedicated) {
        another_of_type = true;
      }
    }
    if (block->dedicated || another_of_type) {
      if (block->mapped) vkUnmapMemory(device_.handle(), block->memory);
      vkFreeMemory(device_.handle(), block->memory, nullptr);
      blocks_.erase(std::find_if(blocks_.begin(), blocks_.end(),
                                 [&](const auto& b) { return b.get() == block; }));
    }
  }
}

MemoryStats MemoryAllocator::stats() const {
  MemoryStats s;
  for (const auto& block : blocks_) {
    ++s.device_allocations;
    s.bytes_reserved += block->size;
    s.bytes_in_use += block->in_use;
    s.live_allocations += block->live;
  }
  return s;
}

}  // namespace vknn::vk
