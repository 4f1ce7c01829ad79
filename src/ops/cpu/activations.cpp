// relu and softmax, scalar reference.
#include <cmath>
#include <cstdint>

#include "argument_checks.hpp"
#include "instantiate.hpp"
#include "vknn/cpu/reference_ops.hpp"

namespace vknn::cpu {

using detail::elements;
using detail::require_buffer;
using detail::require_count;

// ---- relu ----

template <class T>
void relu_forward(std::int64_t count, const T* x, T* y) {
  require_count("relu_forward", "count", count);
  if (count == 0) return;
  require_buffer("relu_forward", "x", x, elements(count));
  require_buffer("relu_forward", "y", y, elements(count));
  // `x < 0` rather than `x > 0 ? x : 0` so that a NaN passes through and
  // TerminateOnNaN still sees it.
  for (std::int64_t i = 0; i < count; ++i) y[i] = x[i] < T(0) ? T(0) : x[i];
}

// The mask is taken from relu's output: y > 0 exactly where x > 0, and the
// model keeps y (it is the next layer's input) but may not keep x.
template <class T>
void relu_backward(std::int64_t count, const T* y, const T* dy, T* dx) {
  require_count("relu_backward", "count", count);
  if (count == 0) return;
  require_buffer("relu_backward", "y", y, elements(count));
  require_buffer("relu_backward", "dy", dy, elements(count));
  require_buffer("relu_backward", "dx", dx, elements(count));
  for (std::int64_t i = 0; i < count; ++i) dx[i] = y[i] > T(0) ? dy[i] : T(0);
}

// ---- softmax ----

// Row by row: y = exp(x - max) / sum(exp(x - max)). Subtracting the row's
// maximum makes the largest exponent exp(0) = 1, so logits of 1000 do not
// overflow, and the sum is >= 1, so it never divides by zero. The sum is
// accumulated in double (the oracle's precision, see conv2d.cpp).
// Each y[c] is written only after x[c] and the row's max and sum are read,
// so x and y may be the same buffer (dense_forward relies on that).
template <class T>
void softmax_forward(const ClassesGeometry& g, const T* x, T* y) {
  g.validate();
  const std::int64_t size = std::int64_t(g.batch) * g.classes;
  require_buffer("softmax_forward", "x", x, elements(size) + " (" + g.describe() + ")");
  require_buffer("softmax_forward", "y", y, elements(size));
  for (int n = 0; n < g.batch; ++n) {
    const T* row_x = x + std::int64_t(n) * g.classes;
    T* row_y = y + std::int64_t(n) * g.classes;
    double max = row_x[0];
    for (int c = 1; c < g.classes; ++c) max = std::fmax(max, double(row_x[c]));
    double sum = 0.0;
    for (int c = 0; c < g.classes; ++c) sum += std::exp(double(row_x[c]) - max);
    for (int c = 0; c < g.classes; ++c) row_y[c] = T(std::exp(double(row_x[c]) - max) / sum);
  }
}

// The softmax Jacobian is dy_c/dx_j = y_c (delta_cj - y_j), so
// dx_j = sum_c dy_c y_c (delta_cj - y_j) = y_j (dy_j - sum_c dy_c y_c).
template <class T>
void softmax_backward(const ClassesGeometry& g, const T* y, const T* dy, T* dx) {
  g.validate();
  const std::int64_t size = std::int64_t(g.batch) * g.classes;
  require_buffer("softmax_backward", "y", y, elements(size) + " (" + g.describe() + ")");
  require_buffer("softmax_backward", "dy", dy, elements(size));
  require_buffer("softmax_backward", "dx", dx, elements(size));
  for (int n = 0; n < g.batch; ++n) {
    const std::int64_t row = std::int64_t(n) * g.classes;
    double dot = 0.0;
    for (int c = 0; c < g.classes; ++c) dot += double(dy[row + c]) * double(y[row + c]);
    for (int c = 0; c < g.classes; ++c) {
      dx[row + c] = T(double(y[row + c]) * (double(dy[row + c]) - dot));
    }
  }
}

VKNN_INSTANTIATE_FORWARD_BACKWARD(relu, std::int64_t, float)
VKNN_INSTANTIATE_FORWARD_BACKWARD(relu, std::int64_t, double)
VKNN_INSTANTIATE_FORWARD_BACKWARD(softmax, const ClassesGeometry&, float)
VKNN_INSTANTIATE_FORWARD_BACKWARD(softmax, const ClassesGeometry&, double)

}  // namespace vknn::cpu
