#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
// Softmax forward and backward, one workgroup per row, reducing with
// subgroup arithmetic: each subgroup reduces its lanes with subgroupMax /
// subgroupAdd, one lane per subgroup leaves the result in shared memory, and
// every invocation combines the gl_NumSubgroups partials. Nothing assumes a
// subgroup size: the workgroup may hold one subgroup or many, of any size.
// Needs subgroup arithmetic in compute (DeviceProfile::subgroup_arithmetic);
// softmax_shared.comp is the fallback.
//
// Contract, bindings, push constants, dispatch: see softmax_rows.glsl.
#include "common.glsl"

VKNN_WORKGROUP_LAYOUT;

// One slot per subgroup; a workgroup has at most local_size_x subgroups.
shared float partial[gl_WorkGroupSize.x];

float workgroup_max(float value) {
  value = subgroupMax(value);
  if (subgroupElect()) partial[gl_SubgroupID] = value;
  barrier();
  float result = partial[0];
  for (uint s = 1u; s < gl_NumSubgroups; ++s) result = max(result, partial[s]);
  // Every invocation has read the partials before the next reduction writes them.
  barrier();
  return result;
}

float workgroup_sum(float value) {
  value = subgroupAdd(value);
  if (subgroupElect()) partial[gl_SubgroupID] = value;
  barrier();
  float result = 0.0;
  for (uint s = 0u; s < gl_NumSubgroups; ++s) result += partial[s];
  barrier();
  return result;
}

#include "softmax_rows.glsl"
