#version 450
#extension GL_GOOGLE_include_directive : require
// store_batch: destination[step.batch_index * stride + first + i] = source[i] for
// i < count (stride: the elements of a full batch; count: of this one, which
// is smaller for a partial last batch). Lets a replayed predict step put each batch's output in its
// place in one whole-dataset output buffer, with the batch read from the
// device-side step state rather than baked into the recording.
//
// Bindings: 0 source (float[count], read), 1 step state (read),
//           2 destination (float[], written).
// Push: count (elements to copy), stride (elements per full batch),
//       destination_count (bounds guard), first (a micro-batch's offset in
//       its batch's stride; first + count <= stride).
// Dispatch: one invocation per element, grid-stride over count.
#include "common.glsl"
#include "step_state.glsl"

VKNN_WORKGROUP_LAYOUT;

layout(set = 0, binding = 0) readonly buffer Source { float source[]; };
VKNN_STEP_STATE_BUFFER(1, readonly);
layout(set = 0, binding = 2) writeonly buffer Destination { float destination[]; };
layout(push_constant) uniform Push {
  uint count;
  uint stride;
  uint destination_count;
  uint first;
} p;

void main() {
  const uint offset = step.batch_index * p.stride + p.first;
  const uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < p.count; i += stride) {
    // A batch index past the end (a bug upstream) must not write out of
    // bounds; the host checks the sizes when it records.
    if (offset + i < p.destination_count) destination[offset + i] = source[i];
  }
}
