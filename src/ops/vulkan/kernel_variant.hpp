// The Vulkan ops take the one KernelVariant enum (ops/kernel_variant.hpp);
// a variant passed to an op is forced, and one its shape lacks throws.
#pragma once

#include "ops/kernel_variant.hpp"

namespace vknn::vk::ops {

using vknn::KernelVariant;
using vknn::variant_name;

}  // namespace vknn::vk::ops
