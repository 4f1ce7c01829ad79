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
#include <string>

#include "argument_checks.hpp"
#include "instantiate.hpp"
#include "vknn/cpu/reference_ops.hpp"
#include "vknn/error.hpp"

namespace vknn::cpu {
namespace {

using detail::elements;
using detail::require_buffer;
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

template <class T>
void maxpool2d_forward_winners(const Pool2DGeometry& g, const T* x, T* y, std::uint8_t* winners,
                               bool relu_mask) {
  const char* op = "maxpool2d_forward_winners";
  g.validate();
  g.require_stores_winners(op);
  require_buffers(op, g, {{"x", x, g.input_size()}, {"y", y, g.output_size()}});
  require_buffer(op, "winners", winners, elements(g.output_size()));
  const int out_h = g.out_h(), out_w = g.out_w();
  for (int n = 0; n < g.batch; ++n) {
    for (int oy = 0; oy < out_h; ++oy) {
      for (int ox = 0; ox < out_w; ++ox) {
        for (int c = 0; c < g.channels; ++c) {
          const std::int64_t at = y_index(g, n, oy, ox, c);
          const std::int64_t winner = window_winner(g, x, n, oy, ox, c);
          y[at] = x[winner];
          // The tap from the winner's position: windows tile x ('valid').
          const std::int64_t pixel = winner / g.channels;
          const int iy = int((pixel / g.in_w) % g.in_h), ix = int(pixel % g.in_w);
          const int tap = (iy - oy * g.stride_h) * g.pool_w + (ix - ox * g.stride_w);
          winners[at] = relu_mask && !(x[winner] > T(0)) ? Pool2DGeometry::kNoWinner
                                                         : std::uint8_t(tap);
        }
      }
    }
  }
}

template <class T>
void maxpool2d_backward_winners(const Pool2DGeometry& g, const T* dy, const std::uint8_t* winners,
                                T* dx) {
  const char* op = "maxpool2d_backward_winners";
  g.validate();
  g.require_stores_winners(op);
  require_buffers(op, g, {{"dy", dy, g.output_size()}, {"dx", dx, g.input_size()}});
  require_buffer(op, "winners", winners, elements(g.output_size()));
  for (std::int64_t i = 0; i < g.input_size(); ++i) dx[i] = T(0);
  const int out_h = g.out_h(), out_w = g.out_w(), taps = g.pool_h * g.pool_w;
  for (int n = 0; n < g.batch; ++n) {
    for (int oy = 0; oy < out_h; ++oy) {
      for (int ox = 0; ox < out_w; ++ox) {
        for (int c = 0; c < g.channels; ++c) {
          const std::int64_t at = y_index(g, n, oy, ox, c);
          const int tap = winners[at];
          if (tap == Pool2DGeometry::kNoWinner) continue;
          if (tap >= taps) {
            throw Error(std::string(op) + ": winner byte " + std::to_string(tap) +
                        " of pooled element " + std::to_string(at) + " is neither a tap of the " +
                        std::to_string(g.pool_h) + "x" + std::to_string(g.pool_w) +
                        " window nor 255 (no winner); winners must come from "
                        "maxpool2d_forward_winners with the same geometry (" + g.describe() + ")");
          }
          const int ky = tap / g.pool_w, kx = tap % g.pool_w;
          dx[x_index(g, n, oy * g.stride_h + ky, ox * g.stride_w + kx, c)] = dy[at];
        }
      }
    }
  }
}

template void maxpool2d_forward_winners<float>(const Pool2DGeometry&, const float*, float*,
                                               std::uint8_t*, bool);
template void maxpool2d_forward_winners<double>(const Pool2DGeometry&, const double*, double*,
                                                std::uint8_t*, bool);
template void maxpool2d_backward_winners<float>(const Pool2DGeometry&, const float*,
                                                const std::uint8_t*, float*);
template void maxpool2d_backward_winners<double>(const Pool2DGeometry&, const double*,
                                                 const std::uint8_t*, double*);

VKNN_INSTANTIATE_FORWARD_BACKWARD(maxpool2d, const Pool2DGeometry&, float)
VKNN_INSTANTIATE_FORWARD_BACKWARD(maxpool2d, const Pool2DGeometry&, double)

}  // namespace vknn::cpu
