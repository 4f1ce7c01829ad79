// The entries of the op table (see op_table.hpp): one small function per op
// family, each listing its shapes and how to record the op's value. An
// alternative of the Op variant (src/backend/op.hpp) that no entry records
// fails OpTableEntries.CoverEveryOpOfTheVariant (docs/adding-an-op.md).
//
// Shapes: spatial 1 to 28, batch 1 and more (odd batches that fill no
// workgroup or tile), 1 and many channels, the course model's shapes at
// batch 32. Tolerances (normalised max error) with their reasons:
//   kSum        1e-5  forward and input-gradient sums of up to 5*5*64 = 1600
//                     float terms (the CPU sums in double and rounds once);
//   kReduction  5e-5  kernel and bias gradients, which reduce over the batch
//                     and the map: up to 32*28*28 = 25088 terms;
//   kRowwise    1e-5  softmax and the fused loss: exp/log of ~10 values;
//   kElementwise 1e-6 element-wise ops and optimizer updates (a few
//                     roundings each, Adam's sqrt and divide included);
//   gemm        3e-7 to 2e-5: dense, 5e-7 * sqrt(K) (see gemm_tolerance);
//   exact       0     data movement (pooling, store_batch), relu's mask and
//                     integer outputs.
// The errors these shapes show on lavapipe are 10x or more below each bound;
// a wrong index or a missed tap gives errors of order 1e-2 to 1.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>

#include "ops/crosscheck.hpp"
#include "ops/op_table.hpp"

