// The op table: every op of the backend interface (each alternative of the
// Op variant, src/backend/op.hpp) as a small entry, listed once
// (op_table_entries.cpp), and one harness (op_table_test.cpp) that runs each
// entry on the CPU reference backend and on the Vulkan backend in every
// kernel variant, recording the same op values a model records, and
// compares every output. In the spirit of ggml's test-backend-ops.
//
// An entry says which tensors the op touches (with how to fill them: the
// harness fills both backends identically, and every output starts as a
// sentinel so an element an op forgot to write shows up), how to record the
// op's value on a ProgramBuilder, how many times to launch the program (replays
// check what a replayed step relies on: advancing step state, accumulating
// totals, optimizer state carried between steps), and its tolerance.
//
// Comparison: f32 outputs by normalised max error (max |vulkan - cpu| /
// max |cpu|, see crosscheck.hpp); u32 and u8 outputs and the step state
// exactly.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "backend/backend.hpp"
#include "vknn/ops/geometry.hpp"
#include "ops/metric_totals.hpp"
#include "ops/step_state.hpp"

namespace vknn_test::op_table {

// The op contracts the entries are written in (vknn/ops/geometry.hpp).
using vknn::Activation;
using vknn::ClassesGeometry;
using vknn::Conv2DGeometry;
using vknn::DenseGeometry;
using vknn::Padding;
using vknn::Pool2DGeometry;

// How a tensor starts out, identically on both backends.
enum class Fill {
  uniform,      // f32 in [low, high)
  relu_output,  // f32 max(0, uniform(-1, 1)): what a relu layer leaves
  levels,       // f32 on four levels in [-0.75, 0.75]: most pooling windows hold ties
  negative_levels,  // the same levels below -1: a same-padded pool must not pick its padding
  labels,       // u32 (or u8) in [0, classes)
  pixels,       // u8 in [0, 255]
  identity,     // u32 0, 1, 2, ...
  reversed,     // u32 count-1, ..., 0
  step_state,   // a StepState: `state` below
  zeros,
  sentinel,     // outputs: f32 -12345, u32 0xdeadbeef, so unwritten elements show
};

struct TensorDesc {
  std::string name;
  vknn::backend::ElementType type = vknn::backend::ElementType::f32;
  std::int64_t count = 0;
  Fill fill = Fill::uniform;
  bool output = false;  // compared after the run (inputs may be outputs too)
  float low = -1.0f, high = 1.0f;
  int classes = 0;               // Fill::labels
  vknn::StepState state;         // Fill::step_state
  // Metric totals are compared as MetricTotals: counts exactly, the
  // Kahan-compensated loss sum within the case's tolerance.
  bool metric_totals = false;
  // A float dataset (Backend::float_dataset) of count / dataset_sample_size
  // samples when > 0, its buffers capped at max_chunk_samples samples (0:
  // the device's limits), so the several-buffer path runs on small data.
  std::int64_t dataset_sample_size = 0;
  std::int64_t max_chunk_samples = 0;
};

using Tensors = std::vector<const vknn::backend::DeviceTensor*>;  // in TensorDesc order

struct OpCase {
  std::string op;     // "conv2d_forward_relu"
  std::string shape;  // "b32_28x28x1_to_64_k3x3_s1x1_valid"
  std::vector<TensorDesc> tensors;
  std::function<void(vknn::backend::ProgramBuilder&, const Tensors&)> build;
  double tolerance = 1e-6;  // normalised max error for f32 outputs
  int launches = 1;
  // The op records a kernel variant of its own choosing (conv2d, dense):
  // run it once per variant, not only with the device's choice.
  bool has_kernel_variants = false;
  // conv2d's forward pass, input and kernel gradients on a shape the Winograd kernels
  // takes (3x3, stride 1, channels multiples of 4): run in that variant too.
  bool has_winograd = false;
  // A test name gtest accepts: op__shape.
  std::string id() const;
};

// The cases the `adders` (one per op family) append, in their order.
template <class Case>
std::vector<Case> collect(std::initializer_list<void (*)(std::vector<Case>&)> adders) {
  std::vector<Case> cases;
  for (auto add : adders) add(cases);
  return cases;
}

// Every case of every op, in a fixed order.
const std::vector<OpCase>& all_cases();

// Readable shape names for case ids, shared by both kinds of entry.
std::string conv_shape(const vknn::Conv2DGeometry& g);
std::string pool_shape(const vknn::Pool2DGeometry& g);
std::string dense_shape(const vknn::DenseGeometry& g);
std::string classes_shape(const vknn::ClassesGeometry& g);

// ---- finite-difference mode (gradient_entries.cpp, gradient_test.cpp) ----
//
// The table's other half: every backward of the CPU reference, in double,
// against central differences (tests/cpu/gradient_check.hpp says why the
// bound is 1e-6). Take weights r shaped like the op's output and the scalar
// L = sum_i y_i * r_i; then dL/dy = r, the analytic gradient of L with
// respect to an input is the backward applied to dy = r, and the numeric
// one is (L(p + h e_j) - L(p - h e_j)) / 2h for every element j. The CPU
// backward being right is what makes the cross-check above mean something
// for the Vulkan one.
using Values = std::vector<std::vector<double>>;  // the inputs, in GradientInput order

struct GradientInput {
  std::string name;
  std::int64_t count = 0;
  enum class Draw {
    uniform,         // in [low, high)
    distinct,        // at least 1/count apart: no pooling window has a tie within h
    away_from_zero,  // |x| in [0.1, 1): h never crosses relu's kink
  } draw = Draw::uniform;
  double low = -1.0, high = 1.0;
  bool differentiated = true;  // false: an input the op has no gradient for
};

struct GradientCase {
  std::string op;     // "conv2d"
  std::string shape;  // as the cross-check cases name it
  std::vector<GradientInput> inputs;
  std::int64_t output_count = 0;
  // The fused losses' contract is the gradient of sum(loss) / divisor, so
  // their weights r are that constant, not random.
  double constant_weight = 0.0;  // 0: random weights in [-1, 1)
  std::function<std::vector<double>(const Values& inputs)> forward;
  // The gradient of L with respect to each input, given dy = r (an empty
  // vector for an input that is not differentiated).
  std::function<Values(const Values& inputs, const std::vector<double>& dy)> backward;
  std::string id() const;  // op__shape__finite_difference
};

const std::vector<GradientCase>& all_gradient_cases();

}  // namespace vknn_test::op_table
