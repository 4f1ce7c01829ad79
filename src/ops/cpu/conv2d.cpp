// Conv2D, scalar reference: the oracle the conv shaders are checked against.
//
// Layouts (vknn/ops/geometry.hpp): x and y NHWC, kernel (kh, kw, in_c, out_c).
// Output (oy, ox) reads input row iy = oy*stride_h + ky - pad_top and column
// ix = ox*stride_w + kx - pad_left; taps outside the input are zero padding,
// so they are skipped rather than read.
//
// Sums are accumulated in double for both float and double: this is the
// oracle, and a long float reduction (576 taps in the seed model's second
// conv, batch*H*W terms in dkernel) would otherwise carry its own rounding
// error into every cross-check.
#include <cstdint>
#include <vector>

#include "argument_checks.hpp"
#include "instantiate.hpp"
#include "vknn/cpu/reference_ops.hpp"

namespace vknn::cpu {
namespace {

using detail::require_buffers;

std::int64_t x_index(const Conv2DGeometry& g, int n, int iy, int ix, int ic) {
  return ((std::int64_t(n) * g.in_h + iy) * g.in_w + ix) * g.in_c + ic;
}
std::int64_t y_index(const Conv2DGeometry& g, int n, int oy, int ox, int oc) {
  return ((std::int64_t(n) * g.out_h() + oy) * g.out_w() + ox) * g.out_c + oc;
}
std::int64_t k_index(const Conv2DGeometry& g, int ky, int kx, int ic, int oc) {
  return ((std::int64_t(ky) * g.kernel_w + kx) * g.in_c + ic) * g.out_c + oc;
}

}  // namespace

template <class T>
void conv2d_forward(const Conv2DGeometry& g, const T* x, const T* kernel, const T* bias, T* y,
                    Activation act) {
  g.validate();
  require_buffers("conv2d_forward", g, {{"x", x, g.input_size()},
                                        {"kernel", kernel, g.kernel_size()},
                                        {"bias", bias, g.out_c}, {"y", y, g.output_size()}});
  if (act == Activation::softmax) {
    // A softmax over channels is not a fused conv activation in any model
    // vknn builds; refusing it keeps both backends' contracts identical.
    throw Error("conv2d_forward: activation 'softmax' is not supported (" + g.describe() +
                "); use 'linear' or 'relu' and apply softmax_forward separately");
  }
  const int out_h = g.out_h(), out_w = g.out_w();
  const int pad_top = g.pad_top(), pad_left = g.pad_left();
  for (int n = 0; n < g.batch; ++n) {
    for (int oy = 0; oy < out_h; ++oy) {
      for (int ox = 0; ox < out_w; ++ox) {
        for (int oc = 0; oc < g.out_c; ++oc) {
          double sum = bias[oc];
          for (int ky = 0; ky < g.kernel_h; ++ky) {
            const int iy = oy * g.stride_h + ky - pad_top;
            if (iy < 0 || iy >= g.in_h) continue;  // zero padding
            for (int kx = 0; kx < g.kernel_w; ++kx) {
              const int ix = ox * g.stride_w + kx - pad_left;
              if (ix < 0 || ix >= g.in_w) continue;  // zero padding
              for (int ic = 0; ic < g.in_c; ++ic) {
                sum += double(x[x_index(g, n, iy, ix, ic)]) *
                       double(kernel[k_index(g, ky, kx, ic, oc)]);
              }
            }
          }
          T out = T(sum);
          // `out < 0` rather than `out > 0 ? out : 0` so that a NaN passes
          // through relu and TerminateOnNaN still sees it.
          if (act == Activation::relu && out < T(0)) out = T(0);
          y[y_index(g, n, oy, ox, oc)] = out;
        }
      }
    }
  }
}

// dx[n,iy,ix,ic] = sum over every (output, tap) that read x[n,iy,ix,ic] of
// dy * kernel. Written as a scatter from each output, the mirror image of
// the forward loop, so the index arithmetic is the forward's and needs no
// inversion; the scatter goes into a double buffer, then rounds once.
template <class T>
void conv2d_backward_input(const Conv2DGeometry& g, const T* dy, const T* kernel, T* dx) {
  g.validate();
  require_buffers("conv2d_backward_input", g, {{"dy", dy, g.output_size()},
                                               {"kernel", kernel, g.kernel_size()},
                                               {"dx", dx, g.input_size()}});
  const int out_h = g.out_h(), out_w = g.out_w();
  const int pad_top = g.pad_top(), pad_left = g.pad_left();
  std::vector<double> dx_sum(static_cast<std::size_t>(g.input_size()), 0.0);
  for (int n = 0; n < g.batch; ++n) {
    for (int oy = 0; oy < out_h; ++oy) {
      for (int ox = 0; ox < out_w; ++ox) {
        for (int oc = 0; oc < g.out_c; ++oc) {
          const double d = dy[y_index(g, n, oy, ox, oc)];
          for (int ky = 0; ky < g.kernel_h; ++ky) {
            const int iy = oy * g.stride_h + ky - pad_top;
            if (iy < 0 || iy >= g.in_h) continue;  // a padded tap has no input to credit
            for (int kx = 0; kx < g.kernel_w; ++kx) {
              const int ix = ox * g.stride_w + kx - pad_left;
              if (ix < 0 || ix >= g.in_w) continue;
              for (int ic = 0; ic < g.in_c; ++ic) {
                dx_sum[x_index(g, n, iy, ix, ic)] += d * double(kernel[k_index(g, ky, kx, ic, oc)]);
              }
            }
          }
        }
      }
    }
  }
  for (std::int64_t i = 0; i < g.input_size(); ++i) dx[i] = T(dx_sum[i]);
}

// dkernel[ky,kx,ic,oc] = sum over batch and output positions of x * dy: each
// kernel element's gradient is one reduction, so it is gathered directly.
template <class T>
void conv2d_backward_kernel(const Conv2DGeometry& g, const T* x, const T* dy, T* dkernel) {
  g.validate();
  require_buffers("conv2d_backward_kernel", g, {{"x", x, g.input_size()},
                                                {"dy", dy, g.output_size()},
                                                {"dkernel", dkernel, g.kernel_size()}});
  const int out_h = g.out_h(), out_w = g.out_w();
  const int pad_top = g.pad_top(), pad_left = g.pad_left();
  for (int ky = 0; ky < g.kernel_h; ++ky) {
    for (int kx = 0; kx < g.kernel_w; ++kx) {
      for (int ic = 0; ic < g.in_c; ++ic) {
        for (int oc = 0; oc < g.out_c; ++oc) {
          double sum = 0.0;
          for (int n = 0; n < g.batch; ++n) {
            for (int oy = 0; oy < out_h; ++oy) {
              const int iy = oy * g.stride_h + ky - pad_top;
              if (iy < 0 || iy >= g.in_h) continue;  // this tap read padding here
              for (int ox = 0; ox < out_w; ++ox) {
                const int ix = ox * g.stride_w + kx - pad_left;
                if (ix < 0 || ix >= g.in_w) continue;
                sum += double(x[x_index(g, n, iy, ix, ic)]) * double(dy[y_index(g, n, oy, ox, oc)]);
              }
            }
          }
          dkernel[k_index(g, ky, kx, ic, oc)] = T(sum);
        }
      }
    }
  }
}

// dbias[oc] = sum of dy over batch and output positions (the bias is added
// to every output of its channel).
template <class T>
void conv2d_backward_bias(const Conv2DGeometry& g, const T* dy, T* dbias) {
  g.validate();
  require_buffers("conv2d_backward_bias", g, {{"dy", dy, g.output_size()},
                                              {"dbias", dbias, g.out_c}});
  const int out_h = g.out_h(), out_w = g.out_w();
  for (int oc = 0; oc < g.out_c; ++oc) {
    double sum = 0.0;
    for (int n = 0; n < g.batch; ++n) {
      for (int oy = 0; oy < out_h; ++oy) {
        for (int ox = 0; ox < out_w; ++ox) sum += double(dy[y_index(g, n, oy, ox, oc)]);
      }
    }
    dbias[oc] = T(sum);
  }
}

VKNN_INSTANTIATE_WEIGHTED_LAYER(conv2d, Conv2DGeometry, float)
VKNN_INSTANTIATE_WEIGHTED_LAYER(conv2d, Conv2DGeometry, double)

}  // namespace vknn::cpu