namespace vknn_test::op_table {

namespace {

using vknn::ConvReluPoolGeometry;
using vknn::backend::ElementType;
using vknn::backend::ProgramBuilder;
namespace op = vknn::backend::op;

constexpr double kSum = 1e-5;
constexpr double kReduction = 5e-5;
constexpr double kRowwise = 1e-5;
constexpr double kElementwise = 1e-6;
constexpr double kExact = 0.0;

TensorDesc input(std::string name, std::int64_t count, Fill fill = Fill::uniform) {
  TensorDesc t;
  t.name = std::move(name);
  t.count = count;
  t.fill = fill;
  return t;
}

TensorDesc ranged(std::string name, std::int64_t count, float low, float high) {
  TensorDesc t = input(std::move(name), count);
  t.low = low;
  t.high = high;
  return t;
}

TensorDesc output(std::string name, std::int64_t count, ElementType type = ElementType::f32) {
  TensorDesc t = input(std::move(name), count, Fill::sentinel);
  t.type = type;
  t.output = true;
  return t;
}

TensorDesc labels(std::string name, std::int64_t count, int classes,
                  ElementType type = ElementType::u32) {
  TensorDesc t = input(std::move(name), count, Fill::labels);
  t.type = type;
  t.classes = classes;
  return t;
}

TensorDesc step_state(vknn::StepState state, bool output = false) {
  TensorDesc t;
  t.name = "state";
  t.type = ElementType::u32;
  t.count = vknn::kStepStateBytes / 4;
  t.fill = Fill::step_state;
  t.state = state;
  t.output = output;
  return t;
}

const auto conv = vknn_test::conv_geometry;  // ops/crosscheck.hpp

// Variants: the op records a kernel variant of its own choosing (conv2d,
// dense), so the harness runs it in each.
constexpr bool kVariants = true;

OpCase make_case(std::string op, std::string shape, std::vector<TensorDesc> tensors,
                 std::function<void(ProgramBuilder&, const Tensors&)> build, double tolerance,
                 bool has_kernel_variants = false) {
  OpCase c;
  c.op = std::move(op);
  c.shape = std::move(shape);
  c.tensors = std::move(tensors);
  c.build = std::move(build);
  c.tolerance = tolerance;
  c.has_kernel_variants = has_kernel_variants;
  return c;
}

// ---- conv2d ----------------------------------------------------------------

void add_conv2d(std::vector<OpCase>& cases) {
  const Conv2DGeometry shapes[] = {
      conv(1, 1, 1, 1, 1, 1, 1, 1, 1, Padding::valid),
      conv(1, 3, 3, 3, 3, 3, 3, 1, 1, Padding::same),
      conv(1, 3, 3, 64, 3, 3, 3, 1, 1, Padding::valid),
      conv(1, 7, 7, 3, 64, 5, 5, 1, 1, Padding::valid),
      conv(1, 7, 7, 64, 3, 5, 5, 2, 2, Padding::same),
      conv(1, 7, 7, 64, 64, 1, 1, 1, 1, Padding::valid),
      conv(1, 13, 13, 64, 64, 3, 3, 1, 1, Padding::valid),  // course conv2, batch 1
      conv(1, 13, 26, 3, 64, 3, 5, 2, 1, Padding::same),
      conv(1, 26, 26, 64, 1, 3, 3, 2, 2, Padding::valid),
      conv(1, 28, 28, 1, 64, 3, 3, 1, 1, Padding::valid),   // course conv1, batch 1
      conv(1, 7, 7, 36, 36, 3, 3, 1, 1, Padding::same),     // partial register blocks
      conv(32, 28, 28, 1, 3, 3, 3, 1, 1, Padding::same),
      conv(32, 13, 13, 3, 1, 5, 5, 2, 2, Padding::valid),
      conv(3, 9, 11, 5, 7, 3, 3, 1, 1, Padding::same),      // odd everything
      // Winograd's shapes: partial 2x2 tiles and tile pairs, 'same' and
      // 'valid', one block of 4 channels, blocks of 16 and a partial one.
      conv(3, 9, 11, 8, 4, 3, 3, 1, 1, Padding::same),
      conv(2, 6, 5, 4, 12, 3, 3, 1, 1, Padding::valid),
      conv(1, 1, 2, 20, 8, 3, 3, 1, 1, Padding::same),
      conv(4, 13, 13, 64, 64, 3, 3, 1, 1, Padding::valid),  // course conv2, batch 4
      conv(32, 28, 28, 1, 64, 3, 3, 1, 1, Padding::valid),  // course conv1, batch 32
  };
  for (const Conv2DGeometry& g : shapes) {
    const std::string shape = conv_shape(g);
    const bool winograd = g.kernel_h == 3 && g.kernel_w == 3 && g.stride_h == 1 &&
                          g.stride_w == 1 && g.in_c % 4 == 0 && g.out_c % 4 == 0;
    for (Activation act : {Activation::linear, Activation::relu}) {
      cases.push_back(make_case(
          std::string("conv2d_forward_") + vknn::to_string(act), shape,
          {input("x", g.input_size()), input("kernel", g.kernel_size()), input("bias", g.out_c),
           output("y", g.output_size())},
          [g, act](ProgramBuilder& b, const Tensors& t) {
            b.record(op::Conv2dForward{
                .geometry = g, .activation = act, .x = *t[0], .kernel = *t[1], .bias = *t[2], .y = *t[3]});
          },
          kSum, kVariants));
      cases.back().has_winograd = winograd;
    }
    cases.push_back(make_case(
        "conv2d_backward_input", shape,
        {input("dy", g.output_size()), input("kernel", g.kernel_size()), output("dx", g.input_size())},
        [g](ProgramBuilder& b, const Tensors& t) {
          b.record(op::Conv2dBackwardInput{.geometry = g, .dy = *t[0], .kernel = *t[1], .dx = *t[2]});
        },
        kSum, kVariants));
    cases.back().has_winograd = winograd;
    cases.push_back(make_case(
        "conv2d_backward_kernel", shape,
        {input("x", g.input_size()), input("dy", g.output_size()), output("dkernel", g.kernel_size())},
        [g](ProgramBuilder& b, const Tensors& t) {
          b.record(op::Conv2dBackwardKernel{.geometry = g, .x = *t[0], .dy = *t[1], .dkernel = *t[2]});
        },
        kReduction, kVariants));
    cases.back().has_winograd = winograd;
    cases.push_back(make_case(
        "conv2d_backward_bias", shape, {input("dy", g.output_size()), output("dbias", g.out_c)},
        [g](ProgramBuilder& b, const Tensors& t) {
          b.record(op::Conv2dBackwardBias{.geometry = g, .dy = *t[0], .dbias = *t[1]});
        },
        kReduction, kVariants));
  }
}

// ---- maxpool2d -------------------------------------------------------------

void add_maxpool2d(std::vector<OpCase>& cases) {
  std::vector<Pool2DGeometry> shapes;
  const int batch_channels[][2] = {{1, 1}, {32, 3}, {1, 64}, {2, 3}, {32, 1}};
  int i = 0;
  for (int size : {1, 3, 7, 13, 26, 28}) {
    for (int pool : {2, 3}) {
      for (int stride : {1, 2}) {
        for (Padding padding : {Padding::valid, Padding::same}) {
          if (padding == Padding::valid && size < pool) continue;  // no output
          const auto& bc = batch_channels[i++ % 5];
          shapes.push_back({bc[0], size, size, bc[1], pool, pool, stride, stride, padding});
        }
      }
    }
  }
  // The course model's poolings at batch 32, overlapping and odd windows.
  shapes.push_back({32, 26, 26, 64, 2, 2, 2, 2, Padding::valid});
  shapes.push_back({32, 11, 11, 64, 2, 2, 2, 2, Padding::valid});
  shapes.push_back({1, 28, 28, 64, 3, 3, 1, 1, Padding::same});
  shapes.push_back({2, 7, 13, 3, 3, 2, 2, 1, Padding::same});
  shapes.push_back({3, 13, 7, 5, 2, 3, 1, 3, Padding::valid});
  for (std::size_t k = 0; k < shapes.size(); ++k) {
    const Pool2DGeometry& g = shapes[k];
    const std::string shape = pool_shape(g);
    // Ties in most windows (the first maximum takes the gradient on both
    // backends), and now and then all-negative inputs, where a same-padded
    // window must not take its padding for the maximum.
    const Fill x_fill = k % 3 == 2 ? Fill::negative_levels : Fill::levels;
    cases.push_back(make_case(
        "maxpool2d_forward", shape, {input("x", g.input_size(), x_fill), output("y", g.output_size())},
        [g](ProgramBuilder& b, const Tensors& t) {
          b.record(op::Maxpool2dForward{.geometry = g, .x = *t[0], .y = *t[1]});
        },
        kExact));
    for (bool relu_mask : {false, true}) {
      // With the mask, x is a relu's output: zeros where the mask cuts.
      // Exact: both backends add the dy of the windows an input wins in the
      // same window order, starting from 0, and pick the same winner of a
      // tie (the first maximum in row-major window order).
      cases.push_back(make_case(
          relu_mask ? "maxpool2d_backward_relu_mask" : "maxpool2d_backward", shape,
          {input("x", g.input_size(), relu_mask ? Fill::relu_output : x_fill),
           input("dy", g.output_size()), output("dx", g.input_size())},
          [g, relu_mask](ProgramBuilder& b, const Tensors& t) {
            b.record(op::Maxpool2dBackward{
                .geometry = g, .relu_mask = relu_mask, .x = *t[0], .dy = *t[1], .dx = *t[2]});
          },
          kExact));
    }
  }

  // Poolings that store their winners for the backward (the training
  // step's path where Pool2DGeometry::stores_winners): the forward's bytes
  // compared exactly, and the backward from them in the same program
  // against the CPU's. Windows that tile or leave a margin (11 -> 5, 7 -> 2),
  // 2x2, 3x3 and 1x3, 4 to 64 channels; with relu's mask, x a relu's output
  // (zeros in many windows: no winner there).
  const Pool2DGeometry storing[] = {{32, 26, 26, 64, 2, 2, 2, 2, Padding::valid},
                                    {32, 11, 11, 64, 2, 2, 2, 2, Padding::valid},
                                    {1, 7, 7, 4, 3, 3, 3, 3, Padding::valid},
                                    {2, 6, 8, 8, 2, 2, 2, 2, Padding::valid},
                                    {3, 9, 9, 12, 3, 3, 3, 3, Padding::valid},
                                    {2, 4, 6, 4, 1, 3, 1, 3, Padding::valid}};
  for (const Pool2DGeometry& g : storing) {
    const std::string shape = pool_shape(g);
    for (bool relu_mask : {false, true}) {
      const std::string mask = relu_mask ? "_relu_mask" : "";
      const Fill x_fill = relu_mask ? Fill::relu_output : Fill::levels;
      cases.push_back(make_case(
          "maxpool2d_forward_winners" + mask, shape,
          {input("x", g.input_size(), x_fill), output("y", g.output_size()),
           output("winners", g.output_size(), ElementType::u8)},
          [g, relu_mask](ProgramBuilder& b, const Tensors& t) {
            b.record(op::Maxpool2dForward{
                .geometry = g, .x = *t[0], .y = *t[1], .winners = t[2], .relu_mask = relu_mask});
          },
          kExact));
      cases.push_back(make_case(
          "maxpool2d_backward_winners" + mask, shape,
          {input("x", g.input_size(), x_fill), output("y", g.output_size()),
           output("winners", g.output_size(), ElementType::u8), input("dy", g.output_size()),
           output("dx", g.input_size())},
          [g, relu_mask](ProgramBuilder& b, const Tensors& t) {
            b.record(op::Maxpool2dForward{
                .geometry = g, .x = *t[0], .y = *t[1], .winners = t[2], .relu_mask = relu_mask});
            b.record(op::Maxpool2dBackward{.geometry = g,
                                           .relu_mask = relu_mask,
                                           .x = *t[0],
                                           .dy = *t[3],
                                           .dx = *t[4],
                                           .winners = t[2]});
          },
          kExact));
    }
  }
}

// ---- conv2d + relu + maxpool2d, fused -------------------------------------

ConvReluPoolGeometry conv_relu_pool(const Conv2DGeometry& conv, int pool_h, int pool_w) {
  return ConvReluPoolGeometry::tiling(conv, pool_h, pool_w);
}

void add_conv2d_relu_maxpool2d(std::vector<OpCase>& cases) {
  const ConvReluPoolGeometry shapes[] = {
      conv_relu_pool(conv(1, 28, 28, 1, 64, 3, 3, 1, 1, Padding::valid), 2, 2),  // course, batch 1
      conv_relu_pool(conv(32, 28, 28, 1, 64, 3, 3, 1, 1, Padding::valid), 2, 2), // course, batch 32
      conv_relu_pool(conv(3, 9, 11, 1, 5, 3, 3, 1, 1, Padding::valid), 2, 2),   // 7x9 map: floor rows and columns
      conv_relu_pool(conv(2, 13, 13, 1, 1, 3, 3, 1, 1, Padding::same), 3, 3),   // one channel, padded conv
      conv_relu_pool(conv(1, 7, 7, 1, 8, 2, 2, 2, 2, Padding::valid), 3, 3),    // strided conv, one window
      conv_relu_pool(conv(2, 12, 10, 1, 12, 5, 5, 1, 1, Padding::same), 2, 3),  // partial channel blocks
      conv_relu_pool(conv(5, 11, 11, 1, 36, 3, 3, 1, 1, Padding::valid), 2, 2), // odd batch, 9 channel groups
      // Over 128 channels: CPU drivers too take the taps per channel block
      // (33 groups: a partial block of 4).
      conv_relu_pool(conv(2, 7, 8, 1, 132, 3, 3, 1, 1, Padding::valid), 2, 2),
      // Several input channels: patch rows of 3 * width floats at every
      // offset modulo 4 (RGB), whole vec4s (4 channels), and 2.
      conv_relu_pool(conv(1, 17, 17, 3, 16, 3, 3, 1, 1, Padding::valid), 2, 2),  // RGB, cats' conv1 smaller
      conv_relu_pool(conv(3, 15, 13, 3, 16, 3, 3, 1, 1, Padding::valid), 2, 2),  // RGB, odd map 13x11: floor
      conv_relu_pool(conv(2, 9, 11, 3, 6, 3, 3, 1, 1, Padding::same), 2, 2),     // RGB, padded conv, 6 channels
      conv_relu_pool(conv(2, 11, 10, 3, 5, 2, 2, 2, 2, Padding::valid), 2, 2),   // RGB, strided conv
      conv_relu_pool(conv(3, 12, 10, 3, 8, 5, 5, 1, 1, Padding::same), 3, 2),    // RGB 5x5, non-square pool
      conv_relu_pool(conv(1, 10, 10, 4, 16, 3, 3, 1, 1, Padding::valid), 2, 2),  // RGBA, batch 1
      conv_relu_pool(conv(4, 9, 9, 4, 12, 3, 3, 1, 1, Padding::same), 2, 2),     // RGBA, padded, 3 groups
      conv_relu_pool(conv(2, 10, 9, 2, 7, 3, 3, 1, 1, Padding::valid), 2, 2),    // 2 channels, partial group
      conv_relu_pool(conv(32, 10, 10, 3, 4, 3, 3, 1, 1, Padding::valid), 2, 2),  // RGB, one channel group, batch 32
      conv_relu_pool(conv(2, 10, 10, 4, 4, 3, 3, 1, 1, Padding::valid), 2, 2),   // RGBA, one channel group
      // RGB into 64 channels: 1728 kernel floats, over what CPU drivers hold
      // at once, so they take the taps per channel block as GPUs do.
      conv_relu_pool(conv(2, 8, 9, 3, 64, 3, 3, 1, 1, Padding::valid), 2, 2),
  };
  for (const ConvReluPoolGeometry& g : shapes) {
    const std::string shape = conv_shape(g.conv) + "_pool" + std::to_string(g.pool.pool_h) + "x" +
                              std::to_string(g.pool.pool_w);
    // Prediction: no winners; any values, the sums rounded differently on
    // each backend.
    OpCase forward;
    forward.op = "conv2d_relu_maxpool2d_forward";
    forward.shape = shape;
    forward.tensors = {input("x", g.conv.input_size()), input("kernel", g.conv.kernel_size()),
                       input("bias", g.conv.out_c), output("y", g.pool.output_size())};
    forward.build = [g](ProgramBuilder& b, const Tensors& t) {
      b.record(op::Conv2dReluMaxpool2dForward{
          .geometry = g, .x = *t[0], .kernel = *t[1], .bias = *t[2], .y = *t[3], .winners = nullptr});
    };
    forward.tolerance = kSum;
    cases.push_back(forward);

    // Training: the forward with winners, then the backward from them.
    // Inputs on four levels (multiples of 1/4) make every conv sum exact in
    // float on both backends, so windows tie often, relu cuts often, and
    // the winners must agree byte for byte: exact comparison of all three.
    // Tensors 0-5 of both backward cases: the training forward's and dy.
    const std::vector<TensorDesc> forward_and_dy = {
        input("x", g.conv.input_size(), Fill::levels),
        input("kernel", g.conv.kernel_size(), Fill::levels),
        input("bias", g.conv.out_c, Fill::levels),
        output("y", g.pool.output_size()),
        output("winners", g.winners_size(), ElementType::u8),
        input("dy", g.pool.output_size())};
    OpCase training;
    training.op = "conv2d_relu_maxpool2d_training";
    training.shape = shape;
    training.tensors = forward_and_dy;
    training.tensors.push_back(output("dx", g.pool.input_size()));
    training.build = [g](ProgramBuilder& b, const Tensors& t) {
      b.record(op::Conv2dReluMaxpool2dForward{
          .geometry = g, .x = *t[0], .kernel = *t[1], .bias = *t[2], .y = *t[3], .winners = t[4]});
      b.record(op::Maxpool2dBackwardFromWinners{
          .geometry = g, .dy = *t[5], .winners = *t[4], .dx = *t[6]});
    };
    training.tolerance = kExact;
    cases.push_back(training);

    // The kernel and bias gradients straight from the pooled gradient and
    // the winners (the training step's path), against the CPU composition
    // through the map. The winners as above; the sums over windows are
    // added in another order, hence kSum.
    OpCase params;
    params.op = "conv2d_relu_maxpool2d_backward_params";
    params.shape = shape;
    params.tensors = forward_and_dy;
    params.tensors.push_back(output("dkernel", g.conv.kernel_size()));
    params.tensors.push_back(output("dbias", g.conv.out_c));
    params.build = [g](ProgramBuilder& b, const Tensors& t) {
      b.record(op::Conv2dReluMaxpool2dForward{
          .geometry = g, .x = *t[0], .kernel = *t[1], .bias = *t[2], .y = *t[3], .winners = t[4]});
      b.record(op::Conv2dReluMaxpool2dBackwardParams{.geometry = g,
                                                     .x = *t[0],
                                                     .dy = *t[5],
                                                     .winners = *t[4],
                                                     .dkernel = *t[6],
                                                     .dbias = *t[7]});
    };
    params.tolerance = kSum;
    cases.push_back(params);
  }
}

// ---- avgpool2d (AveragePooling2D, GlobalAveragePooling2D) -----------------------

void add_avgpool2d(std::vector<OpCase>& cases) {
  std::vector<Pool2DGeometry> shapes = {
      {1, 1, 1, 1, 1, 1, 1, 1, Padding::valid},
      {1, 4, 4, 1, 2, 2, 2, 2, Padding::valid},
      {2, 7, 7, 3, 2, 2, 2, 2, Padding::same},   // border windows of 1 and 2 taps
      {3, 7, 5, 5, 3, 3, 2, 2, Padding::same},
      {1, 13, 13, 64, 3, 3, 1, 1, Padding::same},  // overlapping windows
      {2, 7, 13, 3, 3, 2, 2, 1, Padding::valid},
      {32, 26, 26, 64, 2, 2, 2, 2, Padding::valid},  // the course's first pooling
      {32, 11, 11, 64, 2, 2, 2, 2, Padding::valid},  // floor rounding: 11 -> 5
      // GlobalAveragePooling2D: the window is the whole map.
      {32, 5, 5, 64, 5, 5, 5, 5, Padding::valid},
      {3, 26, 26, 7, 26, 26, 26, 26, Padding::valid},
  };
  for (const Pool2DGeometry& g : shapes) {
    const std::string shape = pool_shape(g);
    // Sums of up to 26 x 26 = 676 taps in the same order on both backends.
    cases.push_back(make_case(
        "avgpool2d_forward", shape, {input("x", g.input_size()), output("y", g.output_size())},
        [g](ProgramBuilder& b, const Tensors& t) {
          b.record(op::Avgpool2dForward{.geometry = g, .x = *t[0], .y = *t[1]});
        },
        kElementwise));
    cases.push_back(make_case(
        "avgpool2d_backward", shape, {input("dy", g.output_size()), output("dx", g.input_size())},
        [g](ProgramBuilder& b, const Tensors& t) {
          b.record(op::Avgpool2dBackward{.geometry = g, .dy = *t[0], .dx = *t[1]});
        },
        kElementwise));
  }
}

// ---- dense -----------------------------------------------------------------

// The dense GEMMs accumulate in float; with inputs of random sign the
// rounding error grows like sqrt(K) ulps of partial sums of the order of the
// largest output, K the reduction length. Measured on lavapipe: at most
// 8e-8 * sqrt(K) for every variant; the bound leaves a margin of about 6.
double gemm_tolerance(int reduction_length) {
  return std::max(3e-7, 5e-7 * std::sqrt(double(reduction_length)));
}

void add_dense(std::vector<OpCase>& cases) {
  std::vector<DenseGeometry> shapes;
  for (int batch : {1, 32}) {
    for (int in : {1, 3, 128, 1600}) {
      for (int out : {1, 10, 128}) shapes.push_back({batch, in, out});
    }
  }
  shapes.push_back({7, 13, 1600});
  shapes.push_back({13, 26, 28});
  shapes.push_back({3, 1600, 7});
  // The register-blocked GEMM's edges: several row blocks with a partial
  // last one, several column blocks, K % 4 != 0, transposed loads of an A
  // whose row count is not a multiple of 4.
  shapes.push_back({50, 130, 70});
  shapes.push_back({33, 66, 129});
  shapes.push_back({5, 7, 9});
  for (const DenseGeometry& g : shapes) {
    const std::string shape = dense_shape(g);
    const std::int64_t x_size = std::int64_t(g.batch) * g.in_features;
    const std::int64_t y_size = std::int64_t(g.batch) * g.out_features;
    const std::int64_t k_size = std::int64_t(g.in_features) * g.out_features;
    for (Activation act : {Activation::linear, Activation::relu}) {
      cases.push_back(make_case(
          std::string("dense_forward_") + vknn::to_string(act), shape,
          {input("x", x_size), input("kernel", k_size), input("bias", g.out_features),
           output("y", y_size)},
          [g, act](ProgramBuilder& b, const Tensors& t) {
            b.record(op::DenseForward{
                .geometry = g, .activation = act, .x = *t[0], .kernel = *t[1], .bias = *t[2], .y = *t[3]});
          },
          gemm_tolerance(g.in_features), kVariants));
    }
    cases.push_back(make_case(
        "dense_backward_input", shape,
        {input("dy", y_size), input("kernel", k_size), output("dx", x_size)},
        [g](ProgramBuilder& b, const Tensors& t) {
          b.record(op::DenseBackwardInput{.geometry = g, .dy = *t[0], .kernel = *t[1], .dx = *t[2]});
        },
        gemm_tolerance(g.out_features), kVariants));
    cases.push_back(make_case(
        "dense_backward_kernel", shape,
        {input("x", x_size), input("dy", y_size), output("dkernel", k_size)},
        [g](ProgramBuilder& b, const Tensors& t) {
          b.record(op::DenseBackwardKernel{.geometry = g, .x = *t[0], .dy = *t[1], .dkernel = *t[2]});
        },
        gemm_tolerance(g.batch), kVariants));
    cases.push_back(make_case(
        "dense_backward_bias", shape, {input("dy", y_size), output("dbias", g.out_features)},
        [g](ProgramBuilder& b, const Tensors& t) {
          b.record(op::DenseBackwardBias{.geometry = g, .dy = *t[0], .dbias = *t[1]});
        },
        gemm_tolerance(g.batch)));
  }
}

// ---- activations, loss and metrics -----------------------------------------

void add_rowwise(std::vector<OpCase>& cases) {
  for (std::int64_t count : {1, 7, 1000, 43264}) {
    cases.push_back(make_case(
        "relu_backward", "n" + std::to_string(count),
        {input("y", count, Fill::relu_output), input("dy", count), output("dx", count)},
        [count](ProgramBuilder& b, const Tensors& t) {
          b.record(op::ReluBackward{.count = count, .y = *t[0], .dy = *t[1], .dx = *t[2]});
        },
        kExact));
  }
  const ClassesGeometry shapes[] = {{1, 1}, {1, 10}, {7, 3}, {32, 10}, {5, 130}, {256, 10}};
  for (const ClassesGeometry& g : shapes) {
    const std::string shape = classes_shape(g);
    const std::int64_t n = std::int64_t(g.batch) * g.classes;

    // Spreads that need the max subtracted.
    cases.push_back(make_case(
        "softmax_forward", shape, {ranged("x", n, -20.0f, 20.0f), output("y", n)},
        [g](ProgramBuilder& b, const Tensors& t) {
          b.record(op::SoftmaxForward{.geometry = g, .x = *t[0], .y = *t[1]});
        },
        kRowwise));
    cases.push_back(make_case(
        "softmax_cross_entropy", shape,
        {ranged("logits", n, -8.0f, 8.0f), labels("labels", g.batch, g.classes),
         output("loss", g.batch), output("dlogits", n)},
        [g](ProgramBuilder& b, const Tensors& t) {
          // A partial batch divides by its own count; use a divisor that is
          // not the batch to see it is honoured.
          b.record(op::SoftmaxCrossEntropy{.geometry = g,
                                           .gradient_divisor = float(g.batch) + 3.0f,
                                           .logits = *t[0],
                                           .labels = *t[1],
                                           .loss = *t[2],
                                           .dlogits = *t[3]});
        },
        kRowwise));

    cases.push_back(make_case(
        "count_correct", shape,
        {input("scores", n), labels("labels", g.batch, g.classes),
         output("correct", g.batch, ElementType::u32)},
        [g](ProgramBuilder& b, const Tensors& t) {
          b.record(op::CountCorrect{.geometry = g, .scores = *t[0], .labels = *t[1], .correct = *t[2]});
        },
        kExact));
  }
  // A binary classifier's output: one logit per sample.
  for (std::int64_t batch : {1, 7, 32, 256}) {
    const std::string shape = "b" + std::to_string(batch);
    // Saturated both ways, and everything between.
    cases.push_back(make_case(
        "sigmoid_forward", shape, {ranged("x", batch, -30.0f, 30.0f), output("y", batch)},
        [batch](ProgramBuilder& b, const Tensors& t) {
          b.record(op::SigmoidForward{.count = batch, .x = *t[0], .y = *t[1]});
        },
        kRowwise));
    cases.push_back(make_case(
        "sigmoid_cross_entropy", shape,
        {ranged("logits", batch, -12.0f, 12.0f), labels("labels", batch, 2), output("loss", batch),
         output("dlogits", batch)},
        [batch](ProgramBuilder& b, const Tensors& t) {
          b.record(op::SigmoidCrossEntropy{.batch = batch,
                                           .gradient_divisor = float(batch) + 3.0f,
                                           .logits = *t[0],
                                           .labels = *t[1],
                                           .loss = *t[2],
                                           .dlogits = *t[3]});
        },
        kRowwise));

    cases.push_back(make_case(
        "binary_count_correct", shape,
        {input("logits", batch), labels("labels", batch, 2),
         output("correct", batch, ElementType::u32)},
        [batch](ProgramBuilder& b, const Tensors& t) {
          b.record(op::BinaryCountCorrect{.batch = batch, .logits = *t[0], .labels = *t[1], .correct = *t[2]});
        },
        kExact));
  }
  // Dropout: the mask of step state.iterations; 5 launches with a step
  // advance between them, each drawing a new mask over the last output.
  for (float rate : {0.0f, 0.2f, 0.5f, 0.9f}) {
    for (std::int64_t count : {1, 1000, 4096}) {
      OpCase dropout;
      dropout.op = "dropout";
      dropout.shape = "rate" + std::to_string(int(rate * 100)) + "_n" + std::to_string(count) +
                      "_3_launches";
      vknn::StepState state;
      state.iterations = 7;
      dropout.tensors = {step_state(state, true), input("x", count), output("y", count)};
      // Counters from an element other than 0 on the larger counts, as a
      // data-parallel rank's slice draws them (DropoutConfig::first_element).
      const vknn::DropoutConfig config{rate, 0x12345678abcdefull + std::uint64_t(count),
                                       count == 4096 ? 123457u : 0u};
      dropout.build = [config, count](ProgramBuilder& b, const Tensors& t) {
        b.record(op::Dropout{.config = config, .count = count, .state = *t[0], .x = *t[1], .y = *t[2]});
        // The backward: the same mask again.
        b.record(op::Dropout{.config = config, .count = count, .state = *t[0], .x = *t[2], .y = *t[1]});
        b.record(op::AdvanceStep{.state = *t[0]});
      };
      // Exact: the same integer mask and the same float scale.
      dropout.tolerance = kExact;
      dropout.launches = 3;
      dropout.tensors[1].output = true;
      cases.push_back(dropout);
    }
  }
  for (std::uint32_t count : {1u, 32u, 77u, 256u}) {
    OpCase metrics;
    metrics.op = "accumulate_metrics";
    metrics.shape = "n" + std::to_string(count) + "_3_launches";
    TensorDesc loss = input("loss", count);
    loss.low = 0.0f;
    loss.high = 3.0f;
    TensorDesc correct = labels("correct", count, 2);
    TensorDesc totals = input("totals", vknn::kMetricTotalsBytes / 4, Fill::zeros);
    totals.type = ElementType::u32;
    totals.output = true;
    totals.metric_totals = true;
    metrics.tensors = {loss, correct, totals};
    metrics.build = [count](ProgramBuilder& b, const Tensors& t) {
      b.record(op::AccumulateMetrics{.count = count, .loss = *t[0], .correct = *t[1], .totals = *t[2]});
    };
    // The totals are compared as words: counts exactly; the Kahan float sum
    // as its bits, which may differ in the last place between a sequential
    // and a tree sum, so the harness compares them through MetricTotals.
    metrics.tolerance = kElementwise;
    metrics.launches = 3;
    cases.push_back(metrics);

    // With sample weights: also sum(w * correct) and sum(w).
    OpCase weighted = metrics;
    weighted.op = "accumulate_metrics_weighted";
    TensorDesc weights = input("weights", count);
    weights.low = 0.0f;
    weights.high = 4.0f;
    weighted.tensors = {loss, correct, totals, weights};
    weighted.build = [count](ProgramBuilder& b, const Tensors& t) {
      b.record(op::AccumulateMetrics{
          .count = count, .loss = *t[0], .correct = *t[1], .totals = *t[2], .weights = t[3]});
    };
    cases.push_back(weighted);
  }
  // Sample weights picked through the order at the step's batch index (as
  // the gather picks samples), scaling the loss and its gradient rows.
  struct WeightShape {
    std::uint32_t samples, batch_size, count, classes, batch_index;
    std::uint32_t first = 0;  // a micro-batch's rows within the batch
  };
  for (const WeightShape& s : {WeightShape{1, 1, 1, 1, 0}, WeightShape{10, 4, 4, 1, 1},
                               WeightShape{10, 4, 2, 10, 2},  // a partial last batch
                               WeightShape{96, 32, 32, 10, 2}, WeightShape{33, 5, 3, 7, 6},
                               WeightShape{10, 4, 2, 10, 1, 1}, WeightShape{33, 5, 2, 7, 5, 3}}) {
    OpCase weighting;
    weighting.op = "weight_samples";
    weighting.shape = "samples" + std::to_string(s.samples) + "_batch" + std::to_string(s.batch_size) +
                      "_count" + std::to_string(s.count) + "_classes" + std::to_string(s.classes) +
                      "_index" + std::to_string(s.batch_index) +
                      (s.first ? "_first" + std::to_string(s.first) : std::string());
    vknn::StepState state;
    state.batch_index = s.batch_index;
    TensorDesc order = input("order", s.samples, Fill::reversed);
    order.type = ElementType::u32;
    TensorDesc sample_weights = input("sample_weights", s.samples);
    sample_weights.low = 0.0f;
    sample_weights.high = 5.0f;
    TensorDesc loss = input("loss", s.count);
    loss.output = true;
    TensorDesc dlogits = input("dlogits", std::int64_t(s.count) * s.classes);
    dlogits.output = true;
    weighting.tensors = {sample_weights, order, step_state(state), loss, dlogits,
                         output("weights_out", s.count)};
    weighting.build = [s](ProgramBuilder& b, const Tensors& t) {
      b.record(op::WeightSamples{.geometry = ClassesGeometry{int(s.count), int(s.classes)},
                                 .batch_size = s.batch_size,
                                 .first = s.first,
                                 .sample_weights = *t[0],
                                 .order = *t[1],
                                 .state = *t[2],
                                 .loss = *t[3],
                                 .dlogits = *t[4],
                                 .weights_out = *t[5]});
    };
    weighting.tolerance = kExact;  // one multiplication each
    cases.push_back(weighting);
  }
}

// ---- data movement and step state --------------------------------------------

// A gather's shape, and its tensors after the dataset: the labels, the
// epoch's order (reversed, so that following it matters), the step state
// at the batch, and the outputs.
struct GatherShape {
  std::uint32_t samples, sample_size, batch_size, count, batch_index;
  std::uint32_t first = 0;  // a micro-batch's samples within the batch

