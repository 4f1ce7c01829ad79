#include "bench_cases.hpp"

#include <random>

namespace vknn::bench {
namespace {

using backend::Backend;
using backend::DeviceTensor;
using backend::ElementType;
using backend::ProgramBuilder;

const DeviceTensor& random_tensor(Backend& backend, Tensors& keep, const std::string& name,
                                  std::int64_t count, float scale = 1.0f) {
  std::mt19937 rng{static_cast<std::uint32_t>(count)};
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> values(static_cast<std::size_t>(count));
  for (auto& v : values) v = dist(rng);
  keep.push_back(backend.tensor(name, ElementType::f32, count));
  backend.write(*keep.back(), values.data(), values.size() * sizeof(float));
  return *keep.back();
}

const DeviceTensor& output_tensor(Backend& backend, Tensors& keep, const std::string& name,
                                  std::int64_t count, ElementType type = ElementType::f32) {
  keep.push_back(backend.tensor(name, type, count));
  backend.zero(*keep.back());
  return *keep.back();
}

void add_conv(std::vector<OpCase>& cases, const std::string& layer, const Conv2DGeometry& g) {
  const double f = double(g.forward_flops());
  const double in = double(g.input_size()) * 4, out = double(g.output_size()) * 4,
               k = double(g.kernel_size()) * 4;
  cases.push_back({"conv2d_forward/" + layer, f, in + k + out, [g](Backend& b, ProgramBuilder& p, Tensors& t) {
    p.conv2d_forward(g, random_tensor(b, t, "x", g.input_size()),
                     random_tensor(b, t, "kernel", g.kernel_size(), 0.1f),
                     random_tensor(b, t, "bias", g.out_c), output_tensor(b, t, "y", g.output_size()),
                     Activation::relu);
  }});
  cases.push_back({"conv2d_backward_input/" + layer, f, out + k + in, [g](Backend& b, ProgramBuilder& p, Tensors& t) {
    p.conv2d_backward_input(g, random_tensor(b, t, "dy", g.output_size()),
                            random_tensor(b, t, "kernel", g.kernel_size(), 0.1f),
                            output_tensor(b, t, "dx", g.input_size()));
  }});
  cases.push_back({"conv2d_backward_kernel/" + layer, f, in + out + k, [g](Backend& b, ProgramBuilder& p, Tensors& t) {
    p.conv2d_backward_kernel(g, random_tensor(b, t, "x", g.input_size()),
                             random_tensor(b, t, "dy", g.output_size()),
                             output_tensor(b, t, "dkernel", g.kernel_size()));
  }});
  cases.push_back({"conv2d_backward_bias/" + layer, double(g.output_size()), out, [g](Backend& b, ProgramBuilder& p, Tensors& t) {
    p.conv2d_backward_bias(g, random_tensor(b, t, "dy", g.output_size()),
                           output_tensor(b, t, "dbias", g.out_c));
  }});
}

void add_pool(std::vector<OpCase>& cases, const std::string& layer, const Pool2DGeometry& g) {
  const double in = double(g.input_size()) * 4, out = double(g.output_size()) * 4;
  const double compares = double(g.output_size()) * g.pool_h * g.pool_w;
  cases.push_back({"maxpool2d_forward/" + layer, compares, in + out, [g](Backend& b, ProgramBuilder& p, Tensors& t) {
    p.maxpool2d_forward(g, random_tensor(b, t, "x", g.input_size()), output_tensor(b, t, "y", g.output_size()));
  }});
  cases.push_back({"maxpool2d_backward/" + layer, compares, 2 * in + out, [g](Backend& b, ProgramBuilder& p, Tensors& t) {
    // As the model runs it: after a relu, with the relu backward fused in.
    p.maxpool2d_backward(g, random_tensor(b, t, "x", g.input_size()),
                         random_tensor(b, t, "dy", g.output_size()),
                         output_tensor(b, t, "dx", g.input_size()), true);
  }});
}

// conv1 + relu + pool1 as one op (training: with winners), the pooling's
// backward from those winners (for a conv whose input gradient is needed),
// and the conv's kernel and bias gradients straight from them: what the
// training step runs for that pair.
void add_conv_relu_pool(std::vector<OpCase>& cases, const std::string& layer,
                        const ConvReluPoolGeometry& g) {
  const double in = double(g.conv.input_size()) * 4, out = double(g.pool.output_size()) * 4,
               k = double(g.conv.kernel_size()) * 4, map = double(g.pool.input_size()) * 4,
               winners = double(g.winners_size());
  cases.push_back({"conv2d_relu_maxpool2d_forward/" + layer, double(g.conv.forward_flops()),
                   in + k + out + winners, [g](Backend& b, ProgramBuilder& p, Tensors& t) {
    p.conv2d_relu_maxpool2d_forward(g, random_tensor(b, t, "x", g.conv.input_size()),
                                    random_tensor(b, t, "kernel", g.conv.kernel_size(), 0.1f),
                                    random_tensor(b, t, "bias", g.conv.out_c),
                                    output_tensor(b, t, "y", g.pool.output_size()),
                                    &output_tensor(b, t, "winners", g.winners_size(), ElementType::u8));
  }});
  cases.push_back({"maxpool2d_backward_from_winners/" + layer, double(g.pool.output_size()),
                   out + winners + map, [g](Backend& b, ProgramBuilder& p, Tensors& t) {
    // Zeroed winners: every window's first tap, which costs what any tap does.
    const DeviceTensor& winners = output_tensor(b, t, "winners", g.winners_size(), ElementType::u8);
    p.maxpool2d_backward_from_winners(g, random_tensor(b, t, "dy", g.pool.output_size()), winners,
                                      output_tensor(b, t, "dx", g.pool.input_size()));
  }});
  // FLOPs: the conv's kernel gradient (as many as its forward pass), which
  // this op computes without the map; bytes: what it reads and writes.
  cases.push_back({"conv2d_relu_maxpool2d_backward_params/" + layer, double(g.conv.forward_flops()),
                   in + out + winners + k + 4.0 * g.conv.out_c,
                   [g](Backend& b, ProgramBuilder& p, Tensors& t) {
    const DeviceTensor& winners = output_tensor(b, t, "winners", g.winners_size(), ElementType::u8);
    p.conv2d_relu_maxpool2d_backward_params(g, random_tensor(b, t, "x", g.conv.input_size()),
                                            random_tensor(b, t, "dy", g.pool.output_size()), winners,
                                            output_tensor(b, t, "dkernel", g.conv.kernel_size()),
                                            output_tensor(b, t, "dbias", g.conv.out_c));
  }});
}

void add_dense(std::vector<OpCase>& cases, const std::string& layer, const DenseGeometry& g) {
  const double f = double(g.forward_flops());
  const double x = double(g.batch) * g.in_features * 4, y = double(g.batch) * g.out_features * 4,
               k = double(g.in_features) * g.out_features * 4;
  const std::int64_t kn = std::int64_t(g.in_features) * g.out_features;
  cases.push_back({"dense_forward/" + layer, f, x + k + y, [g, kn](Backend& b, ProgramBuilder& p, Tensors& t) {
    p.dense_forward(g, random_tensor(b, t, "x", std::int64_t(g.batch) * g.in_features),
                    random_tensor(b, t, "kernel", kn, 0.1f), random_tensor(b, t, "bias", g.out_features),
                    output_tensor(b, t, "y", std::int64_t(g.batch) * g.out_features), Activation::relu);
  }});
  cases.push_back({"dense_backward_input/" + layer, f, y + k + x, [g, kn](Backend& b, ProgramBuilder& p, Tensors& t) {
    p.dense_backward_input(g, random_tensor(b, t, "dy", std::int64_t(g.batch) * g.out_features),
                           random_tensor(b, t, "kernel", kn, 0.1f),
                           output_tensor(b, t, "dx", std::int64_t(g.batch) * g.in_features));
  }});
  cases.push_back({"dense_backward_kernel/" + layer, f, x + y + k, [g, kn](Backend& b, ProgramBuilder& p, Tensors& t) {
    p.dense_backward_kernel(g, random_tensor(b, t, "x", std::int64_t(g.batch) * g.in_features),
                            random_tensor(b, t, "dy", std::int64_t(g.batch) * g.out_features),
                            output_tensor(b, t, "dkernel", kn));
  }});
  cases.push_back({"dense_backward_bias/" + layer, double(g.batch) * g.out_features, y + g.out_features * 4.0,
                   [g](Backend& b, ProgramBuilder& p, Tensors& t) {
    p.dense_backward_bias(g, random_tensor(b, t, "dy", std::int64_t(g.batch) * g.out_features),
                          output_tensor(b, t, "dbias", g.out_features));
  }});
}

const DeviceTensor& labels_tensor(Backend& backend, Tensors& keep, std::int64_t count, int classes) {
  std::vector<std::uint32_t> labels(static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = std::uint32_t(i % std::size_t(classes));
  keep.push_back(backend.tensor("labels", ElementType::u32, count));
  backend.write(*keep.back(), labels.data(), labels.size() * 4);
  return *keep.back();
}

const DeviceTensor& state_tensor(Backend& backend, Tensors& keep, std::uint32_t batches_per_epoch) {
  keep.push_back(backend.tensor("state", ElementType::u32, sizeof(backend::StepState) / 4));
  backend::StepState s;
  s.learning_rate = 0.001f;
  s.batches_per_epoch = batches_per_epoch;
  backend.write_state(*keep.back(), s);
  return *keep.back();
}

// A benchmark dataset's labels (i % 10) and the epoch's order (a fixed
// permutation, so reads are scattered as in a shuffled epoch).
struct LabelsAndOrder {
  const DeviceTensor& labels;
  const DeviceTensor& order;
};

LabelsAndOrder labels_and_order(Backend& b, Tensors& t, std::int64_t samples) {
  std::vector<std::uint8_t> labels(static_cast<std::size_t>(samples));
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = std::uint8_t(i % 10);
  std::vector<std::uint32_t> order(static_cast<std::size_t>(samples));
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = std::uint32_t((i * 7) % order.size());
  t.push_back(b.tensor("labels", ElementType::u8, samples));
  b.write(*t.back(), labels.data(), labels.size());
  const DeviceTensor& label_bytes = *t.back();
  t.push_back(b.tensor("order", ElementType::u32, samples));
  b.write(*t.back(), order.data(), order.size() * 4);
  return {label_bytes, *t.back()};
}

// The step's first op: a batch of uint8 images (in a shuffled order) to
// floats in [0, 1], and their labels.
void add_gather(std::vector<OpCase>& cases, int batch, int side) {
  const std::int64_t sample = std::int64_t(side) * side, samples = std::int64_t(batch) * 4;
  const double bytes = double(batch) * (double(sample) * (1 + 4) + 1 + 4 + 4);
  cases.push_back({"gather_batch/input", double(batch) * sample, bytes,
                   [batch, sample, samples](Backend& b, ProgramBuilder& p, Tensors& t) {
    std::vector<std::uint8_t> pixels(static_cast<std::size_t>(samples * sample));
    for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = std::uint8_t((i * 2654435761u) >> 24);
    t.push_back(b.tensor("images", ElementType::u8, samples * sample));
    b.write(*t.back(), pixels.data(), pixels.size());
    const auto& images = *t.back();
    const auto [label_bytes, order_tensor] = labels_and_order(b, t, samples);
    const auto& state = state_tensor(b, t, 4);
    p.gather_batch(std::uint32_t(sample), std::uint32_t(batch), std::uint32_t(batch), images, label_bytes,
                   order_tensor, state, output_tensor(b, t, "x", batch * sample),
                   output_tensor(b, t, "batch labels", batch, ElementType::u32));
  }});
}

// The same from a float dataset (standardised inputs): copied, not scaled.
void add_float_gather(std::vector<OpCase>& cases, int batch, int side) {
  const std::int64_t sample = std::int64_t(side) * side, samples = std::int64_t(batch) * 4;
  const double bytes = double(batch) * (double(sample) * (4 + 4) + 1 + 4 + 4);
  cases.push_back({"gather_float_batch/input", double(batch) * sample, bytes,
                   [batch, sample, samples](Backend& b, ProgramBuilder& p, Tensors& t) {
    std::vector<float> values(static_cast<std::size_t>(samples * sample));
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = float((i * 2654435761u) >> 24) / 64.0f - 2.0f;
    t.push_back(b.float_dataset("values", sample, samples));
    b.write(*t.back(), values.data(), values.size() * sizeof(float));
    const auto& dataset = *t.back();
    const auto [label_bytes, order_tensor] = labels_and_order(b, t, samples);
    const auto& state = state_tensor(b, t, 4);
    p.gather_float_batch(std::uint32_t(sample), std::uint32_t(batch), std::uint32_t(batch), dataset,
                         label_bytes, order_tensor, state, output_tensor(b, t, "x", batch * sample),
                         output_tensor(b, t, "batch labels", batch, ElementType::u32));
  }});
}

}  // namespace

std::vector<OpCase> course_model_ops(int batch, int filters, bool quick) {
  // Course model: 28x28x1 -> conv 3x3 (26) -> pool (13) -> conv 3x3 (11)
  // -> pool (5) -> dense 128 -> dense 10. Quick mode: 10x10 images.
  const int side = quick ? 10 : 28;
  const int c1 = side - 2, p1 = c1 / 2, c2 = p1 - 2, p2 = c2 / 2;
  std::vector<OpCase> cases;
  add_gather(cases, batch, side);
  add_float_gather(cases, batch, side);
  add_conv(cases, "conv1", {batch, side, side, 1, filters, 3, 3, 1, 1, Padding::valid});
  add_pool(cases, "pool1", {batch, c1, c1, filters, 2, 2, 2, 2, Padding::valid});
  add_conv_relu_pool(cases, "conv1_pool1",
                     {{batch, side, side, 1, filters, 3, 3, 1, 1, Padding::valid},
                      {batch, c1, c1, filters, 2, 2, 2, 2, Padding::valid}});
  add_conv(cases, "conv2", {batch, p1, p1, filters, filters, 3, 3, 1, 1, Padding::valid});
  add_pool(cases, "pool2", {batch, c2, c2, filters, 2, 2, 2, 2, Padding::valid});
  const int flat = p2 * p2 * filters;
  add_dense(cases, "dense1", {batch, flat, 128});
  add_dense(cases, "dense2", {batch, 128, 10});

  const std::int64_t relu_count = std::int64_t(batch) * c1 * c1 * filters;
  cases.push_back({"relu_backward/conv1", double(relu_count), 3.0 * relu_count * 4,
                   [relu_count](backend::Backend& b, backend::ProgramBuilder& p, Tensors& t) {
    p.relu_backward(relu_count, random_tensor(b, t, "y", relu_count),
                    random_tensor(b, t, "dy", relu_count), output_tensor(b, t, "dx", relu_count));
  }});
  // The relu backward the step runs (dense1's; the convolutions' are fused
  // into the pooling backward).
  const std::int64_t dense_relu_count = std::int64_t(batch) * 128;
  cases.push_back({"relu_backward/dense1", double(dense_relu_count), 3.0 * dense_relu_count * 4,
                   [dense_relu_count](backend::Backend& b, backend::ProgramBuilder& p, Tensors& t) {
    p.relu_backward(dense_relu_count, random_tensor(b, t, "y", dense_relu_count),
                    random_tensor(b, t, "dy", dense_relu_count), output_tensor(b, t, "dx", dense_relu_count));
  }});
  const ClassesGeometry classes{batch, 10};
  cases.push_back({"count_correct/output", double(batch) * 10, 4.0 * batch * 12,
                   [classes](backend::Backend& b, backend::ProgramBuilder& p, Tensors& t) {
    const auto& l = labels_tensor(b, t, classes.batch, classes.classes);
    p.count_correct(classes, random_tensor(b, t, "scores", std::int64_t(classes.batch) * 10), l,
                    output_tensor(b, t, "correct", classes.batch, ElementType::u32));
  }});
  cases.push_back({"accumulate_metrics/output", 2.0 * batch, 8.0 * batch + 32,
                   [batch](backend::Backend& b, backend::ProgramBuilder& p, Tensors& t) {
    const auto& loss = random_tensor(b, t, "loss", batch);
    const auto& correct = output_tensor(b, t, "correct", batch, ElementType::u32);
    p.accumulate_metrics(std::uint32_t(batch), loss, correct,
                         output_tensor(b, t, "totals", b.totals_count(), ElementType::u32));
  }});
  cases.push_back({"softmax_cross_entropy/output", 30.0 * batch * 10, 12.0 * batch * 10,
                   [classes](backend::Backend& b, backend::ProgramBuilder& p, Tensors& t) {
    const auto& l = labels_tensor(b, t, classes.batch, classes.classes);
    p.softmax_cross_entropy(classes, random_tensor(b, t, "logits", std::int64_t(classes.batch) * 10), l,
                            float(classes.batch), output_tensor(b, t, "loss", classes.batch),
                            output_tensor(b, t, "dlogits", std::int64_t(classes.batch) * 10));
  }});
  // Adam over every parameter of the model, as one tensor.
  const std::int64_t params = (9LL * filters + filters) + (9LL * filters * filters + filters) +
                              (std::int64_t(flat) * 128 + 128) + (128 * 10 + 10);
  cases.push_back({"adam_update/all_parameters", 12.0 * double(params), 5.0 * params * 4,
                   [params](backend::Backend& b, backend::ProgramBuilder& p, Tensors& t) {
    const auto& state = state_tensor(b, t, 0);
    p.adam_update(AdamConfig{}, params, state, random_tensor(b, t, "w", params),
                  random_tensor(b, t, "g", params), output_tensor(b, t, "m", params),
                  output_tensor(b, t, "v", params));
  }});
  return cases;
}

}  // namespace vknn::bench
