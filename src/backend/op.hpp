// An op is a value: one struct per op of the backend interface, the single
// place its parameters are declared (geometry or configuration first, then
// the tensors it reads, then those it writes; optimizer state, read and
// written, in the order of the reference loops), and `Op`, the variant of them
// all. A model or a test describes an invocation as a value and hands it to
// ProgramBuilder::record (backend.hpp); each backend turns it into work with
// one visitor, so a new alternative that a backend does not handle fails to
// compile there, and the op table's coverage tests enumerate this variant.
//
// Shapes and layouts are the geometry's contract (vknn/ops/geometry.hpp);
// the comment on each struct adds what the op does with its tensors. Every
// op overwrites its outputs unless it says it accumulates.
//
// Tensors are references (a backend's DeviceTensor, never null), optional
// ones pointers. Everything else is Required: left out of a designated
// initializer it is a compile error, not a silent zero.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "backend/tensor.hpp"
#include "vknn/data/augmentation.hpp"
#include "vknn/ops/geometry.hpp"

namespace vknn::backend {

// A parameter an op cannot do without. C++ value-initializes a member that
// a designated initializer leaves out (GCC 12 does not warn), so a
// forgotten count would be 0 and a forgotten geometry a 1x1 one. Required
// has no default constructor: leaving it out does not compile. Class types
// are inherited (op.geometry.batch reads as before), scalars converted.
template <class T, bool = std::is_class_v<T>>
struct Required : T {
  Required(const T& value) : T(value) {}  // implicit: `.geometry = g` reads as a plain member
};
template <class T>
struct Required<T, false> {
  Required(T v) : value(v) {}
  operator T() const { return value; }
  T value;
};

namespace op {

// x[i] = images[order[state.batch_index * batch_size + first + i]] / 255,
// labels likewise, for i < count. `first`: where this gather starts within
// the step's batch, non-zero for the later micro-batches of a batch split
// to fit the device (first + count <= batch_size).
struct GatherBatch {
  static constexpr std::string_view name = "gather_batch";
  Required<std::uint32_t> sample_size, batch_size, count;
  std::uint32_t first = 0;
  const DeviceTensor &images, &labels, &order, &state;
  const DeviceTensor &x, &labels_out;
};

// The same for a float dataset (Backend::float_dataset), values copied as
// they are: x[i] = values[order[state.batch_index * batch_size + first + i]].
struct GatherFloatBatch {
  static constexpr std::string_view name = "gather_float_batch";
  Required<std::uint32_t> sample_size, batch_size, count;
  std::uint32_t first = 0;
  const DeviceTensor &values, &labels, &order, &state;
  const DeviceTensor &x, &labels_out;
};

// A gather with Keras's ImageDataGenerator augmentation (vknn/data/
// augmentation.hpp) fused in: sample i = order[state.batch_index *
// batch_size + first + i] of `images` (a uint8 tensor, converted / 255 as
// GatherBatch does, or a float dataset, as GatherFloatBatch) is gathered
// through its own random affine transform, drawn from (the sample,
// state.iterations) under augmentation.seed, sampled bilinearly with the
// fill mode (vknn::cpu::gather_augmented_batch). Pictures are HWC, height x
// width x channels. `first`: this recording's offset within the step's
// batch (micro-batches); the draw does not depend on it.
struct GatherAugmentedBatch {
  static constexpr std::string_view name = "gather_augmented_batch";
  Required<Augmentation> augmentation;
  Required<std::uint32_t> height, width, channels, batch_size, first, count;
  const DeviceTensor &images, &labels, &order, &state;
  const DeviceTensor &x, &labels_out;
  // uint32 per dataset slot: the sample the draw is keyed by (a streamed
  // window's slots hold other samples every window, and each must draw what
  // it draws resident). Null: the slot is the sample.
  const DeviceTensor* keys = nullptr;
};

// y = activation(conv(x, kernel) + bias).
struct Conv2dForward {
  static constexpr std::string_view name = "conv2d_forward";
  Required<Conv2DGeometry> geometry;
  Required<Activation> activation;
  const DeviceTensor &x, &kernel, &bias;
  const DeviceTensor& y;
};

// dx from dy, the gradient at the conv's linear output.
struct Conv2dBackwardInput {
  static constexpr std::string_view name = "conv2d_backward_input";
  Required<Conv2DGeometry> geometry;
  const DeviceTensor &dy, &kernel;
  const DeviceTensor& dx;
};

struct Conv2dBackwardKernel {
  static constexpr std::string_view name = "conv2d_backward_kernel";
  Required<Conv2DGeometry> geometry;
  const DeviceTensor &x, &dy;
  const DeviceTensor& dkernel;
};

struct Conv2dBackwardBias {
  static constexpr std::string_view name = "conv2d_backward_bias";
  Required<Conv2DGeometry> geometry;
  const DeviceTensor& dy;
  const DeviceTensor& dbias;
};

// winners: nullptr, or (where geometry.stores_winners()) a u8 tensor of
// geometry.output_size() that receives each window's winner for the
// backward (Pool2DGeometry says how; relu_mask as the backward will be
// given it).
struct Maxpool2dForward {
  static constexpr std::string_view name = "maxpool2d_forward";
  Required<Pool2DGeometry> geometry;
  const DeviceTensor& x;
  const DeviceTensor& y;
  const DeviceTensor* winners = nullptr;
  bool relu_mask = false;
};

// relu_mask: x is a relu's output; dx is then the gradient at the relu's
// input (zero where x <= 0), the relu's backward fused in. winners: the
// forward's (written with the same relu_mask); then x is not read, and dy
// goes straight to each winner: no window is compared again.
struct Maxpool2dBackward {
  static constexpr std::string_view name = "maxpool2d_backward";
  Required<Pool2DGeometry> geometry;
  Required<bool> relu_mask;
  const DeviceTensor &x, &dy;
  const DeviceTensor& dx;
  const DeviceTensor* winners = nullptr;
};

// Conv2D (any input channels) + bias + relu + MaxPooling2D with
// non-overlapping windows in one op: y is the pooled map; the conv map is
// never stored. winners: nullptr in prediction; in training a u8 tensor of
// geometry.winners_size() that the backward ops below read.
struct Conv2dReluMaxpool2dForward {
  static constexpr std::string_view name = "conv2d_relu_maxpool2d_forward";
  Required<ConvReluPoolGeometry> geometry;
  const DeviceTensor &x, &kernel, &bias;
  const DeviceTensor& y;
  const DeviceTensor* winners = nullptr;
};

// dx: the gradient at the conv's linear output (relu's backward included).
struct Maxpool2dBackwardFromWinners {
  static constexpr std::string_view name = "maxpool2d_backward_from_winners";
  Required<ConvReluPoolGeometry> geometry;
  const DeviceTensor &dy, &winners;
  const DeviceTensor& dx;
};

// The conv's kernel and bias gradients from the pooled gradient dy and the
// winners: equal to Maxpool2dBackwardFromWinners followed by
// Conv2dBackwardKernel and Conv2dBackwardBias, without the map between them.
struct Conv2dReluMaxpool2dBackwardParams {
  static constexpr std::string_view name = "conv2d_relu_maxpool2d_backward_params";
  Required<ConvReluPoolGeometry> geometry;
  const DeviceTensor &x, &dy, &winners;
  const DeviceTensor &dkernel, &dbias;
};

// Average pooling (AveragePooling2D; GlobalAveragePooling2D is the window
// over the whole map): a window averages its real taps.
struct Avgpool2dForward {
  static constexpr std::string_view name = "avgpool2d_forward";
  Required<Pool2DGeometry> geometry;
  const DeviceTensor& x;
  const DeviceTensor& y;
};

struct Avgpool2dBackward {
  static constexpr std::string_view name = "avgpool2d_backward";
  Required<Pool2DGeometry> geometry;
  const DeviceTensor& dy;
  const DeviceTensor& dx;
};

// y = activation(x kernel + bias).
struct DenseForward {
  static constexpr std::string_view name = "dense_forward";
  Required<DenseGeometry> geometry;
  Required<Activation> activation;
  const DeviceTensor &x, &kernel, &bias;
  const DeviceTensor& y;
};

struct DenseBackwardInput {
  static constexpr std::string_view name = "dense_backward_input";
  Required<DenseGeometry> geometry;
  const DeviceTensor &dy, &kernel;
  const DeviceTensor& dx;
};

struct DenseBackwardKernel {
  static constexpr std::string_view name = "dense_backward_kernel";
  Required<DenseGeometry> geometry;
  const DeviceTensor &x, &dy;
  const DeviceTensor& dkernel;
};

struct DenseBackwardBias {
  static constexpr std::string_view name = "dense_backward_bias";
  Required<DenseGeometry> geometry;
  const DeviceTensor& dy;
  const DeviceTensor& dbias;
};

// Inverted dropout with the mask of step state.iterations (see
// DropoutConfig); the same op on dy gives dx.
struct Dropout {
  static constexpr std::string_view name = "dropout";
  Required<DropoutConfig> config;
  Required<std::int64_t> count;
  const DeviceTensor &state, &x;
  const DeviceTensor& y;
};

// dx = dy where y > 0, else 0 (y is the relu's output).
struct ReluBackward {
  static constexpr std::string_view name = "relu_backward";
  Required<std::int64_t> count;
  const DeviceTensor &y, &dy;
  const DeviceTensor& dx;
};

struct SoftmaxForward {
  static constexpr std::string_view name = "softmax_forward";
  Required<ClassesGeometry> geometry;
  const DeviceTensor& x;
  const DeviceTensor& y;
};

// Per-sample loss and the fused gradient (softmax - onehot) / divisor.
struct SoftmaxCrossEntropy {
  static constexpr std::string_view name = "softmax_cross_entropy";
  Required<ClassesGeometry> geometry;
  Required<float> gradient_divisor;
  const DeviceTensor &logits, &labels;
  const DeviceTensor &loss, &dlogits;
};

// correct[n] = 1 where row n's argmax (the first maximum on ties) is its
// label, else 0.
struct CountCorrect {
  static constexpr std::string_view name = "count_correct";
  Required<ClassesGeometry> geometry;
  const DeviceTensor &scores, &labels;
  const DeviceTensor& correct;
};

// A binary classifier's output, one logit per sample, labels 0 or 1:
// y = sigmoid(x).
struct SigmoidForward {
  static constexpr std::string_view name = "sigmoid_forward";
  Required<std::int64_t> count;
  const DeviceTensor& x;
  const DeviceTensor& y;
};

// Per-sample binary cross-entropy from the logits and its gradient
// (sigmoid - label) / divisor.
struct SigmoidCrossEntropy {
  static constexpr std::string_view name = "sigmoid_cross_entropy";
  Required<std::int64_t> batch;
  Required<float> gradient_divisor;
  const DeviceTensor &logits, &labels;
  const DeviceTensor &loss, &dlogits;
};

// correct[n] = 1 where (sigmoid(logit) > 0.5) equals the label, else 0.
struct BinaryCountCorrect {
  static constexpr std::string_view name = "binary_count_correct";
  Required<std::int64_t> batch;
  const DeviceTensor &logits, &labels;
  const DeviceTensor& correct;
};

// Keras's sample weights on a batch whose loss op has run: w[n] =
// sample_weights[order[state.batch_index * batch_size + first + n]] (the
// dataset's per-sample weights, picked as the gather picks samples);
// loss[n] *= w[n], dlogits[n, :] *= w[n], weights_out[n] = w[n].
struct WeightSamples {
  static constexpr std::string_view name = "weight_samples";
  ClassesGeometry geometry;
  Required<std::uint32_t> batch_size;
  std::uint32_t first = 0;
  const DeviceTensor &sample_weights, &order, &state;
  const DeviceTensor &loss, &dlogits, &weights_out;
};

// totals += (sum of loss[0..count), sum of correct[0..count), count):
// accumulates. With weights (WeightSamples' weights_out), also the sums of
// weights[i] * correct[i] and of weights[i] (Keras's weighted accuracy).
struct AccumulateMetrics {
  static constexpr std::string_view name = "accumulate_metrics";
  Required<std::uint32_t> count;
  const DeviceTensor &loss, &correct;
  const DeviceTensor& totals;
  const DeviceTensor* weights = nullptr;
};

// Keras's Adam at t = state.iterations + 1, learning rate from the state;
// updates weights, m and v in place.
struct AdamUpdate {
  static constexpr std::string_view name = "adam_update";
  Required<AdamConfig> config;
  Required<std::int64_t> count;
  const DeviceTensor &state, &weights, &gradients, &m, &v;
};

// momentum_buffer only when config.momentum != 0.
struct RmspropUpdate {
  static constexpr std::string_view name = "rmsprop_update";
  Required<RmspropConfig> config;
  Required<std::int64_t> count;
  const DeviceTensor &state, &weights, &gradients, &velocity;
  const DeviceTensor* momentum_buffer = nullptr;
};

// velocity only when config.momentum != 0.
struct SgdUpdate {
  static constexpr std::string_view name = "sgd_update";
  Required<SgdConfig> config;
  Required<std::int64_t> count;
  const DeviceTensor &state, &weights, &gradients;
  const DeviceTensor* velocity = nullptr;
};

// total[i] += gradient[i], i < count: sums a parameter's gradient over the
// micro-batches of a batch split to fit the device. The backward ops
// overwrite the gradients they write, so each micro-batch after the first
// writes its own and this adds it to the sum the optimizer reads.
struct AccumulateGradient {
  static constexpr std::string_view name = "accumulate_gradient";
  Required<std::int64_t> count;
  const DeviceTensor& gradient;
  const DeviceTensor& total;
};

// destination[state.batch_index * stride + first + i] = source[i], i <
// count: puts one batch's output (or one micro-batch's, at `first`) in its
// place in a whole-dataset output tensor.
struct StoreBatch {
  static constexpr std::string_view name = "store_batch";
  Required<std::int64_t> count, stride;
  std::int64_t first = 0;
  const DeviceTensor &source, &state;
  const DeviceTensor& destination;
};

// Moves the step state on: batch_index += 1, iterations += 1.
struct AdvanceStep {
  static constexpr std::string_view name = "advance_step";
  const DeviceTensor& state;
};

// ---- Elementwise functions ----
//
// A scalar function f of up to four float parameters is one struct: its
// name (also its shader's, shaders/<name>.comp), its parameters, and
// value() and derivative() as templates. The struct is the whole CPU
// reference (the CPU backend runs it in float, the finite-difference table
// in double); its shader computes the same in GLSL, taking parameters() in
// order as p.p0 .. p.p3 (shaders/elementwise.glsl). From each function in
// ElementwiseFunctions below come two ops:
//   ElementwiseForward<F>   y[i] = f(x[i]),               i < count
//   ElementwiseBackward<F>  dx[i] = f'(x[i]) * dy[i]      (x: the forward's input)
// and both backends, the op table, the finite-difference table and the
// shader-layout test cover them with one generic case each. A new function
// is its struct here, its entry in the list and its shader; nothing else.
// examples(): the parameter sets the tests check it with.

// Keras's Rescaling: y = x * scale + offset.
struct Rescale {
  static constexpr std::string_view name = "rescale";
  Required<float> scale, offset;
  std::array<float, 4> parameters() const { return {scale, offset, 0.0f, 0.0f}; }
  template <class T>
  T value(T x) const {
    return x * T(float(scale)) + T(float(offset));
  }
  template <class T>
  T derivative(T) const {
    return T(float(scale));
  }
  static std::array<Rescale, 2> examples() {
    return {Rescale{.scale = 1.0f / 255.0f, .offset = 0.0f}, Rescale{.scale = -2.5f, .offset = 0.75f}};
  }
};

// Keras's LeakyReLU: y = x for x >= 0, negative_slope * x below; the
// derivative 1 for x > 0, negative_slope otherwise (TensorFlow's at 0).
struct LeakyRelu {
  static constexpr std::string_view name = "leaky_relu";
  Required<float> negative_slope;
  std::array<float, 4> parameters() const { return {negative_slope, 0.0f, 0.0f, 0.0f}; }
  template <class T>
  T value(T x) const {
    return x >= T(0) ? x : T(float(negative_slope)) * x;
  }
  template <class T>
  T derivative(T x) const {
    return x > T(0) ? T(1) : T(float(negative_slope));
  }
  static std::array<LeakyRelu, 2> examples() {
    return {LeakyRelu{.negative_slope = 0.3f}, LeakyRelu{.negative_slope = 0.01f}};
  }
};

template <class... F>
struct FunctionList {};
// Every elementwise function: each gets its forward and backward op.
using ElementwiseFunctions = FunctionList<Rescale, LeakyRelu>;

namespace detail {
// F::name + "_backward", as a constant: the backward op's stable name.
template <const std::string_view& Base>
struct BackwardName {
  static constexpr std::string_view suffix = "_backward";
  static constexpr auto storage = [] {
    std::array<char, Base.size() + suffix.size()> s{};
    for (std::size_t i = 0; i < Base.size(); ++i) s[i] = Base[i];
    for (std::size_t i = 0; i < suffix.size(); ++i) s[Base.size() + i] = suffix[i];
    return s;
  }();
  static constexpr std::string_view value{storage.data(), storage.size()};
};
}  // namespace detail

template <class F>
struct ElementwiseForward {
  using Function = F;
  static constexpr std::string_view name = F::name;
  Required<F> function;
  Required<std::int64_t> count;
  const DeviceTensor& x;
  const DeviceTensor& y;
};

template <class F>
struct ElementwiseBackward {
  using Function = F;
  static constexpr std::string_view name = detail::BackwardName<F::name>::value;
  Required<F> function;
  Required<std::int64_t> count;
  const DeviceTensor &x, &dy;
  const DeviceTensor& dx;
};

}  // namespace op

namespace detail {
template <class Ops, class Functions>
struct WithElementwise;
template <class... O, class... F>
struct WithElementwise<std::variant<O...>, op::FunctionList<F...>> {
  using type = std::variant<O..., op::ElementwiseForward<F>..., op::ElementwiseBackward<F>...>;
};
}  // namespace detail

// Every op: the ones above, then each elementwise function's forward and
// backward.
using Op = detail::WithElementwise<std::variant<op::GatherBatch, op::GatherFloatBatch,
                        op::GatherAugmentedBatch, op::Conv2dForward,
                        op::Conv2dBackwardInput, op::Conv2dBackwardKernel, op::Conv2dBackwardBias,
                        op::Maxpool2dForward, op::Maxpool2dBackward,
                        op::Conv2dReluMaxpool2dForward, op::Maxpool2dBackwardFromWinners,
                        op::Conv2dReluMaxpool2dBackwardParams, op::Avgpool2dForward,
                        op::Avgpool2dBackward, op::DenseForward, op::DenseBackwardInput,
                        op::DenseBackwardKernel, op::DenseBackwardBias, op::Dropout,
                        op::ReluBackward, op::SoftmaxForward, op::SoftmaxCrossEntropy,
                        op::CountCorrect, op::SigmoidForward, op::SigmoidCrossEntropy,
                        op::BinaryCountCorrect, op::WeightSamples, op::AccumulateMetrics, op::AdamUpdate,
                        op::RmspropUpdate, op::SgdUpdate, op::AccumulateGradient, op::StoreBatch,
                        op::AdvanceStep>,
                                     op::ElementwiseFunctions>::type;

// Every alternative's name, in the variant's order: what the op table's
// coverage tests enumerate.
inline constexpr auto kOpNames = []<std::size_t... I>(std::index_sequence<I...>) {
  return std::array<std::string_view, sizeof...(I)>{std::variant_alternative_t<I, Op>::name...};
}(std::make_index_sequence<std::variant_size_v<Op>>{});

// Every elementwise function's name, which is also its shader's.
inline constexpr auto kElementwiseFunctionNames = []<class... F>(op::FunctionList<F...>) {
  return std::array<std::string_view, sizeof...(F)>{F::name...};
}(op::ElementwiseFunctions{});

// The name of the op an Op holds.
inline std::string_view name_of(const Op& op) {
  return std::visit([](const auto& alternative) { return alternative.name; }, op);
}

// Names key the tests' tables (and messages): no two ops may share one.
constexpr bool op_names_are_unique() {
  for (std::size_t i = 0; i < kOpNames.size(); ++i) {
    for (std::size_t j = i + 1; j < kOpNames.size(); ++j) {
      if (kOpNames[i] == kOpNames[j]) return false;
    }
  }
  return true;
}
static_assert(op_names_are_unique(), "two op structs in op.hpp share a name");

}  // namespace vknn::backend
