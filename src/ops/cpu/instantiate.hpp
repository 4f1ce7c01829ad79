// Explicit instantiations of the reference ops' templates (private to
// src/ops/cpu) for the op families that share one set of signatures, so each
// family's list is written once. Expand inside namespace vknn::cpu.
#pragma once

#include "vknn/cpu/reference_ops.hpp"

// A weighted layer (conv2d, dense): op_forward with a fused activation and
// the three gradients, op_backward_input, op_backward_kernel and
// op_backward_bias, for `Geometry` and element type T.
#define VKNN_INSTANTIATE_WEIGHTED_LAYER(op, Geometry, T)                                       \
  template void op##_forward<T>(const Geometry&, const T*, const T*, const T*, T*, Activation); \
  template void op##_backward_input<T>(const Geometry&, const T*, const T*, T*);                \
  template void op##_backward_kernel<T>(const Geometry&, const T*, const T*, T*);               \
  template void op##_backward_bias<T>(const Geometry&, const T*, T*);

// An op with no parameters (relu, softmax, maxpool2d): op_forward(shape, x, y)
// and op_backward(shape, a forward buffer, dy, dx), where `Shape` is the type
// of the first argument as the op takes it (a count or a geometry reference).
#define VKNN_INSTANTIATE_FORWARD_BACKWARD(op, Shape, T)   \
  template void op##_forward<T>(Shape, const T*, T*); \
  template void op##_backward<T>(Shape, const T*, const T*, T*);
