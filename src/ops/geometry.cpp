#include "vknn/ops/geometry.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <sstream>

#include "vknn/error.hpp"

namespace vknn {

const char* to_string(Padding padding) {
  return padding == Padding::valid ? "valid" : "same";
}

const char* to_string(Activation activation) {
  switch (activation) {
    case Activation::linear: return "linear";
    case Activation::relu: return "relu";
    case Activation::softmax: return "softmax";
    case Activation::sigmoid: return "sigmoid";
  }
  return "unknown";
}

AxisWindow window_axis(int in, int kernel, int stride, Padding padding) {
  AxisWindow w;
  if (padding == Padding::valid) {
    w.out = in >= kernel ? (in - kernel) / stride + 1 : 0;
    w.pad_before = 0;
  } else {
    w.out = (in + stride - 1) / stride;
    int total = std::max((w.out - 1) * stride + kernel - in, 0);
    w.pad_before = total / 2;
  }
  return w;
}

namespace {

void require_positive(const char* op, const char* what, int value, const std::string& shapes) {
  if (value <= 0) {
    std::ostringstream msg;
    msg << op << ": " << what << " must be positive, got " << value << " (" << shapes << ")";
    throw Error(msg.str());
  }
}

struct NamedSize {
  const char* name;
  int value;
};

// A sliding-window op's checks (conv2d's kernel, pool2d's pool): every size
// positive, and a valid window that fits the input.
void require_window_op(const char* op, const char* window, std::initializer_list<NamedSize> sizes,
                       int in_h, int in_w, int k_h, int k_w, Padding padding,
                       const std::string& shapes);

// Valid windows need the kernel to fit the input; say what would work.
void require_window_fits(const char* op, const char* kind, int in_h, int in_w, int k_h, int k_w,
                         Padding padding, const std::string& shapes) {
  if (padding == Padding::valid && (k_h > in_h || k_w > in_w)) {
    std::ostringstream msg;
    msg << op << ": " << kind << " " << k_h << "x" << k_w << " does not fit a " << in_h << "x"
        << in_w << " input with padding 'valid' (" << shapes << "); use padding 'same' or a "
        << kind << " of at most " << in_h << "x" << in_w;
    throw Error(msg.str());
  }
}

void require_window_op(const char* op, const char* window, std::initializer_list<NamedSize> sizes,
                       int in_h, int in_w, int k_h, int k_w, Padding padding,
                       const std::string& shapes) {
  for (const NamedSize& size : sizes) require_positive(op, size.name, size.value, shapes);
  require_window_fits(op, window, in_h, in_w, k_h, k_w, padding, shapes);
}

}  // namespace

// ---- Conv2D ----------------------------------------------------------------

void Conv2DGeometry::validate() const {
  require_window_op("conv2d", "kernel",
                    {{"batch", batch}, {"input height", in_h}, {"input width", in_w},
                     {"input channels", in_c}, {"filters", out_c}, {"kernel height", kernel_h},
                     {"kernel width", kernel_w}, {"stride height", stride_h},
                     {"stride width", stride_w}},
                    in_h, in_w, kernel_h, kernel_w, padding, describe());
}

AxisWindow Conv2DGeometry::rows() const { return window_axis(in_h, kernel_h, stride_h, padding); }
AxisWindow Conv2DGeometry::cols() const { return window_axis(in_w, kernel_w, stride_w, padding); }
std::int64_t Conv2DGeometry::input_size() const {
  return std::int64_t(batch) * in_h * in_w * in_c;
}
std::int64_t Conv2DGeometry::output_size() const {
  return std::int64_t(batch) * out_h() * out_w() * out_c;
}
std::int64_t Conv2DGeometry::kernel_size() const {
  return std::int64_t(kernel_h) * kernel_w * in_c * out_c;
}
std::int64_t Conv2DGeometry::forward_flops() const {
  return 2 * output_size() * kernel_h * kernel_w * in_c;
}
std::string Conv2DGeometry::describe() const {
  std::ostringstream s;
  s << "input " << batch << "x" << in_h << "x" << in_w << "x" << in_c << ", kernel " << kernel_h
    << "x" << kernel_w << "x" << in_c << "x" << out_c << ", stride " << stride_h << "x"
    << stride_w << ", padding " << to_string(padding);
  return s.str();
}

// ---- MaxPooling2D ----------------------------------------------------------

void Pool2DGeometry::validate() const {
  require_window_op("pool2d", "pool",
                    {{"batch", batch}, {"input height", in_h}, {"input width", in_w},
                     {"channels", channels}, {"pool height", pool_h}, {"pool width", pool_w},
                     {"stride height", stride_h}, {"stride width", stride_w}},
                    in_h, in_w, pool_h, pool_w, padding, describe());
}

AxisWindow Pool2DGeometry::rows() const { return window_axis(in_h, pool_h, stride_h, padding); }
AxisWindow Pool2DGeometry::cols() const { return window_axis(in_w, pool_w, stride_w, padding); }
std::int64_t Pool2DGeometry::input_size() const {
  return std::int64_t(batch) * in_h * in_w * channels;
}
std::int64_t Pool2DGeometry::output_size() const {
  return std::int64_t(batch) * out_h() * out_w() * channels;
}
bool Pool2DGeometry::stores_winners() const {
  return padding == Padding::valid && stride_h == pool_h && stride_w == pool_w &&
         pool_h * pool_w < int(kNoWinner) && channels % 4 == 0;
}
void Pool2DGeometry::require_stores_winners(const char* op) const {
  if (!stores_winners()) {
    throw Error(std::string(op) + ": the pooling " + describe() +
                " cannot store its winners (it needs 'valid' windows with stride = pool, "
                "fewer than 255 taps, and channels a multiple of 4)");
  }
}
std::string Pool2DGeometry::describe() const {
  std::ostringstream s;
  s << "input " << batch << "x" << in_h << "x" << in_w << "x" << channels << ", pool " << pool_h
    << "x" << pool_w << ", stride " << stride_h << "x" << stride_w << ", padding "
    << to_string(padding);
  return s.str();
}

// ---- Conv2D + relu + MaxPooling2D, fused -------------------------------------

void ConvReluPoolGeometry::validate() const {
  conv.validate();
  pool.validate();
  auto refuse = [&](const std::string& why) {
    throw Error("conv2d_relu_maxpool2d: " + why + " (" + describe() + ")");
  };
  // Every invocation holds the kernel rows (ky, kx, ci) of its channels in
  // registers, unrolled: a bound on what a shader is built for, far above
  // the first layers it is made for (RGB 3x3: 27 rows).
  if (conv.in_c > 1 && std::int64_t(conv.kernel_h) * conv.kernel_w * conv.in_c > kMaxKernelRows) {
    refuse("the fused op holds at most " + std::to_string(kMaxKernelRows) +
           " kernel rows (kernel_h * kernel_w * input channels) with several input channels, got " +
           std::to_string(std::int64_t(conv.kernel_h) * conv.kernel_w * conv.in_c) +
           "; record conv2d_forward and maxpool2d_forward instead");
  }
  if (pool.batch != conv.batch || pool.in_h != conv.out_h() || pool.in_w != conv.out_w() ||
      pool.channels != conv.out_c) {
    refuse("the pool's input must be the conv's output " + std::to_string(conv.batch) + "x" +
           std::to_string(conv.out_h()) + "x" + std::to_string(conv.out_w()) + "x" +
           std::to_string(conv.out_c));
  }
  if (pool.padding != Padding::valid || pool.stride_h != pool.pool_h ||
      pool.stride_w != pool.pool_w) {
    refuse("the pool's windows must tile without overlap: valid padding and stride equal to "
           "the pool size");
  }
  if (std::int64_t(pool.pool_h) * pool.pool_w > kNoWinner) {
    refuse("a pool window of more than 255 taps does not fit a winner byte");
  }
}

ConvReluPoolGeometry ConvReluPoolGeometry::tiling(const Conv2DGeometry& conv, int pool_h,
                                                  int pool_w) {
  return {conv, Pool2DGeometry{.batch = conv.batch, .in_h = conv.out_h(), .in_w = conv.out_w(),
                               .channels = conv.out_c, .pool_h = pool_h, .pool_w = pool_w,
                               .stride_h = pool_h, .stride_w = pool_w,
                               .padding = Padding::valid}};
}

std::int64_t ConvReluPoolGeometry::winners_size() const {
  return std::int64_t(pool.batch) * pool.out_h() * pool.out_w() * 4 * channel_groups();
}

std::string ConvReluPoolGeometry::describe() const {
  return "conv " + conv.describe() + "; pool " + pool.describe();
}

// ---- Dense -----------------------------------------------------------------

void DenseGeometry::validate() const {
  const std::string s = describe();
  require_positive("dense", "batch", batch, s);
  require_positive("dense", "input features", in_features, s);
  require_positive("dense", "units", out_features, s);
}
std::int64_t DenseGeometry::forward_flops() const {
  return 2 * std::int64_t(batch) * in_features * out_features;
}
std::string DenseGeometry::describe() const {
  std::ostringstream s;
  s << "input " << batch << "x" << in_features << ", kernel " << in_features << "x"
    << out_features;
  return s.str();
}

// ---- Row-wise class ops ----------------------------------------------------

void ClassesGeometry::validate() const {
  const std::string s = describe();
  require_positive("softmax", "batch", batch, s);
  require_positive("softmax", "classes", classes, s);
}
std::string ClassesGeometry::describe() const {
  std::ostringstream s;
  s << "logits " << batch << "x" << classes;
  return s.str();
}

// ---- Dropout ---------------------------------------------------------------

void DropoutConfig::validate() const {
  if (!(rate >= 0.0f && rate < 1.0f)) {
    std::ostringstream s;
    s << "dropout: rate must be in [0, 1), got " << rate
      << " (the fraction of inputs dropped; 1 would drop everything)";
    throw Error(s.str());
  }
}

std::uint32_t DropoutConfig::threshold() const {
  return std::uint32_t(std::llround(double(rate) * 16777216.0));
}

float DropoutConfig::keep_scale() const { return float(1.0 / (1.0 - double(rate))); }

std::string DropoutConfig::describe() const {
  std::ostringstream s;
  s << "rate " << rate << ", seed " << seed;
  if (first_element != 0) s << ", first element " << first_element;
  return s.str();
}

// ---- Optimizer hyper-parameters ----------------------------------------------

bool learning_rate_is_valid(float learning_rate) {
  return std::isfinite(learning_rate) && learning_rate >= 0.0f;
}

void validate_learning_rate(const char* where, float learning_rate) {
  if (!learning_rate_is_valid(learning_rate)) {
    std::ostringstream msg;
    msg << where << ": learning_rate must be " << kLearningRateRule << ", got " << learning_rate
        << " (a learning rate of 0 leaves the weights as they are; NaN or infinity would make "
           "them NaN)";
    throw Error(msg.str());
  }
}

void AdamConfig::validate(const char* op) const {
  // `!(...)` refuses NaN too.
  if (!(beta_1 >= 0.0f && beta_1 < 1.0f) || !(beta_2 >= 0.0f && beta_2 < 1.0f) ||
      !(epsilon > 0.0f)) {
    std::ostringstream msg;
    msg << op << ": Adam needs beta_1 and beta_2 in [0, 1) and epsilon > 0, got beta_1 " << beta_1
        << ", beta_2 " << beta_2 << ", epsilon " << epsilon;
    throw Error(msg.str());
  }
}

void RmspropConfig::validate(const char* op) const {
  if (!(rho >= 0.0f && rho < 1.0f) || !(momentum >= 0.0f && momentum < 1.0f) ||
      !(epsilon > 0.0f)) {
    std::ostringstream msg;
    msg << op << ": RMSprop needs rho and momentum in [0, 1) and epsilon > 0, got rho " << rho
        << ", momentum " << momentum << ", epsilon " << epsilon;
    throw Error(msg.str());
  }
}

}  // namespace vknn
