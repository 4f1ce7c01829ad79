// MaxPooling2D, scalar reference.
//
// Forward and backward find each window's winner with the same function, so
// they cannot disagree about ties: the first maximum in row-major window
// order (smallest ky, then smallest kx) wins, as Pool2DGeometry specifies
// for every backend. In 'same' mode the padded taps are skipped, never
// compared: TensorFlow pads max pooling with -inf, not 0, so a window of
// negative values keeps its negative maximum. A 'same' window always holds
// at least one real tap (pad_before <= (pool - 1) / 2 and (out-1)*stride <
// in), so every window has a winner.
#include <cstdint>

#include "argument_checks.hpp"
#include "instantiate.hpp"
#include "vknn/cpu/reference_ops.hpp"

namespace vknn::cpu {
namespace {

using detail::require_buffers;

std::int64_t x_index(const Pool2DGeometry& g, int n, int iy, int ix, int c) {
  return ((std::int64_t(n) * g.in_h + iy) * g.in_w + ix) * g.channels + c;
}
std::int64_t y_index(const Pool2DGeometry& g, int n, int oy, int ox, int c) {
  return ((std::int64_t(n) * g.out_h() + oy) * g.out_w() + ox) * g.channels + c;
}

// Index into x of the winner of window (n, oy, ox, c).
template <class T>
std::int64_t window_winner(const Pool2DGeometry& g, const T* x, int n, int oy, int ox, int c) {
  std::int64_t winner = -1;
  for (int ky = 0; ky < g.pool_h; ++ky) {
    const int iy = oy * g.stride_h + ky - g.pad_top();
    if (iy < 0 || iy >= g.in_h) continue;  // padded tap: never a candidate
    for (int kx = 0; kx < g.pool_w; ++kx) {
      const int ix = ox * g.stride_w + kx - g.pad_left();
      if (ix < 0 || ix >= g.in_w) continue;
      const std::int64_t i = x_index(g, n, iy, ix, c);
      // Strictly greater: an equal value later in the window does not take
      // over, which is the "first maximum" tie rule.
      if (winner < 0 || x[i] > x[winner]) winner = i;
    }
  }
  return winner;
}

}  // namespace

template <class T>
void maxpool2d_forward(const Pool2DGeometry& g, const T* x, T* y) {
  g.validate();
  require_buffers("maxpool2d_forward", g, {{"x", x, g.input_size()}, {"y", y, g.output_size()}});
  const int out_h = g.out_h(), out_w = g.out_w();
  for (int n = 0; n < g.batch; ++n) {
    for (int oy = 0; oy < out_h; ++oy) {
      for (int ox = 0; ox < out_w; ++ox) {
        for (int c = 0; c < g.channels; ++c) {
          y[y_index(g, n, oy, ox, c)] = x[window_winner(g, x, n, oy, ox, c)];
        }
      }
    }
  }
}

template <class T>
void maxpool2d_backward(const Pool2DGeometry& g, const T* x, const T* dy, T* dx) {
  g.validate();
  require_buffers("maxpool2d_backward", g, {{"x", x, g.input_size()}, {"dy", dy, g.output_size()},
                                            {"dx", dx, g.input_size()}});
  // Inputs that win no window get no gradient.
  for (std::int64_t i = 0; i < g.input_size(); ++i) dx[i] = T(0);
  const int out_h = g.out_h(), out_w = g.out_w();
  for (int n = 0; n < g.batch; ++n) {
    for (int oy = 0; oy < out_h; ++oy) {
      for (int ox = 0; ox < out_w; ++ox) {
        for (int c = 0; c < g.channels; ++c) {
          // += : with overlapping windows (stride < pool) one input can win
          // several windows and receives the sum of their gradients.
          dx[window_winner(g, x, n, oy, ox, c)] += dy[y_index(g, n, oy, ox, c)];
        }
      }
    }
  }
}

VKNN_INSTANTIATE_FORWARD_BACKWARD(maxpool2d, const Pool2DGeometry&, float)
VKNN_INSTANTIATE_FORWARD_BACKWARD(maxpool2d, const Pool2DGeometry&, double)

}  // namespace vknn::cpu