  std::string name() const {
    return "samples" + std::to_string(samples) + "_size" + std::to_string(sample_size) +
           "_batch" + std::to_string(batch_size) + "_count" + std::to_string(count) + "_index" +
           std::to_string(batch_index) + (first ? "_first" + std::to_string(first) : std::string());
  }
  std::vector<TensorDesc> tensors(TensorDesc dataset) const {
    vknn::StepState state;
    state.batch_index = batch_index;
    TensorDesc order = input("order", samples, Fill::reversed);
    order.type = ElementType::u32;
    return {std::move(dataset),
            labels("labels", samples, 10, ElementType::u8),
            order,
            step_state(state),
            output("x", std::int64_t(batch_size) * sample_size),
            output("labels_out", batch_size, ElementType::u32)};
  }
};

void add_data(std::vector<OpCase>& cases) {
  const GatherShape shapes[] = {
      {1, 1, 1, 1, 0},   {10, 7, 4, 4, 1},    {10, 7, 4, 2, 2},  // partial last batch
      {96, 784, 32, 32, 2}, {300, 784, 256, 44, 1}, {33, 13, 5, 3, 6},  // the last 3 samples
      {10, 7, 4, 2, 1, 2}, {96, 784, 32, 13, 2, 19},  // micro-batches: the end of a batch
  };
  for (const GatherShape& s : shapes) {
    OpCase gather;
    gather.op = "gather_batch";
    gather.shape = s.name();
    TensorDesc images = input("images", std::int64_t(s.samples) * s.sample_size, Fill::pixels);
    images.type = ElementType::u8;
    gather.tensors = s.tensors(images);
    gather.build = [s](ProgramBuilder& b, const Tensors& t) {
      b.record(op::GatherBatch{.sample_size = s.sample_size,
                               .batch_size = s.batch_size,
                               .count = s.count,
                               .first = s.first,
                               .images = *t[0],
                               .labels = *t[1],
                               .order = *t[2],
                               .state = *t[3],
                               .x = *t[4],
                               .labels_out = *t[5]});
    };
    // x = pixel / 255: one rounding, but the shader may multiply by 1/255.
    gather.tolerance = 3e-7;
    cases.push_back(gather);
  }
  // Float datasets: values copied as they are, from one buffer or from
  // several (chunks of whole samples, forced small here; 8 is the most the
  // shader binds). The CPU backend keeps one array, so each case also
  // checks that the chunked gather equals the single-buffer one.
  struct FloatGatherShape {
    GatherShape gather;
    std::uint32_t chunk_samples;  // 0: the device's own limit
  };
  const FloatGatherShape float_shapes[] = {
      {{1, 1, 1, 1, 0}, 0},      {{7, 5, 4, 4, 0}, 3},
      {{7, 5, 4, 3, 1}, 3},      // 3 chunks, a partial batch
      {{7, 8, 4, 3, 1}, 3},      {{96, 784, 32, 32, 2}, 0},
      {{96, 784, 96, 96, 0}, 13},  // every sample from 8 chunks, the last holding 5
      {{33, 13, 5, 3, 6}, 5},      // the last 3 positions (order is reversed: chunk 0)
      {{33, 13, 5, 5, 0}, 5},      // samples 32..28: chunks 6 and 5
      {{7, 5, 4, 2, 1, 1}, 3},     // a micro-batch within batch 1
      {{33, 13, 5, 2, 5, 3}, 5},
  };
  for (const FloatGatherShape& f : float_shapes) {
    const GatherShape& s = f.gather;
    OpCase gather;
    gather.op = "gather_float_batch";
    gather.shape = s.name() + "_chunk" +
                   (f.chunk_samples ? std::to_string(f.chunk_samples) : std::string("device"));
    TensorDesc values = ranged("values", std::int64_t(s.samples) * s.sample_size, -3.0f, 3.0f);
    values.dataset_sample_size = s.sample_size;
    values.max_chunk_samples = f.chunk_samples;
    gather.tensors = s.tensors(values);
    gather.build = [s](ProgramBuilder& b, const Tensors& t) {
      b.record(op::GatherFloatBatch{.sample_size = s.sample_size,
                                    .batch_size = s.batch_size,
                                    .count = s.count,
                                    .first = s.first,
                                    .values = *t[0],
                                    .labels = *t[1],
                                    .order = *t[2],
                                    .state = *t[3],
                                    .x = *t[4],
                                    .labels_out = *t[5]});
    };
    gather.tolerance = kExact;  // a copy
    cases.push_back(gather);
  }
  struct StoreShape {
    std::int64_t stride, count, first;
  };
  for (const StoreShape& shape : {StoreShape{10, 10, 0}, StoreShape{320, 290, 0},  // a partial last batch
                                  StoreShape{10, 4, 6}}) {  // a micro-batch at the end of its batch
    OpCase store;
    store.op = "store_batch";
    const std::int64_t stride = shape.stride, count = shape.count, first = shape.first;
    store.shape = "count" + std::to_string(count) + "_stride" + std::to_string(stride) +
                  (first ? "_first" + std::to_string(first) : std::string());
    vknn::StepState state;
    state.batch_index = 2;
    TensorDesc destination = input("destination", stride * 4, Fill::zeros);
    destination.output = true;
    store.tensors = {input("source", count), step_state(state), destination};
    store.build = [count, stride, first](ProgramBuilder& b, const Tensors& t) {
      b.record(op::StoreBatch{.count = count,
                              .stride = stride,
                              .first = first,
                              .source = *t[0],
                              .state = *t[1],
                              .destination = *t[2]});
    };
    store.tolerance = kExact;
    cases.push_back(store);
  }
  for (std::uint32_t batches_per_epoch : {0u, 3u}) {
    OpCase advance;
    advance.op = "advance_step";
    advance.shape = "wrap" + std::to_string(batches_per_epoch) + "_5_launches";
    vknn::StepState state;
    state.batch_index = 1;
    state.iterations = 41;
    state.learning_rate = 0.25f;
    state.batches_per_epoch = batches_per_epoch;
    advance.tensors = {step_state(state, true)};
    advance.build = [](ProgramBuilder& b, const Tensors& t) {
      b.record(op::AdvanceStep{.state = *t[0]});
    };
    advance.tolerance = kExact;
    advance.launches = 5;
    cases.push_back(advance);
  }
}

// ---- optimizers ----------------------------------------------------------------

// Optimizer state: read and written by every launch, so it starts at zero
// and is compared after the last.
TensorDesc state_buffer(std::string name, std::int64_t count) {
  TensorDesc t = input(std::move(name), count, Fill::zeros);
  t.output = true;
  return t;
}

// Each case launches the update 3 times with the same gradient.
OpCase update_case(std::string op, std::int64_t count, std::vector<TensorDesc> tensors,
                   std::function<void(ProgramBuilder&, const Tensors&)> build) {
  OpCase c = make_case(std::move(op), "n" + std::to_string(count) + "_3_launches",
                       std::move(tensors), std::move(build), kElementwise);
  c.launches = 3;
  return c;
}

void add_optimizers(std::vector<OpCase>& cases) {
  for (std::int64_t count : {1, 37, 1000, 243786}) {
    vknn::StepState state;
    state.learning_rate = 0.01f;
    state.iterations = 0;
    TensorDesc weights = input("weights", count);
    weights.output = true;
    const TensorDesc gradients = input("gradients", count);

    // t stays 1 unless a step advance follows, so record one to check
    // t = iterations + 1.
    cases.push_back(update_case(
        "adam_update", count,
        {step_state(state, true), weights, gradients, state_buffer("m", count),
         state_buffer("v", count)},
        [count](ProgramBuilder& b, const Tensors& t) {
          b.record(op::AdamUpdate{.config = vknn::AdamConfig{},
                                  .count = count,
                                  .state = *t[0],
                                  .weights = *t[1],
                                  .gradients = *t[2],
                                  .m = *t[3],
                                  .v = *t[4]});
          b.record(op::AdvanceStep{.state = *t[0]});
        }));
    for (float momentum : {0.0f, 0.5f}) {
      cases.push_back(update_case(
          momentum == 0.0f ? "rmsprop_update" : "rmsprop_update_momentum", count,
          {step_state(state), weights, gradients, state_buffer("velocity", count),
           state_buffer("momentum_buffer", count)},
          [count, momentum](ProgramBuilder& b, const Tensors& t) {
            b.record(op::RmspropUpdate{.config = vknn::RmspropConfig{0.001f, 0.9f, momentum, 1e-7f},
                                       .count = count,
                                       .state = *t[0],
                                       .weights = *t[1],
                                       .gradients = *t[2],
                                       .velocity = *t[3],
                                       .momentum_buffer = momentum == 0.0f ? nullptr : t[4]});
          }));
    }
    // The sum over a split batch's micro-batches: two gradients added in.
    OpCase accumulate;
    accumulate.op = "accumulate_gradient";
    accumulate.shape = "n" + std::to_string(count) + "_2_micro_batches";
    TensorDesc total = input("total", count);
    total.output = true;
    accumulate.tensors = {input("gradient", count), ranged("second_gradient", count, -2.0f, 2.0f),
                          total};
    accumulate.build = [count](ProgramBuilder& b, const Tensors& t) {
      b.record(op::AccumulateGradient{.count = count, .gradient = *t[0], .total = *t[2]});
      b.record(op::AccumulateGradient{.count = count, .gradient = *t[1], .total = *t[2]});
    };
    accumulate.tolerance = kExact;  // two additions, in the same order on both backends
    cases.push_back(accumulate);
    for (float momentum : {0.0f, 0.9f}) {
      cases.push_back(update_case(
          momentum == 0.0f ? "sgd_update" : "sgd_update_momentum", count,
          {step_state(state), weights, gradients, state_buffer("velocity", count)},
          [count, momentum](ProgramBuilder& b, const Tensors& t) {
            b.record(op::SgdUpdate{.config = vknn::SgdConfig{0.01f, momentum},
                                   .count = count,
                                   .state = *t[0],
                                   .weights = *t[1],
                                   .gradients = *t[2],
                                   .velocity = momentum == 0.0f ? nullptr : t[3]});
          }));
    }
  }
}

}  // namespace

namespace {
// ---- elementwise functions (op.hpp): every function of the list, each
// example parameter set, forward and backward, with no entry of its own --------

template <class F>
void add_elementwise_function(std::vector<OpCase>& cases) {
  const auto examples = F::examples();
  for (std::size_t e = 0; e < examples.size(); ++e) {
    const F f = examples[e];
    for (std::int64_t count : {1, 7, 1000, 43264}) {
      const std::string shape = "n" + std::to_string(count) + "_example" + std::to_string(e);
      cases.push_back(make_case(
          std::string(op::ElementwiseForward<F>::name), shape,
          {ranged("x", count, -3.0f, 3.0f), output("y", count)},
          [f, count](ProgramBuilder& b, const Tensors& t) {
            b.record(op::ElementwiseForward<F>{.function = f, .count = count, .x = *t[0], .y = *t[1]});
          },
          kElementwise));
      cases.push_back(make_case(
          std::string(op::ElementwiseBackward<F>::name), shape,
          {ranged("x", count, -3.0f, 3.0f), input("dy", count), output("dx", count)},
          [f, count](ProgramBuilder& b, const Tensors& t) {
            b.record(op::ElementwiseBackward<F>{
                .function = f, .count = count, .x = *t[0], .dy = *t[1], .dx = *t[2]});
          },
          kElementwise));
    }
  }
}

template <class... F>
void add_elementwise_functions(std::vector<OpCase>& cases, op::FunctionList<F...>) {
  (add_elementwise_function<F>(cases), ...);
}

void add_elementwise(std::vector<OpCase>& cases) {
  add_elementwise_functions(cases, op::ElementwiseFunctions{});
}

std::string padding_name(Padding p) { return p == Padding::valid ? "valid" : "same"; }
}  // namespace

std::string conv_shape(const Conv2DGeometry& g) {
  std::ostringstream s;
  s << "b" << g.batch << "_" << g.in_h << "x" << g.in_w << "x" << g.in_c << "_to_" << g.out_c
    << "_k" << g.kernel_h << "x" << g.kernel_w << "_s" << g.stride_h << "x" << g.stride_w << "_"
    << padding_name(g.padding);
  return s.str();
}

std::string pool_shape(const Pool2DGeometry& g) {
  std::ostringstream s;
  s << "b" << g.batch << "_" << g.in_h << "x" << g.in_w << "x" << g.channels << "_p" << g.pool_h
    << "x" << g.pool_w << "_s" << g.stride_h << "x" << g.stride_w << "_" << padding_name(g.padding);
  return s.str();
}

std::string dense_shape(const DenseGeometry& g) {
  return "b" + std::to_string(g.batch) + "_in" + std::to_string(g.in_features) + "_out" +
         std::to_string(g.out_features);
}

std::string classes_shape(const ClassesGeometry& g) {
  return "b" + std::to_string(g.batch) + "_classes" + std::to_string(g.classes);
}

std::string OpCase::id() const {
  std::string name = op + "__" + shape;
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_') ch = '_';
  }
  return name;
}

