// On/off switches read from environment variables (VKNN_AUTOTUNE,
// VKNN_TEXEL_READS): unset or empty gives the default; 1/on/true/yes and
// 0/off/false/no (any case) set it; anything else is an Error naming the
// variable, its value and what each setting means.
#pragma once

namespace vknn::vk {

bool env_switch(const char* variable, bool by_default, const char* on_means, const char* off_means);

// VKNN_TEXEL_READS (default on): shaders read their inputs through texel
// views where the device profile says so (shaders/texel_reads.glsl); off
// reads storage buffers everywhere, as on GPUs.
bool texel_reads_enabled();

}  // namespace vknn::vk
