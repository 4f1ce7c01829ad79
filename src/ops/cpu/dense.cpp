// Dense (fully connected), scalar reference.
//
// Layouts (vknn/ops/geometry.hpp): x (batch, in), kernel (in, out) as Keras
// stores it, y (batch, out). Sums are accumulated in double for both float
// and double (the oracle's precision; the seed model's first Dense reduces
// over 1600 inputs).
#include <cstdint>

#include "argument_checks.hpp"
#include "instantiate.hpp"
#include "vknn/cpu/reference_ops.hpp"

namespace vknn::cpu {
namespace {

using detail::require_buffers;

std::int64_t x_size(const DenseGeometry& g) { return std::int64_t(g.batch) * g.in_features; }
std::int64_t y_size(const DenseGeometry& g) { return std::int64_t(g.batch) * g.out_features; }
std::int64_t k_size(const DenseGeometry& g) {
  return std::int64_t(g.in_features) * g.out_features;
}

}  // namespace

// y[n,o] = act(bias[o] + sum_i x[n,i] * kernel[i,o]). act may be softmax
// (over each row's out_features, as Keras' Dense(activation='softmax')).
template <class T>
void dense_forward(const DenseGeometry& g, const T* x, const T* kernel, const T* bias, T* y,
                   Activation act) {
  g.validate();
  require_buffers("dense_forward", g, {{"x", x, x_size(g)}, {"kernel", kernel, k_size(g)},
                                       {"bias", bias, g.out_features}, {"y", y, y_size(g)}});
  const int in = g.in_features, out = g.out_features;
  for (int n = 0; n < g.batch; ++n) {
    for (int o = 0; o < out; ++o) {
      double sum = bias[o];
      for (int i = 0; i < in; ++i) {
        sum += double(x[std::int64_t(n) * in + i]) * double(kernel[std::int64_t(i) * out + o]);
      }
      T value = T(sum);
      // `value < 0` so that a NaN passes through relu (see relu_forward).
      if (act == Activation::relu && value < T(0)) value = T(0);
      y[std::int64_t(n) * out + o] = value;
    }
  }
  // softmax_forward may run in place; it is the same op the model would
  // otherwise run as a separate layer.
  if (act == Activation::softmax) softmax_forward(ClassesGeometry{g.batch, out}, y, y);
}

// dx[n,i] = sum_o dy[n,o] * kernel[i,o]
template <class T>
void dense_backward_input(const DenseGeometry& g, const T* dy, const T* kernel, T* dx) {
  g.validate();
  require_buffers("dense_backward_input", g, {{"dy", dy, y_size(g)},
                                              {"kernel", kernel, k_size(g)},
                                              {"dx", dx, x_size(g)}});
  const int in = g.in_features, out = g.out_features;
  for (int n = 0; n < g.batch; ++n) {
    for (int i = 0; i < in; ++i) {
      double sum = 0.0;
      for (int o = 0; o < out; ++o) {
        sum += double(dy[std::int64_t(n) * out + o]) * double(kernel[std::int64_t(i) * out + o]);
      }
      dx[std::int64_t(n) * in + i] = T(sum);
    }
  }
}

// dkernel[i,o] = sum_n x[n,i] * dy[n,o]
template <class T>
void dense_backward_kernel(const DenseGeometry& g, const T* x, const T* dy, T* dkernel) {
  g.validate();
  require_buffers("dense_backward_kernel", g, {{"x", x, x_size(g)}, {"dy", dy, y_size(g)},
                                               {"dkernel", dkernel, k_size(g)}});
  const int in = g.in_features, out = g.out_features;
  for (int i = 0; i < in; ++i) {
    for (int o = 0; o < out; ++o) {
      double sum = 0.0;
      for (int n = 0; n < g.batch; ++n) {
        sum += double(x[std::int64_t(n) * in + i]) * double(dy[std::int64_t(n) * out + o]);
      }
      dkernel[std::int64_t(i) * out + o] = T(sum);
    }
  }
}

// dbias[o] = sum_n dy[n,o]
template <class T>
void dense_backward_bias(const DenseGeometry& g, const T* dy, T* dbias) {
  g.validate();
  require_buffers("dense_backward_bias", g, {{"dy", dy, y_size(g)},
                                             {"dbias", dbias, g.out_features}});
  const int out = g.out_features;
  for (int o = 0; o < out; ++o) {
    double sum = 0.0;
    for (int n = 0; n < g.batch; ++n) sum += double(dy[std::int64_t(n) * out + o]);
    dbias[o] = T(sum);
  }
}

VKNN_INSTANTIATE_WEIGHTED_LAYER(dense, DenseGeometry, float)
VKNN_INSTANTIATE_WEIGHTED_LAYER(dense, DenseGeometry, double)

}  // namespace vknn::cpu