// ---- augmented gather ------------------------------------------------------

// The gather with Keras's augmentation: each transform alone and all
// together, under each fill mode, on uint8 pixels (/ 255) and float values
// (in several chunks), with odd and non-square pictures (7x5: Keras's
// centre lands on swapped axes), a picture one pixel high (the boundary
// modes' len 1 case), 1, 3 and 4 channels, batch 1 and several, a partial
// batch, a micro-batch (first > 0) and the course's 28x28 batch of 32. The
// identity settings are a case too (tests/ops/augmented_gather_test.cpp
// checks that they equal the plain gather).
struct AugmentedShape {
  std::uint32_t samples, height, width, channels, batch_size, first, count, batch_index;
  bool float_values;
  std::uint32_t chunk_samples = 0;  // float values: 0 the device's limit

  std::string name() const {
    return std::to_string(height) + "x" + std::to_string(width) + "x" + std::to_string(channels) +
           (float_values ? "_f32" : "_u8") +
           (chunk_samples ? "_chunk" + std::to_string(chunk_samples) : std::string()) +
           "_samples" + std::to_string(samples) + "_batch" + std::to_string(batch_size) +
           "_first" + std::to_string(first) + "_count" + std::to_string(count) + "_index" +
           std::to_string(batch_index);
  }
};

