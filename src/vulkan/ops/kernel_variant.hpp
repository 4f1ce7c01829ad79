// Which shape of a shader an op records (see device_profile.hpp). Every op
// that has more than one takes one of these; `automatic` lets the tuner time
// them on the device (VKNN_AUTOTUNE=0: asks the device profile), the others
// force a variant (tests run every variant on every
// device, benchmarks compare them).
#pragma once

namespace vknn::vk::ops {

enum class KernelVariant {
  automatic,         // measured (vulkan/tuning/autotuner.hpp); VKNN_AUTOTUNE=0: on CPU drivers
                     // winograd where it applies, else register_blocked; shared_tiled elsewhere
  register_blocked,  // no shared memory, no barriers; each invocation owns a block of outputs
  shared_tiled,      // workgroup tiles staged through shared memory
  winograd,          // conv2d forward and input gradient by Winograd F(2x2, 3x3), kernel gradient
                     // by F(3x3, 2x2): 3x3 kernels, stride 1, channel counts multiples of 4
                     // (conv2d_winograd_applies)
};

}  // namespace vknn::vk::ops
