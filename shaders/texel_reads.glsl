// Read-only inputs as storage buffers or as uniform texel buffers.
//
// A shader that includes this file is compiled twice (cmake/VknnShaders.cmake):
// <name> declares its inputs as storage buffers, <name>_texel (with
// VKNN_TEXEL_READS) as uniform texel buffers of vec4s (R32G32B32A32_SFLOAT
// views; the host reads which bindings are texel buffers from the SPIR-V,
// src/vulkan/pipeline.hpp). Why: on
// lavapipe a storage buffer load is a loop over the SIMD lanes, one scalar
// load per lane and component behind a branch, while a texel fetch is a
// gather; the same shaders run 17-25% faster reading through texels
// (docs/performance.md). GPUs keep storage buffers (never timed with texels,
// and a texel view may hold as few as 65536 texels there).
//
//   VKNN_INPUT(b, name)       declares input binding b
//   VKNN_LOAD4(name, i)       its vec4 number i
//   VKNN_LOAD1(name, i)       its float number i
// Buffers are allocated in whole vec4s, so the vec4 holding a buffer's last
// float is inside the view.
#ifndef VKNN_TEXEL_READS_GLSL
#define VKNN_TEXEL_READS_GLSL

#ifdef VKNN_TEXEL_READS
#define VKNN_INPUT(b, name) layout(set = 0, binding = b) uniform samplerBuffer name
#define VKNN_LOAD4(name, i) texelFetch(name, int(i))
#define VKNN_LOAD1(name, i) texelFetch(name, int(i) >> 2)[int(i) & 3]
#else
#define VKNN_INPUT(b, name)                                                      \
  layout(set = 0, binding = b) readonly buffer name##_vec4s { vec4 name##_4[]; }; \
  layout(set = 0, binding = b) readonly buffer name##_floats { float name##_1[]; }
#define VKNN_LOAD4(name, i) name##_4[i]
#define VKNN_LOAD1(name, i) name##_1[i]
#endif

#endif
