// Conv2D + bias + relu + MaxPooling2D, fused, and the
// pooling's backward from the winners the fused forward stored: scalar
// reference (contract: ConvReluPoolGeometry in vknn/ops/geometry.hpp).
//
// The forward is written as the composition of the conv2d_forward and
// maxpool2d_forward references on a temporary conv map, not as a loop of its
// own: the oracle of a fusion is the unfused pair, and this way the two
// cannot differ in a rounding or a tie. The winner search is the pool
// reference's rule (first maximum in row-major window order, strictly
// greater takes over), applied to the relu outputs; a window whose maximum
// is not > 0 passes no gradient (relu's backward), which is kNoWinner.
#include <cstdint>
#include <string>
#include <vector>

#include "argument_checks.hpp"
#include "vknn/cpu/reference_ops.hpp"

namespace vknn::cpu {
namespace {

using detail::elements;
using detail::require_buffer;

// Index of pooled element (n, oy, ox, c)'s winner byte.
std::int64_t winner_index(const ConvReluPoolGeometry& g, std::int64_t pixel, int c) {
  return pixel * 4 * g.channel_groups() + c;
}

void check_buffers(const char* op, const ConvReluPoolGeometry& g, const void* a, const char* a_name,
                   std::int64_t a_count, const void* b, const char* b_name, std::int64_t b_count) {
  require_buffer(op, a_name, a, elements(a_count) + " (" + g.describe() + ")");
  require_buffer(op, b_name, b, elements(b_count));
}

}  // namespace

template <class T>
void conv2d_relu_maxpool2d_forward(const ConvReluPoolGeometry& g, const T* x, const T* kernel,
                                   const T* bias, T* y, std::uint8_t* winners) {
  g.validate();
  const char* op = "conv2d_relu_maxpool2d_forward";
  check_buffers(op, g, x, "x", g.conv.input_size(), kernel, "kernel", g.conv.kernel_size());
  check_buffers(op, g, bias, "bias", g.conv.out_c, y, "y", g.pool.output_size());
  std::vector<T> map(static_cast<std::size_t>(g.conv.output_size()));
  conv2d_forward(g.conv, x, kernel, bias, map.data(), Activation::relu);
  maxpool2d_forward(g.pool, map.data(), y);
  if (winners == nullptr) return;  // prediction: no backward will run

  const Pool2DGeometry& p = g.pool;
  const int out_h = p.out_h(), out_w = p.out_w(), channels = p.channels;
  for (std::int64_t i = 0; i < g.winners_size(); ++i) winners[i] = ConvReluPoolGeometry::kNoWinner;
  for (int n = 0; n < p.batch; ++n) {
    for (int oy = 0; oy < out_h; ++oy) {
      for (int ox = 0; ox < out_w; ++ox) {
        const std::int64_t pixel = (std::int64_t(n) * out_h + oy) * out_w + ox;
        for (int c = 0; c < channels; ++c) {
          int tap = -1;
          T best = T(0);
          for (int ky = 0; ky < p.pool_h; ++ky) {
            for (int kx = 0; kx < p.pool_w; ++kx) {
              const int iy = oy * p.stride_h + ky, ix = ox * p.stride_w + kx;
              const T v = map[((std::int64_t(n) * p.in_h + iy) * p.in_w + ix) * channels + c];
              if (tap < 0 || v > best) {
                best = v;
                tap = ky * p.pool_w + kx;
              }
            }
          }
          // relu's backward: a maximum of 0 (every conv output <= 0) or
          // NaN passes nothing.
          if (best > T(0)) winners[winner_index(g, pixel, c)] = std::uint8_t(tap);
        }
      }
    }
  }
}

template <class T>
void maxpool2d_backward_from_winners(const ConvReluPoolGeometry& g, const T* dy,
                                     const std::uint8_t* winners, T* dx) {
  g.validate();
  const char* op = "maxpool2d_backward_from_winners";
  check_buffers(op, g, dy, "dy", g.pool.output_size(), winners, "winners", g.winners_size());
  require_buffer(op, "dx", dx, elements(g.pool.input_size()));
  const Pool2DGeometry& p = g.pool;
  // Conv outputs in no window (floor rounding) and the losers get 0.
  for (std::int64_t i = 0; i < p.input_size(); ++i) dx[i] = T(0);
  const int out_h = p.out_h(), out_w = p.out_w(), channels = p.channels;
  const int taps = p.pool_h * p.pool_w;
  for (int n = 0; n < p.batch; ++n) {
    for (int oy = 0; oy < out_h; ++oy) {
      for (int ox = 0; ox < out_w; ++ox) {
        const std::int64_t pixel = (std::int64_t(n) * out_h + oy) * out_w + ox;
        for (int c = 0; c < channels; ++c) {
          const int tap = winners[winner_index(g, pixel, c)];
          if (tap == ConvReluPoolGeometry::kNoWinner) continue;
          if (tap >= taps) {
            throw Error(std::string(op) + ": winner byte " + std::to_string(tap) +
                        " of pooled element " + std::to_string(pixel * channels + c) +
                        " is neither a tap of the " + std::to_string(p.pool_h) + "x" +
                        std::to_string(p.pool_w) + " window nor 255 (no winner); winners must "
                        "come from conv2d_relu_maxpool2d_forward with the same geometry (" +
                        g.describe() + ")");
          }
          const int iy = oy * p.stride_h + tap / p.pool_w, ix = ox * p.stride_w + tap % p.pool_w;
          dx[((std::int64_t(n) * p.in_h + iy) * p.in_w + ix) * channels + c] =
              dy[pixel * channels + c];
        }
      }
    }
  }
}

template <class T>
void conv2d_relu_maxpool2d_backward_params(const ConvReluPoolGeometry& g, const T* x, const T* dy,
                                           const std::uint8_t* winners, T* dkernel, T* dbias) {
  g.validate();
  std::vector<T> map(static_cast<std::size_t>(g.pool.input_size()));
  maxpool2d_backward_from_winners(g, dy, winners, map.data());
  conv2d_backward_kernel(g.conv, x, map.data(), dkernel);
  conv2d_backward_bias(g.conv, map.data(), dbias);
}

template void conv2d_relu_maxpool2d_forward<float>(const ConvReluPoolGeometry&, const float*,
                                                   const float*, const float*, float*,
                                                   std::uint8_t*);
template void conv2d_relu_maxpool2d_forward<double>(const ConvReluPoolGeometry&, const double*,
                                                    const double*, const double*, double*,
                                                    std::uint8_t*);
template void maxpool2d_backward_from_winners<float>(const ConvReluPoolGeometry&, const float*,
                                                     const std::uint8_t*, float*);
template void maxpool2d_backward_from_winners<double>(const ConvReluPoolGeometry&, const double*,
                                                      const std::uint8_t*, double*);
template void conv2d_relu_maxpool2d_backward_params<float>(const ConvReluPoolGeometry&,
                                                           const float*, const float*,
                                                           const std::uint8_t*, float*, float*);
template void conv2d_relu_maxpool2d_backward_params<double>(const ConvReluPoolGeometry&,
                                                            const double*, const double*,
                                                            const std::uint8_t*, double*, double*);

}  // namespace vknn::cpu
