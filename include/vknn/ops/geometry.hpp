// Op contracts: the shapes and layouts every backend agrees on.
//
// Each op family has a geometry struct that describes one invocation. A
// geometry is validated once (validate()), and throws vknn::Error naming the
// op, the shapes it got and what would be valid. Both backends (cpu/ and
// vulkan/) take the same structs, so a test can run one invocation on both.
//
// Layouts follow Keras, so weights move between vknn, Keras and PyTorch:
//   activations  NHWC, row-major: index ((n*H + y)*W + x)*C + c
//   conv kernel  (kh, kw, in_c, out_c): index ((ky*KW + kx)*IC + ic)*OC + oc
//   dense kernel (in, out): index i*OUT + o
//   biases       (out)
#pragma once

#include <cstdint>
#include <string>

namespace vknn {

enum class Padding { valid, same };
// softmax and sigmoid are output activations: a model allows them only on
// its last layer, where the loss fuses them.
enum class Activation { linear, relu, softmax, sigmoid };

const char* to_string(Padding padding);
const char* to_string(Activation activation);

// Output length and leading pad of one spatial axis, as TensorFlow computes
// them. valid: out = floor((in - k) / s) + 1, no padding (needs in >= k).
// same: out = ceil(in / s); total pad = max((out - 1) * s + k - in, 0), of
// which floor(total / 2) goes before (top/left) and the rest after.
struct AxisWindow {
  int out = 0;
  int pad_before = 0;
};
AxisWindow window_axis(int in, int kernel, int stride, Padding padding);

// Conv2D: y[n,oy,ox,oc] = bias[oc] + sum_{ky,kx,ic} x[n,iy,ix,ic] * k[ky,kx,ic,oc]
// with iy = oy*stride_h + ky - pad_top, ix = ox*stride_w + kx - pad_left, and
// taps outside the input contributing zero.
struct Conv2DGeometry {
  int batch = 1;
  int in_h = 1, in_w = 1, in_c = 1;
  int out_c = 1;
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  Padding padding = Padding::valid;

  void validate() const;  // throws vknn::Error
  // The window's placement along each axis (window_axis).
  AxisWindow rows() const;
  AxisWindow cols() const;
  int out_h() const { return rows().out; }
  int out_w() const { return cols().out; }
  int pad_top() const { return rows().pad_before; }
  int pad_left() const { return cols().pad_before; }
  std::int64_t input_size() const;   // batch*in_h*in_w*in_c
  std::int64_t output_size() const;  // batch*out_h*out_w*out_c
  std::int64_t kernel_size() const;  // kernel_h*kernel_w*in_c*out_c
  std::int64_t forward_flops() const;  // 2 * multiply-adds
  std::string describe() const;        // e.g. "input 32x28x28x1, kernel 3x3x1x64, stride 1x1, valid"
};

// A pooling window over NHWC input: MaxPooling2D, AveragePooling2D and
// (with the window the whole map) GlobalAveragePooling2D. In 'same' mode
// the padded taps are never part of a window's value:
// - max: y = max over the window's real taps. Backward routes dy to exactly
//   one input per window: the first maximum in row-major window order
//   (smallest ky, then smallest kx). Both backends use this tie rule.
// - average: y = mean over the window's real taps (TensorFlow divides by the
//   number of real taps, not the pool size). Backward spreads dy / that
//   count over the real taps.
struct Pool2DGeometry {
  int batch = 1;
  int in_h = 1, in_w = 1, channels = 1;
  int pool_h = 2, pool_w = 2;
  int stride_h = 2, stride_w = 2;  // Keras: strides default to the pool size
  Padding padding = Padding::valid;

  void validate() const;
  // The window's placement along each axis (window_axis).
  AxisWindow rows() const;
  AxisWindow cols() const;
  int out_h() const { return rows().out; }
  int out_w() const { return cols().out; }
  int pad_top() const { return rows().pad_before; }
  int pad_left() const { return cols().pad_before; }
  std::int64_t input_size() const;
  std::int64_t output_size() const;
  std::string describe() const;
  // Whether a max pooling can store its winners for its backward
  // (maxpool2d_forward_winners): windows that tile the input ('valid',
  // stride = pool) with fewer than 255 taps, and channels a multiple of 4,
  // so that each group of 4 channels' winner bytes is one 32-bit word. The
  // bytes are one per pooled element, NHWC: the tap ky * pool_w + kx of the
  // window's first maximum, or 255 (no gradient) where the pooling's input
  // is a relu's output and the maximum is not > 0.
  bool stores_winners() const;
  // Throws vknn::Error naming `op` and what is missing unless stores_winners().
  void require_stores_winners(const char* op) const;
  static constexpr std::uint8_t kNoWinner = 255;
};

// Conv2D + bias + relu + MaxPooling2D in one op: the first block of the
// course model (one input channel) and of RGB models. Forward:
//   y = maxpool(relu(conv2d(x))), each part as Conv2DGeometry and
//   Pool2DGeometry define it (the same winner and tie rule), without the
//   conv map ever being stored.
// Training also writes the window position of each pooled element's winner
// (first maximum of the conv outputs in row-major window order, tap
// ky * pool_w + kx) as one byte, or kNoWinner where the winner's relu output
// is 0 (its maximum is <= 0: the gradient is 0 for the whole window). Bytes
// are laid out (n, oy, ox, channel group of 4), four per 32-bit word:
// byte ((n * out_h + oy) * out_w + ox) * 4 * channel_groups() + c, with the
// bytes of channels past out_c set to kNoWinner; for out_c % 4 == 0 that is
// one byte per pooled element in NHWC order.
// Backward from winners: dx (the conv map's pre-relu gradient) gets dy at
// each window's winner and 0 everywhere else (also where no window reaches,
// floor rounding), exactly what maxpool2d_backward with the relu mask gives.
// Limits: with several input channels kernel_h * kernel_w * in_c <=
// kMaxKernelRows (any kernel on one channel); the pool's windows tile
// without overlap (stride == pool size, valid padding), over the conv's
// output map.
struct ConvReluPoolGeometry {
  static constexpr std::uint8_t kNoWinner = 255;
  static constexpr std::int64_t kMaxKernelRows = 256;
  Conv2DGeometry conv;
  Pool2DGeometry pool;

