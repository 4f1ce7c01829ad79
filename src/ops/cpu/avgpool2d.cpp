// AveragePooling2D (and GlobalAveragePooling2D, a window over the whole
// map), scalar reference.
//
// Each window averages its real taps only: in 'same' mode TensorFlow divides
// a border window by the number of input pixels it covers, not by the pool
// size. Backward hands each tap dy / that count; overlapping windows add up.
// Taps are visited in row-major window order on both backends, so the float
// sums match the shaders' order.
#include <cstdint>

#include "argument_checks.hpp"
#include "vknn/cpu/reference_ops.hpp"

namespace vknn::cpu {
namespace {

using detail::require_buffers;

// The real taps of window (oy, ox): rows [y0, y1), columns [x0, x1).
struct Window {
  int y0, y1, x0, x1;
  int count() const { return (y1 - y0) * (x1 - x0); }
};

Window window_of(const Pool2DGeometry& g, int oy, int ox) {
  const int top = oy * g.stride_h - g.pad_top();
  const int left = ox * g.stride_w - g.pad_left();
  Window w;
  w.y0 = top < 0 ? 0 : top;
  w.y1 = top + g.pool_h > g.in_h ? g.in_h : top + g.pool_h;
  w.x0 = left < 0 ? 0 : left;
  w.x1 = left + g.pool_w > g.in_w ? g.in_w : left + g.pool_w;
  return w;
}

std::int64_t x_index(const Pool2DGeometry& g, int n, int iy, int ix, int c) {
  return ((std::int64_t(n) * g.in_h + iy) * g.in_w + ix) * g.channels + c;
}
std::int64_t y_index(const Pool2DGeometry& g, int n, int oy, int ox, int c) {
  return ((std::int64_t(n) * g.out_h() + oy) * g.out_w() + ox) * g.channels + c;
}

}  // namespace

template <class T>
void avgpool2d_forward(const Pool2DGeometry& g, const T* x, T* y) {
  g.validate();
  require_buffers("avgpool2d_forward", g, {{"x", x, g.input_size()}, {"y", y, g.output_size()}});
  for (int n = 0; n < g.batch; ++n) {
    for (int oy = 0; oy < g.out_h(); ++oy) {
      for (int ox = 0; ox < g.out_w(); ++ox) {
        const Window w = window_of(g, oy, ox);
        for (int c = 0; c < g.channels; ++c) {
          T sum = T(0);
          for (int iy = w.y0; iy < w.y1; ++iy) {
            for (int ix = w.x0; ix < w.x1; ++ix) sum += x[x_index(g, n, iy, ix, c)];
          }
          y[y_index(g, n, oy, ox, c)] = sum / T(w.count());
        }
      }
    }
  }
}

template <class T>
void avgpool2d_backward(const Pool2DGeometry& g, const T* dy, T* dx) {
  g.validate();
  require_buffers("avgpool2d_backward", g, {{"dy", dy, g.output_size()},
                                            {"dx", dx, g.input_size()}});
  // Inputs outside every window (floor rounding, stride > pool) get 0.
  for (std::int64_t i = 0; i < g.input_size(); ++i) dx[i] = T(0);
  for (int n = 0; n < g.batch; ++n) {
    for (int oy = 0; oy < g.out_h(); ++oy) {
      for (int ox = 0; ox < g.out_w(); ++ox) {
        const Window w = window_of(g, oy, ox);
        for (int c = 0; c < g.channels; ++c) {
          const T share = dy[y_index(g, n, oy, ox, c)] / T(w.count());
          for (int iy = w.y0; iy < w.y1; ++iy) {
            for (int ix = w.x0; ix < w.x1; ++ix) dx[x_index(g, n, iy, ix, c)] += share;
          }
        }
      }
    }
  }
}

template void avgpool2d_forward<float>(const Pool2DGeometry&, const float*, float*);
template void avgpool2d_forward<double>(const Pool2DGeometry&, const double*, double*);
template void avgpool2d_backward<float>(const Pool2DGeometry&, const float*, float*);
template void avgpool2d_backward<double>(const Pool2DGeometry&, const double*, double*);

}  // namespace vknn::cpu
