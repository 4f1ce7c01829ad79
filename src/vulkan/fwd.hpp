// Forward declarations of the runtime's classes, for headers that only take
// them by reference (the op headers), so they need not include the runtime.
#pragma once

namespace vknn::vk {
class Buffer;
class Device;
class Recording;
}  // namespace vknn::vk
