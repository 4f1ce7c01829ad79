// The op table's finite-difference entries (see op_table.hpp): for every op
// with a backward, its shapes and how to run its CPU reference forward and
// backward in double. gradient_test.cpp checks each against central
// differences.
//
// Shapes: batch 1 and 3, 1 and several channels, odd sizes, strides 1 to 3,
// valid and same, even kernels (whose 'same' pad is asymmetric), a kernel
// larger than its input, overlapping and disjoint pooling windows, a global
// average. They are small because a central difference costs two forward
// passes per input element.
#include "cpu/gradient_check.hpp"
#include "ops/crosscheck.hpp"
#include "backend/op.hpp"
#include "ops/op_table.hpp"
#include "vknn/cpu/reference_ops.hpp"

namespace vknn_test::op_table {

namespace {

using vknn::ConvReluPoolGeometry;
using Draw = GradientInput::Draw;
namespace cpu = vknn::cpu;

GradientInput param(std::string name, std::int64_t count, Draw draw = Draw::uniform) {
  return GradientInput{std::move(name), count, draw};
}

std::vector<double> zeros(std::int64_t count) { return std::vector<double>(std::size_t(count)); }

// ---- conv2d: x, kernel and bias, linear and with the fused relu -------------

void add_conv2d(std::vector<GradientCase>& cases) {
  const auto conv = vknn_test::conv_geometry;
  const Conv2DGeometry shapes[] = {
      //   b  h  w  c  f kh kw sh sw
      conv(1, 5, 5, 1, 1, 3, 3, 1, 1, Padding::valid),  // one channel, one filter
      conv(3, 5, 5, 1, 2, 3, 3, 1, 1, Padding::same),   // a batch; same's border taps
      conv(1, 7, 5, 3, 2, 3, 3, 1, 1, Padding::same),   // not square, channels
      conv(3, 7, 7, 3, 2, 3, 3, 2, 2, Padding::valid),  // stride 2
      conv(1, 7, 7, 3, 4, 3, 3, 2, 2, Padding::same),   // stride 2 with its odd pad after
      conv(3, 7, 5, 1, 3, 3, 3, 2, 1, Padding::same),   // strides that differ per axis
      conv(1, 5, 7, 3, 2, 2, 4, 1, 2, Padding::same),   // an even, oblong kernel
      conv(1, 6, 6, 2, 3, 4, 4, 2, 2, Padding::same),   // an even kernel's asymmetric pad
      conv(1, 8, 7, 2, 2, 2, 2, 3, 3, Padding::valid),  // stride wider than the kernel
      conv(3, 5, 5, 3, 2, 1, 1, 1, 1, Padding::valid),  // 1x1: a per-pixel dense
      conv(1, 5, 5, 3, 2, 5, 5, 1, 1, Padding::valid),  // the kernel is the whole map
      conv(1, 3, 4, 2, 2, 5, 5, 1, 1, Padding::same),   // a kernel larger than its input
  };
  auto add = [&cases](const Conv2DGeometry& g, Activation act) {
    GradientCase c;
    c.op = std::string("conv2d_") + vknn::to_string(act);
    c.shape = conv_shape(g);
    c.inputs = {param("x", g.input_size()), param("kernel", g.kernel_size()),
                param("bias", g.out_c)};
    c.output_count = g.output_size();
    c.forward = [g, act](const Values& in) {
      auto y = zeros(g.output_size());
      cpu::conv2d_forward(g, in[0].data(), in[1].data(), in[2].data(), y.data(), act);
      return y;
    };
    // The contract's dy is at the linear output: a fused relu's mask goes
    // through relu_backward first, as the model records it.
    c.backward = [g, act, forward = c.forward](const Values& in, const std::vector<double>& dy) {
      std::vector<double> dlinear = dy;
      if (act == Activation::relu) {
        const auto y = forward(in);
        cpu::relu_backward(g.output_size(), y.data(), dy.data(), dlinear.data());
      }
      Values d{zeros(g.input_size()), zeros(g.kernel_size()), zeros(g.out_c)};
      cpu::conv2d_backward_input(g, dlinear.data(), in[1].data(), d[0].data());
      cpu::conv2d_backward_kernel(g, in[0].data(), dlinear.data(), d[1].data());
      cpu::conv2d_backward_bias(g, dlinear.data(), d[2].data());
      return d;
    };
    cases.push_back(c);
  };
  for (const Conv2DGeometry& g : shapes) add(g, Activation::linear);
  add(conv(3, 7, 5, 3, 2, 3, 3, 2, 2, Padding::same), Activation::relu);
}

// ---- conv2d + relu + maxpool2d, fused: the pooling's
// backward from the forward's winner bytes, then the conv's gradients, as
// the model records it ---------------------------------------------------------

// in_c input channels, a k x k kernel, then pooling windows that tile the map.
ConvReluPoolGeometry fused(int batch, int h, int w, int out_c, int k, int conv_stride,
                           Padding padding, int pool_h, int pool_w, int in_c = 1) {
  return ConvReluPoolGeometry::tiling(
      vknn_test::conv_geometry(batch, h, w, in_c, out_c, k, k, conv_stride, conv_stride, padding),
      pool_h, pool_w);
}

void add_conv_relu_pool(std::vector<GradientCase>& cases) {
  const ConvReluPoolGeometry shapes[] = {
      fused(2, 10, 10, 8, 3, 1, Padding::valid, 2, 2),  // the course's pair, smaller
      fused(3, 9, 11, 5, 3, 1, Padding::valid, 2, 2),   // floor rounding; 5 channels
      fused(1, 7, 7, 1, 3, 1, Padding::same, 3, 3),     // a padded conv, one channel
      fused(2, 9, 9, 4, 2, 2, Padding::valid, 2, 2),    // a strided conv
      fused(1, 8, 10, 3, 3, 1, Padding::same, 2, 3),    // a non-square pool
      fused(2, 8, 9, 4, 3, 1, Padding::valid, 2, 2, 3), // RGB
      fused(1, 7, 7, 2, 3, 1, Padding::same, 2, 2, 4),  // RGBA, padded
  };
  for (const ConvReluPoolGeometry& g : shapes) {
    GradientCase c;
    c.op = "conv2d_relu_maxpool2d";
    c.shape = conv_shape(g.conv) + "_pool" + std::to_string(g.pool.pool_h) + "x" +
              std::to_string(g.pool.pool_w);
    // A small bias keeps most windows' maximum above relu's kink.
    c.inputs = {param("x", g.conv.input_size()), param("kernel", g.conv.kernel_size()),
                GradientInput{"bias", g.conv.out_c, Draw::uniform, -0.3, 0.3}};
    c.output_count = g.pool.output_size();
    c.forward = [g](const Values& in) {
      auto y = zeros(g.pool.output_size());
      cpu::conv2d_relu_maxpool2d_forward(g, in[0].data(), in[1].data(), in[2].data(), y.data(),
                                         static_cast<std::uint8_t*>(nullptr));
      return y;
    };
    c.backward = [g](const Values& in, const std::vector<double>& dy) {
      auto y = zeros(g.pool.output_size());
      std::vector<std::uint8_t> winners(static_cast<std::size_t>(g.winners_size()));
      cpu::conv2d_relu_maxpool2d_forward(g, in[0].data(), in[1].data(), in[2].data(), y.data(),
                                         winners.data());
      auto dmap = zeros(g.pool.input_size());
      cpu::maxpool2d_backward_from_winners(g, dy.data(), winners.data(), dmap.data());
      Values d{zeros(g.conv.input_size()), zeros(g.conv.kernel_size()), zeros(g.conv.out_c)};
      cpu::conv2d_backward_input(g.conv, dmap.data(), in[1].data(), d[0].data());
      // The kernel and bias gradients as the training step gets them.
      cpu::conv2d_relu_maxpool2d_backward_params(g, in[0].data(), dy.data(), winners.data(),
                                                 d[1].data(), d[2].data());
      return d;
    };
    cases.push_back(c);
  }
}

// ---- dense -------------------------------------------------------------------

void add_dense(std::vector<GradientCase>& cases) {
  const DenseGeometry shapes[] = {{1, 1, 1}, {1, 7, 5}, {3, 5, 7}, {3, 1, 10}, {2, 25, 3}};
  for (const DenseGeometry& g : shapes) {
    const std::int64_t x_size = std::int64_t(g.batch) * g.in_features;
    const std::int64_t k_size = std::int64_t(g.in_features) * g.out_features;
    GradientCase c;
    c.op = "dense";
    c.shape = dense_shape(g);
    c.inputs = {param("x", x_size), param("kernel", k_size), param("bias", g.out_features)};
    c.output_count = std::int64_t(g.batch) * g.out_features;
    c.forward = [g, n = c.output_count](const Values& in) {
      auto y = zeros(n);
      cpu::dense_forward(g, in[0].data(), in[1].data(), in[2].data(), y.data());
      return y;
    };
    c.backward = [g, x_size, k_size](const Values& in, const std::vector<double>& dy) {
      Values d{zeros(x_size), zeros(k_size), zeros(g.out_features)};
      cpu::dense_backward_input(g, dy.data(), in[1].data(), d[0].data());
      cpu::dense_backward_kernel(g, in[0].data(), dy.data(), d[1].data());
      cpu::dense_backward_bias(g, dy.data(), d[2].data());
      return d;
    };
    cases.push_back(c);
  }
}

// ---- pooling: max (distinct inputs, so no window has a tie within h) and
// average, on the same windows ------------------------------------------------

void add_pooling(std::vector<GradientCase>& cases) {
  std::vector<Pool2DGeometry> shapes = {
      // b  h  w  c ph pw sh sw
      {1, 4, 4, 1, 2, 2, 2, 2, Padding::valid},  // the course's 2x2 windows
      {3, 5, 5, 3, 2, 2, 2, 2, Padding::valid},  // floor rounding drops the last row
      {1, 7, 7, 1, 2, 2, 2, 2, Padding::same},   // same pads the last window
      {3, 7, 5, 3, 3, 3, 2, 2, Padding::same},   // 3x3 windows that overlap by one
      {1, 5, 5, 1, 3, 3, 1, 1, Padding::same},   // overlapping windows at stride 1
      {1, 7, 6, 3, 3, 3, 2, 2, Padding::valid},  // not square
      {3, 5, 7, 1, 2, 3, 1, 2, Padding::same},   // oblong windows and strides
      {1, 7, 5, 3, 3, 2, 3, 3, Padding::valid},  // inputs no window covers
  };
  for (const Pool2DGeometry& g : shapes) {
    GradientCase max;
    max.op = "maxpool2d";
    max.shape = pool_shape(g);
    max.inputs = {param("x", g.input_size(), Draw::distinct)};
    max.output_count = g.output_size();
    max.forward = [g](const Values& in) {
      auto y = zeros(g.output_size());
      cpu::maxpool2d_forward(g, in[0].data(), y.data());
      return y;
    };
    max.backward = [g](const Values& in, const std::vector<double>& dy) {
      Values d{zeros(g.input_size())};
      cpu::maxpool2d_backward(g, in[0].data(), dy.data(), d[0].data());
      return d;
    };
    cases.push_back(max);
  }
  shapes.push_back({2, 6, 5, 4, 6, 5, 6, 5, Padding::valid});  // GlobalAveragePooling2D
  for (const Pool2DGeometry& g : shapes) {
    GradientCase average;
    average.op = "avgpool2d";
    average.shape = pool_shape(g);
    average.inputs = {param("x", g.input_size())};
    average.output_count = g.output_size();
    average.forward = [g](const Values& in) {
      auto y = zeros(g.output_size());
      cpu::avgpool2d_forward(g, in[0].data(), y.data());
      return y;
    };
    average.backward = [g](const Values&, const std::vector<double>& dy) {
      Values d{zeros(g.input_size())};
      cpu::avgpool2d_backward(g, dy.data(), d[0].data());
      return d;
    };
    cases.push_back(average);
  }
}

// ---- element-wise and row-wise ops ---------------------------------------------

void add_activations(std::vector<GradientCase>& cases) {
  for (std::int64_t count : {1, 7, 64}) {
    GradientCase relu;
    relu.op = "relu";
    relu.shape = "n" + std::to_string(count);
    relu.inputs = {param("x", count, Draw::away_from_zero)};
    relu.output_count = count;
    relu.forward = [count](const Values& in) {
      auto y = zeros(count);
      cpu::relu_forward(count, in[0].data(), y.data());
      return y;
    };
    relu.backward = [count, forward = relu.forward](const Values& in, const std::vector<double>& dy) {
      const auto y = forward(in);
      Values d{zeros(count)};
      cpu::relu_backward(count, y.data(), dy.data(), d[0].data());
      return d;
    };
    cases.push_back(relu);
  }
  // Dropout is linear in x with the step's mask: its backward is the same
  // mask applied to dy.
  for (std::int64_t count : {1, 1000}) {
    GradientCase dropout;
    dropout.op = "dropout";
    dropout.shape = "rate30_n" + std::to_string(count);
    dropout.inputs = {param("x", count)};
    dropout.output_count = count;
    const vknn::DropoutConfig config{0.3f, 0x5eedull};
    const std::uint32_t step = 11;
    dropout.forward = [count, config](const Values& in) {
      auto y = zeros(count);
      cpu::dropout_apply(count, config, step, in[0].data(), y.data());
      return y;
    };
    dropout.backward = [count, config](const Values&, const std::vector<double>& dy) {
      Values d{zeros(count)};
      cpu::dropout_apply(count, config, step, dy.data(), d[0].data());
      return d;
    };
    cases.push_back(dropout);
  }
  const ClassesGeometry shapes[] = {{1, 1}, {1, 5}, {3, 7}, {3, 10}};
  for (const ClassesGeometry& g : shapes) {
    const std::int64_t n = std::int64_t(g.batch) * g.classes;
    GradientCase softmax;
    softmax.op = "softmax";
    softmax.shape = classes_shape(g);
    softmax.inputs = {GradientInput{"x", n, Draw::uniform, -3.0, 3.0}};
    softmax.output_count = n;
    softmax.forward = [g, n](const Values& in) {
      auto y = zeros(n);
      cpu::softmax_forward(g, in[0].data(), y.data());
      return y;
    };
    softmax.backward = [g, n, forward = softmax.forward](const Values& in,
                                                         const std::vector<double>& dy) {
      const auto y = forward(in);
      Values d{zeros(n)};
      cpu::softmax_backward(g, y.data(), dy.data(), d[0].data());
      return d;
    };
    cases.push_back(softmax);
  }
}

// ---- the fused losses: their dlogits is the gradient of sum(loss) / divisor ----

std::vector<std::uint32_t> labels_for(std::int64_t batch, int classes, std::uint64_t seed) {
  std::vector<std::uint32_t> labels(static_cast<std::size_t>(batch));
  vknn::test::Random random(seed);
  for (auto& label : labels) label = std::uint32_t(random.next() % std::uint64_t(classes));
  return labels;
}

void add_losses(std::vector<GradientCase>& cases) {
  const ClassesGeometry shapes[] = {{1, 1}, {1, 5}, {3, 7}, {3, 10}};
  for (const ClassesGeometry& g : shapes) {
    const std::int64_t n = std::int64_t(g.batch) * g.classes;
    const double divisor = g.batch + 2.0;  // not the batch: a partial batch's own count
    const auto labels = labels_for(g.batch, g.classes, 82);
    GradientCase loss;
    loss.op = "softmax_cross_entropy";
    loss.shape = classes_shape(g);
    loss.inputs = {GradientInput{"logits", n, Draw::uniform, -3.0, 3.0}};
    loss.output_count = g.batch;
    loss.constant_weight = 1.0 / divisor;
    loss.forward = [g, n, labels, divisor](const Values& in) {
      auto per_sample = zeros(g.batch), dlogits = zeros(n);
      cpu::softmax_cross_entropy(g, in[0].data(), labels.data(), divisor, per_sample.data(),
                                 dlogits.data());
      return per_sample;
    };
    loss.backward = [g, n, labels, divisor](const Values& in, const std::vector<double>&) {
      auto per_sample = zeros(g.batch);
      Values d{zeros(n)};
      cpu::softmax_cross_entropy(g, in[0].data(), labels.data(), divisor, per_sample.data(),
                                 d[0].data());
      return d;
    };
    cases.push_back(loss);
  }
  for (std::int64_t batch : {1, 9}) {
    const double divisor = 7.0;
    const auto labels = labels_for(batch, 2, 3);
    GradientCase loss;
    loss.op = "sigmoid_cross_entropy";
    loss.shape = "b" + std::to_string(batch);
    loss.inputs = {GradientInput{"logits", batch, Draw::uniform, -6.0, 6.0}};
    loss.output_count = batch;
    loss.constant_weight = 1.0 / divisor;
    loss.forward = [batch, labels, divisor](const Values& in) {
      auto per_sample = zeros(batch), dlogits = zeros(batch);
      cpu::sigmoid_cross_entropy(batch, in[0].data(), labels.data(), divisor, per_sample.data(),
                                 dlogits.data());
      return per_sample;
    };
    loss.backward = [batch, labels, divisor](const Values& in, const std::vector<double>&) {
      auto per_sample = zeros(batch);
      Values d{zeros(batch)};
      cpu::sigmoid_cross_entropy(batch, in[0].data(), labels.data(), divisor, per_sample.data(),
                                 d[0].data());
      return d;
    };
    cases.push_back(loss);
  }
}

// ---- elementwise functions (src/backend/op.hpp): each function's struct is
// its own reference in double; every example parameter set, x away from 0
// so h never crosses a kink. Entries are named by the function ------------------

template <class F>
void add_elementwise_function(std::vector<GradientCase>& cases) {
  const auto examples = F::examples();
  for (std::size_t e = 0; e < examples.size(); ++e) {
    const F f = examples[e];
    for (std::int64_t count : {1, 7}) {
      GradientCase c;
      c.op = std::string(F::name);
      c.shape = "n" + std::to_string(count) + "_example" + std::to_string(e);
      c.inputs = {param("x", count, Draw::away_from_zero)};
      c.output_count = count;
      c.forward = [f, count](const Values& in) {
        auto y = zeros(count);
        for (std::int64_t i = 0; i < count; ++i) y[i] = f.value(in[0][i]);
        return y;
      };
      c.backward = [f, count](const Values& in, const std::vector<double>& dy) {
        Values d{zeros(count)};
        for (std::int64_t i = 0; i < count; ++i) d[0][i] = f.derivative(in[0][i]) * dy[i];
        return d;
      };
      cases.push_back(c);
    }
  }
}

template <class... F>
void add_elementwise_functions(std::vector<GradientCase>& cases, vknn::backend::op::FunctionList<F...>) {
  (add_elementwise_function<F>(cases), ...);
}

void add_elementwise(std::vector<GradientCase>& cases) {
  add_elementwise_functions(cases, vknn::backend::op::ElementwiseFunctions{});
}

}  // namespace


std::string GradientCase::id() const {
  OpCase named;
  named.op = op;
  named.shape = shape + "__finite_difference";
  return named.id();
}

const std::vector<GradientCase>& all_gradient_cases() {
  static const auto cases =
      collect<GradientCase>({add_conv2d, add_conv_relu_pool, add_dense, add_pooling,
                             add_activations, add_losses, add_elementwise});
  return cases;
}

}  // namespace vknn_test::op_table