  // `conv` followed by the pool_h x pool_w pooling whose windows tile its
  // map (stride = pool, valid): the pair the fusion covers.
  static ConvReluPoolGeometry tiling(const Conv2DGeometry& conv, int pool_h, int pool_w);

  void validate() const;  // throws vknn::Error naming both layers' shapes
  int channel_groups() const { return (conv.out_c + 3) / 4; }
  std::int64_t winners_size() const;  // bytes: batch*out_h*out_w*4*channel_groups()
  std::string describe() const;
};

// Dense: y[n,o] = bias[o] + sum_i x[n,i] * k[i,o]
struct DenseGeometry {
  int batch = 1;
  int in_features = 1;
  int out_features = 1;

  void validate() const;
  std::int64_t forward_flops() const;
  std::string describe() const;
};

// Row-wise ops over (batch, classes): softmax, the fused softmax +
// sparse categorical cross-entropy, accuracy.
struct ClassesGeometry {
  int batch = 1;
  int classes = 1;

  void validate() const;
  std::string describe() const;
};

// Optimizer hyper-parameters. Keras defaults.
struct AdamConfig {
  float learning_rate = 0.001f;
  float beta_1 = 0.9f;
  float beta_2 = 0.999f;
  float epsilon = 1e-7f;
  // Throws vknn::Error naming `op` unless 0 <= beta_1, beta_2 < 1 and
  // epsilon > 0 (beta = 1 makes 1 - beta^t zero, epsilon = 0 turns a zero
  // first gradient into 0 / 0). The learning rate is checked where it is
  // read (it lives in the step state).
  void validate(const char* op) const;
};

// Inverted dropout: in training each element is kept with probability
// 1 - rate and scaled by 1 / (1 - rate), or zeroed. The mask of element i
// at optimizer step t is drawn from Philox4x32-10 with counter (i, t, 0, 0)
// and the 64-bit seed as key: identical on every backend, reproducible from
// the seed, recomputed (not stored) by the backward pass. An element is
// kept when the top 24 bits of the first output word are >= threshold().
struct DropoutConfig {
  float rate = 0.0f;
  std::uint64_t seed = 0;
  // The mask counter of the op's element 0: element i draws counter
  // first_element + i. A data-parallel rank whose slice starts at sample s
  // of the global batch passes s * features, so that N ranks drop exactly
  // the elements one process would.
  std::uint32_t first_element = 0;

  void validate() const;  // 0 <= rate < 1
  // round(rate * 2^24): the integer the 24 random bits are compared with.
  std::uint32_t threshold() const;
  // 1 / (1 - rate), computed in double and rounded once.
  float keep_scale() const;
  std::string describe() const;
};

// Keras RMSprop defaults (centered=False).
struct RmspropConfig {
  float learning_rate = 0.001f;
  float rho = 0.9f;
  float momentum = 0.0f;
  float epsilon = 1e-7f;
  // Throws unless 0 <= rho, momentum < 1 and epsilon > 0.
  void validate(const char* op) const;
};

// The learning-rate rule, the one place it is stated: a finite number >= 0
// (0 freezes training, as a schedule may ask; NaN or infinity would turn
// every weight into NaN at the first step). Every reader of a rate (compile,
// set_learning_rate, both backends' updates and step-state writes, the
// checkpoint reader) asks it.
bool learning_rate_is_valid(float learning_rate);
inline constexpr const char* kLearningRateRule = "a finite number >= 0";
// Throws vknn::Error "<where>: learning_rate must be a finite number >= 0,
// got <value> (...)" unless learning_rate_is_valid.
void validate_learning_rate(const char* where, float learning_rate);

struct SgdConfig {
  float learning_rate = 0.01f;
  float momentum = 0.0f;
};

}  // namespace vknn
