// Which shape of kernel an op with several is recorded in: one enum for the
// backend interface (the variant a test or benchmark forces on a whole
// program) and the Vulkan ops (the variant one dispatch uses).
//
// One meaning everywhere: `automatic` lets the device decide (the
// autotuner, vulkan/tuning/autotuner.hpp; VKNN_AUTOTUNE=0: the device
// profile); another value forces that variant. A backend given a forced
// variant records every op that has it in it, and the ops and shapes that
// lack it (winograd exists only for 3x3 stride-1 convolutions with channel
// counts that are multiples of 4) as `automatic`; a Vulkan op called with a
// variant its shape lacks throws instead.
#pragma once

namespace vknn {

enum class KernelVariant {
  automatic,         // measured; VKNN_AUTOTUNE=0: on CPU drivers winograd where it applies,
                     // else register_blocked; shared_tiled elsewhere
  register_blocked,  // no shared memory, no barriers; each invocation owns a block of outputs
  shared_tiled,      // workgroup tiles staged through shared memory
  winograd,          // conv2d forward and input gradient by Winograd F(2x2, 3x3), kernel gradient
                     // by F(3x3, 2x2): 3x3 kernels, stride 1, channel counts multiples of 4
                     // (conv2d_winograd_applies)
};

// "automatic", "register_blocked", "shared_tiled", "winograd": the names the
// tuning cache stores and tests print.
const char* variant_name(KernelVariant variant);

}  // namespace vknn