void add_augmented_gather(std::vector<OpCase>& cases) {
  using vknn::Augmentation;
  using vknn::FillMode;
  struct Setting {
    const char* name;
    Augmentation augmentation;
  };
  const Setting transforms[] = {
      {"identity", {}},
      {"rotation", {.rotation_range = 40.0f}},
      {"width_shift", {.width_shift_range = {0.3f}}},
      {"height_shift", {.height_shift_range = {0.3f}}},
      {"shift_pixels", {.width_shift_range = {2.5f}, .height_shift_range = {1.5f}}},
      {"shift_whole_pixels",
       {.width_shift_range = {3.0f, true}, .height_shift_range = {2.0f, true}}},
      {"shear", {.shear_range = 30.0f}},
      {"zoom", {.zoom_range = Augmentation::zoom(0.4f)}},
      {"horizontal_flip", {.horizontal_flip = true}},
      {"vertical_flip", {.vertical_flip = true}},
      // The Random* preprocessing layers' geometry (centre and shift sides
      // differ from ImageDataGenerator's where the picture is not square),
      // with RandomZoom's one zoom for both axes.
      {"layers",
       {.rotation_range = 72.0f,
        .width_shift_range = {0.2f},
        .height_shift_range = {0.1f},
        .zoom_range = {0.7f, 1.2f},
        .same_zoom_both_axes = true,
        .geometry = vknn::AugmentationGeometry::preprocessing_layers,
        .horizontal_flip = true,
        .vertical_flip = true}},
      {"layers_shift", {.width_shift_range = {0.3f},
                        .geometry = vknn::AugmentationGeometry::preprocessing_layers}},
      {"all",
       {.rotation_range = 40.0f,
        .width_shift_range = {0.2f},
        .height_shift_range = {0.2f},
        .shear_range = 20.0f,
        .zoom_range = {0.6f, 1.5f},
        .horizontal_flip = true,
        .vertical_flip = true}},
  };
  const FillMode fills[] = {FillMode::nearest, FillMode::reflect, FillMode::wrap,
                            FillMode::constant};
  const auto add = [&cases](const AugmentedShape& s, const Setting& setting, FillMode fill,
                            bool keyed = false) {
    Augmentation a = setting.augmentation;
    a.fill_mode = fill;
    a.cval = 0.625f;
    a.seed = 0x123456789abcdefull;
    OpCase c;
    c.op = std::string("gather_augmented_batch_") + setting.name + "_" + vknn::to_string(fill) +
           (keyed ? "_keyed" : "");
    c.shape = s.name();
    const std::int64_t sample_size = std::int64_t(s.height) * s.width * s.channels;
    TensorDesc dataset;
    if (s.float_values) {
      dataset = ranged("values", s.samples * sample_size, -3.0f, 3.0f);
      dataset.dataset_sample_size = sample_size;
      dataset.max_chunk_samples = s.chunk_samples;
    } else {
      dataset = input("images", s.samples * sample_size, Fill::pixels);
      dataset.type = ElementType::u8;
    }
    vknn::StepState state;
    state.batch_index = s.batch_index;
    state.iterations = 7 + s.batch_index;  // the draw's step
    TensorDesc order = input("order", s.samples, Fill::reversed);
    order.type = ElementType::u32;
    c.tensors = {dataset,
                 labels("labels", s.samples, 10, ElementType::u8),
                 order,
                 step_state(state),
                 output("x", std::int64_t(s.count) * sample_size),
                 output("labels_out", s.count, ElementType::u32)};
    if (keyed) {  // a streamed window's: slot k draws as sample samples - 1 - k
      TensorDesc keys = input("keys", s.samples, Fill::reversed);
      keys.type = ElementType::u32;
      c.tensors.push_back(keys);
    }
    c.build = [s, a, keyed](ProgramBuilder& b, const Tensors& t) {
      b.record(op::GatherAugmentedBatch{.augmentation = a,
                                        .height = s.height,
                                        .width = s.width,
                                        .channels = s.channels,
                                        .batch_size = s.batch_size,
                                        .first = s.first,
                                        .count = s.count,
                                        .images = *t[0],
                                        .labels = *t[1],
                                        .order = *t[2],
                                        .state = *t[3],
                                        .x = *t[4],
                                        .labels_out = *t[5],
                                        .keys = keyed ? t[6] : nullptr});
    };
    // Both backends run the same float32 operations (ops/augmentation_math
    // .hpp and augmentation.glsl, none fused): equal bits, on lavapipe in
    // every case here. uint8 pixels end with / 255, which Vulkan lets a
    // driver compute to 2.5 ulp (gather_batch allows the same 3e-7).
    c.tolerance = s.float_values ? kExact : 3e-7;
    cases.push_back(c);
  };
  const AugmentedShape every_setting[] = {
      {9, 7, 5, 1, 4, 0, 4, 1, false},
      {11, 7, 5, 3, 4, 0, 3, 2, true, 4},  // a partial last batch from 3 chunks
  };
  for (const AugmentedShape& s : every_setting) {
    for (const Setting& t : transforms) {
      for (FillMode fill : fills) add(s, t, fill);
    }
  }
  const AugmentedShape more[] = {
      {1, 1, 1, 1, 1, 0, 1, 0, false},       // one pixel
      {5, 1, 4, 1, 2, 0, 2, 1, false},       // one row: len 1 on an axis
      {6, 6, 6, 4, 4, 2, 2, 0, false},       // a micro-batch: samples 2 and 3 of the batch
      {6, 6, 6, 4, 4, 1, 3, 0, true},        // the same on float values
      {40, 28, 28, 1, 32, 0, 32, 0, false},  // the course's batch
      {12, 13, 11, 3, 12, 0, 12, 0, true, 5},
  };
  for (const AugmentedShape& s : more) {
    for (FillMode fill : fills) add(s, transforms[std::size(transforms) - 1], fill);
    add(s, transforms[0], FillMode::nearest);
  }
  for (const AugmentedShape& s : every_setting) {
    add(s, transforms[std::size(transforms) - 1], FillMode::reflect, /*keyed=*/true);
  }
}

const std::vector<OpCase>& all_cases() {
  static const auto cases =
      collect<OpCase>({add_conv2d, add_maxpool2d, add_conv2d_relu_maxpool2d, add_avgpool2d,
                       add_dense, add_rowwise, add_data, add_augmented_gather, add_optimizers,
                       add_elementwise});
  return cases;
}

}  // namespace vknn_test::op_table
