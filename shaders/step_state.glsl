// The device-side step state: everything a replayed training step needs
// that changes from one step to the next. A recorded step never bakes these
// in; it reads them here, and its last dispatch (step_advance.comp) moves
// them on, so the same command buffer trains on batch after batch.
//
// Layout (std430, 32 bytes; mirrored and static_asserted by
// src/ops/vulkan/step_state.hpp):
//   offset  0  uint  batch_index        batch of the epoch this step works on;
//                                       gather_batch reads samples
//                                       order[batch_index * batch_size + i]
//   offset  4  uint  iterations         optimizer updates completed so far
//                                       (Keras' optimizer.iterations); the
//                                       update in this step is Adam's
//                                       t = iterations + 1
//   offset  8  float learning_rate      read by every optimizer update; the
//                                       host may rewrite it between steps
//                                       (schedules) without re-recording
//   offset 12  uint  batches_per_epoch  step_advance wraps batch_index to 0
//                                       and counts an epoch when it gets
//                                       here; 0 means never wrap
//   offset 16  uint  epoch              epochs completed by such wraps
//   offset 20  uint  reserved[3]        zero; room to grow without moving
//                                       the fields above
#ifndef VKNN_STEP_STATE_GLSL
#define VKNN_STEP_STATE_GLSL

struct StepState {
  uint batch_index;
  uint iterations;
  float learning_rate;
  uint batches_per_epoch;
  uint epoch;
  uint reserved0;
  uint reserved1;
  uint reserved2;
};

// Declares the step state buffer at `binding` of set 0 as the variable
// `step`. `access` is readonly for ops that only read it, empty for
// step_advance.comp.
#define VKNN_STEP_STATE_BUFFER(binding_index, access)                      \
  layout(set = 0, binding = binding_index, std430) access buffer StepStateBlock { \
    StepState step;                                                        \
  }

#endif
