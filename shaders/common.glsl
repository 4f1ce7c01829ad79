// Shared declarations for vknn's compute shaders.
//
// Workgroup sizes are specialization constants 0, 1, 2 on every shader
// (see src/vulkan/pipeline.hpp); op-specific constants start at id 3.
#ifndef VKNN_COMMON_GLSL
#define VKNN_COMMON_GLSL

#define VKNN_WORKGROUP_LAYOUT \
  layout(local_size_x_id = 0, local_size_y_id = 1, local_size_z_id = 2) in

// Ceil-division for index arithmetic.
uint div_up(uint a, uint b) { return (a + b - 1u) / b; }

#endif
