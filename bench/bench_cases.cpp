#include "bench_cases.hpp"

#include <random>

namespace vknn::bench {
namespace {

using backend::Backend;
using backend::DeviceTensor;
using backend::ElementType;
using backend::ProgramBuilder;
namespace op = backend::op;

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
    p.record(op::Conv2dForward{.geometry = g,
                               .activation = Activation::relu,
                               .x = random_tensor(b, t, "x", g.input_size()),
                               .kernel = random_tensor(b, t, "kernel", g.kernel_size(), 0.1f),
                               .bias = random_tensor(b, t, "bias", g.out_c),
                               .y = output_tensor(b, t, "y", g.output_size())});
  }});
  cases.push_back({"conv2d_backward_input/" + layer, f, out + k + in, [g](Backend& b, ProgramBuilder& p, Tensors& t) {
    p.record(op::Conv2dBackwardInput{.geometry = g,
                                     .dy = random_tensor(b, t, "dy", g.output_size()),
                                     .kernel = random_tensor(b, t, "kernel", g.kernel_size(), 0.1f),
                                     .dx = output_tensor(b, t, "dx", g.input_size())});
  }});
  cases.push_back({"conv2d_backward_kernel/" + layer, f, in + out + k, [g](Backend& b, ProgramBuilder& p, Tensors& t) {
    p.record(op::Conv2dBackwardKernel{.geometry = g,
                                      .x = random_tensor(b, t, "x", g.input_size()),
                                      .dy = random_tensor(b, t, "dy", g.output_size()),
                                      .dkernel = output_tensor(b, t, "dkernel", g.kernel_size())});
  }});
  cases.push_back({"conv2d_backward_bias/" + layer, double(g.output_size()), out, [g](Backend& b, ProgramBuilder& p, Tensors& t) {
    p.record(op::Conv2dBackwardBias{.geometry = g,
                                    .dy = random_tensor(b, t, "dy", g.output_size()),
                                    .dbias = output_tensor(b, t, "dbias", g.out_c)});
  }});
}

void add_pool(std::vector<OpCase>& cases, const std::string& layer, const Pool2DGeometry& g) {
  const double in = double(g.input_size()) * 4, out = double(g.output_size()) * 4;
  const double compares = double(g.output_size()) * g.pool_h * g.pool_w;
  cases.push_back({"maxpool2d_forward/" + layer, compares, in + out, [g](Backend& b, ProgramBuilder& p, Tensors& t) {
    p.record(op::Maxpool2dForward{.geometry = g,
                                  .x = random_tensor(b, t, "x", g.input_size()),
                                  .y = output_tensor(b, t, "y", g.output_size())});
  }});
  cases.push_back({"maxpool2d_backward/" + layer, compares, 2 * in + out, [g](Backend& b, ProgramBuilder& p, Tensors& t) {
    // After a relu, with the relu backward fused in, from x: what the model
    // runs where the pooling cannot store its winners.
    p.record(op::Maxpool2dBackward{.geometry = g,
                                   .relu_mask = true,
                                   .x = random_tensor(b, t, "x", g.input_size()),
                                   .dy = random_tensor(b, t, "dy", g.output_size()),
                                   .dx = output_tensor(b, t, "dx", g.input_size())});
  }});
  if (!g.stores_winners()) return;
  // Where it can (Pool2DGeometry::stores_winners), the training step's
  // forward stores them and the backward scatters to them.
  const double winners = double(g.output_size());
  cases.push_back({"maxpool2d_forward_winners/" + layer, compares, in + out + winners,
                   [g](Backend& b, ProgramBuilder& p, Tensors& t) {
    p.record(op::Maxpool2dForward{
        .geometry = g,
        .x = random_tensor(b, t, "x", g.input_size()),
        .y = output_tensor(b, t, "y", g.output_size()),
        .winners = &output_tensor(b, t, "winners", g.output_size(), ElementType::u8),
        .relu_mask = true});
  }});
  cases.push_back({"maxpool2d_backward_winners/" + layer, double(g.output_size()),
                   out + winners + in, [g](Backend& b, ProgramBuilder& p, Tensors& t) {
    // Zeroed winners: every window's first tap, which costs what any tap does.
    const DeviceTensor& winners = output_tensor(b, t, "winners", g.output_size(), ElementType::u8);
    p.record(op::Maxpool2dBackward{.geometry = g,
                                   .relu_mask = true,
                                   .x = random_tensor(b, t, "x", g.input_size()),
                                   .dy = random_tensor(b, t, "dy", g.output_size()),
                                   .dx = output_tensor(b, t, "dx", g.input_size()),
                                   .winners = &winners});
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
    p.record(op::Conv2dReluMaxpool2dForward{
        .geometry = g,
        .x = random_tensor(b, t, "x", g.conv.input_size()),
        .kernel = random_tensor(b, t, "kernel", g.conv.kernel_size(), 0.1f),
        .bias = random_tensor(b, t, "bias", g.conv.out_c),
        .y = output_tensor(b, t, "y", g.pool.output_size()),
        .winners = &output_tensor(b, t, "winners", g.winners_size(), ElementType::u8)});
  }});
  cases.push_back({"maxpool2d_backward_from_winners/" + layer, double(g.pool.output_size()),
                   out + winners + map, [g](Backend& b, ProgramBuilder& p, Tensors& t) {
    // Zeroed winners: every window's first tap, which costs what any tap does.
    const DeviceTensor& winners = output_tensor(b, t, "winners", g.winners_size(), ElementType::u8);
    p.record(op::Maxpool2dBackwardFromWinners{.geometry = g,
                                              .dy = random_tensor(b, t, "dy", g.pool.output_size()),
                                              .winners = winners,
                                              .dx = output_tensor(b, t, "dx", g.pool.input_size())});
  }});
  // FLOPs: the conv's kernel gradient (as many as its forward pass), which
  // this op computes without the map; bytes: what it reads and writes.
  cases.push_back({"conv2d_relu_maxpool2d_backward_params/" + layer, double(g.conv.forward_flops()),
                   in + out + winners + k + 4.0 * g.conv.out_c,
                   [g](Backend& b, ProgramBuilder& p, Tensors& t) {
    const DeviceTensor& winners = output_tensor(b, t, "winners", g.winners_size(), ElementType::u8);
    p.record(op::Conv2dReluMaxpool2dBackwardParams{
        .geometry = g,
        .x = random_tensor(b, t, "x", g.conv.input_size()),
        .dy = random_tensor(b, t, "dy", g.pool.output_size()),
        .winners = winners,
        .dkernel = output_tensor(b, t, "dkernel", g.conv.kernel_size()),
        .dbias = output_tensor(b, t, "dbias", g.conv.out_c)});
  }});
}

void add_dense(std::vector<OpCase>& cases, const std::string& layer, const DenseGeometry& g) {
  const double f = double(g.forward_flops());
  const double x = double(g.batch) * g.in_features * 4, y = double(g.batch) * g.out_features * 4,
               k = double(g.in_features) * g.out_features * 4;
  const std::int64_t kn = std::int64_t(g.in_features) * g.out_features;
  cases.push_back({"dense_forward/" + layer, f, x + k + y, [g, kn](Backend& b, ProgramBuilder& p, Tensors& t) {
    p.record(op::DenseForward{.geometry = g,
                              .activation = Activation::relu,
                              .x = random_tensor(b, t, "x", std::int64_t(g.batch) * g.in_features),
                              .kernel = random_tensor(b, t, "kernel", kn, 0.1f),
                              .bias = random_tensor(b, t, "bias", g.out_features),
                              .y = output_tensor(b, t, "y", std::int64_t(g.batch) * g.out_features)});
  }});
  cases.push_back({"dense_backward_input/" + layer, f, y + k + x, [g, kn](Backend& b, ProgramBuilder& p, Tensors& t) {
    p.record(op::DenseBackwardInput{
        .geometry = g,
        .dy = random_tensor(b, t, "dy", std::int64_t(g.batch) * g.out_features),
        .kernel = random_tensor(b, t, "kernel", kn, 0.1f),
        .dx = output_tensor(b, t, "dx", std::int64_t(g.batch) * g.in_features)});
  }});
  cases.push_back({"dense_backward_kernel/" + layer, f, x + y + k, [g, kn](Backend& b, ProgramBuilder& p, Tensors& t) {
    p.record(op::DenseBackwardKernel{
        .geometry = g,
        .x = random_tensor(b, t, "x", std::int64_t(g.batch) * g.in_features),
        .dy = random_tensor(b, t, "dy", std::int64_t(g.batch) * g.out_features),
        .dkernel = output_tensor(b, t, "dkernel", kn)});
  }});
  cases.push_back({"dense_backward_bias/" + layer, double(g.batch) * g.out_features, y + g.out_features * 4.0,
                   [g](Backend& b, ProgramBuilder& p, Tensors& t) {
    p.record(op::DenseBackwardBias{
        .geometry = g,
        .dy = random_tensor(b, t, "dy", std::int64_t(g.batch) * g.out_features),
        .dbias = output_tensor(b, t, "dbias", g.out_features)});
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
    p.record(op::GatherBatch{.sample_size = std::uint32_t(sample),
                             .batch_size = std::uint32_t(batch),
                             .count = std::uint32_t(batch),
                             .images = images,
                             .labels = label_bytes,
                             .order = order_tensor,
                             .state = state,
                             .x = output_tensor(b, t, "x", batch * sample),
                             .labels_out = output_tensor(b, t, "batch labels", batch, ElementType::u32)});
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
    p.record(op::GatherFloatBatch{
        .sample_size = std::uint32_t(sample),
        .batch_size = std::uint32_t(batch),
        .count = std::uint32_t(batch),
        .values = dataset,
        .labels = label_bytes,
        .order = order_tensor,
        .state = state,
        .x = output_tensor(b, t, "x", batch * sample),
        .labels_out = output_tensor(b, t, "batch labels", batch, ElementType::u32)});
  }});
}

}  // namespace

std::vector<OpCase> picture_model_ops(const std::string& model, int batch, int side,
                                      const std::vector<int>& filters, int dense_units) {
  // conv1 (3x3 relu on side x side x 3) then pool1 (2x2): what the step
  // runs unfused (conv1's forward, kernel and bias gradients, pool1's
  // forward and backward) and fused (the forward with winners, the
  // parameter gradients from them).
  const Conv2DGeometry conv1{batch, side, side, 3, filters.front(), 3, 3, 1, 1, Padding::valid};
  const ConvReluPoolGeometry fused = ConvReluPoolGeometry::tiling(conv1, 2, 2);
  std::vector<OpCase> cases;
  std::vector<OpCase> unfused;
  add_conv(unfused, model + "_conv1", conv1);
  for (auto& c : unfused) {
    // conv1's input gradient is never run: it is the first layer.
    if (c.name.rfind("conv2d_backward_input/", 0) != 0) cases.push_back(std::move(c));
  }
  add_pool(cases, model + "_pool1", fused.pool);
  add_conv_relu_pool(cases, model + "_conv1_pool1", fused);
  // Every later block: its conv's four passes and its pool's two.
  int in_side = fused.pool.out_h(), in_c = filters.front();
  std::int64_t params = conv1.kernel_size() + conv1.out_c;
  for (std::size_t i = 1; i < filters.size(); ++i) {
    const std::string n = std::to_string(i + 1);
    const Conv2DGeometry conv{batch, in_side, in_side, in_c, filters[i], 3, 3, 1, 1, Padding::valid};
    const Pool2DGeometry pool{batch, conv.out_h(), conv.out_w(), conv.out_c, 2, 2, 2, 2, Padding::valid};
    add_conv(cases, model + "_conv" + n, conv);
    add_pool(cases, model + "_pool" + n, pool);
    params += conv.kernel_size() + conv.out_c;
    in_side = pool.out_h();
    in_c = conv.out_c;
  }
  const int flat = in_side * in_side * in_c;
  add_dense(cases, model + "_dense1", {batch, flat, dense_units});
  add_dense(cases, model + "_dense2", {batch, dense_units, 1});
  params += std::int64_t(flat) * dense_units + dense_units + dense_units + 1;
  // RMSprop over every parameter, as one tensor: the step runs it once per
  // parameter tensor, the Dense(512) kernel nearly all of it.
  cases.push_back({"rmsprop_update/" + model + "_all_parameters", 6.0 * double(params),
                   4.0 * params * 4, [params](Backend& b, ProgramBuilder& p, Tensors& t) {
    const auto& state = state_tensor(b, t, 0);
    p.record(op::RmspropUpdate{.config = RmspropConfig{},
                               .count = params,
                               .state = state,
                               .weights = random_tensor(b, t, "w", params),
                               .gradients = random_tensor(b, t, "g", params),
                               .velocity = output_tensor(b, t, "velocity", params)});
  }});
  return cases;
}

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
    p.record(op::ReluBackward{.count = relu_count,
                              .y = random_tensor(b, t, "y", relu_count),
                              .dy = random_tensor(b, t, "dy", relu_count),
                              .dx = output_tensor(b, t, "dx", relu_count)});
  }});
  // The relu backward the step runs (dense1's; the convolutions' are fused
  // into the pooling backward).
  const std::int64_t dense_relu_count = std::int64_t(batch) * 128;
  cases.push_back({"relu_backward/dense1", double(dense_relu_count), 3.0 * dense_relu_count * 4,
                   [dense_relu_count](backend::Backend& b, backend::ProgramBuilder& p, Tensors& t) {
    p.record(op::ReluBackward{.count = dense_relu_count,
                              .y = random_tensor(b, t, "y", dense_relu_count),
                              .dy = random_tensor(b, t, "dy", dense_relu_count),
                              .dx = output_tensor(b, t, "dx", dense_relu_count)});
  }});
  const ClassesGeometry classes{batch, 10};
  cases.push_back({"count_correct/output", double(batch) * 10, 4.0 * batch * 12,
                   [classes](backend::Backend& b, backend::ProgramBuilder& p, Tensors& t) {
    const auto& l = labels_tensor(b, t, classes.batch, classes.classes);
    p.record(op::CountCorrect{
        .geometry = classes,
        .scores = random_tensor(b, t, "scores", std::int64_t(classes.batch) * 10),
        .labels = l,
        .correct = output_tensor(b, t, "correct", classes.batch, ElementType::u32)});
  }});
  cases.push_back({"accumulate_metrics/output", 2.0 * batch, 8.0 * batch + 32,
                   [batch](backend::Backend& b, backend::ProgramBuilder& p, Tensors& t) {
    const auto& loss = random_tensor(b, t, "loss", batch);
    const auto& correct = output_tensor(b, t, "correct", batch, ElementType::u32);
    p.record(op::AccumulateMetrics{
        .count = std::uint32_t(batch),
        .loss = loss,
        .correct = correct,
        .totals = output_tensor(b, t, "totals", b.totals_count(), ElementType::u32)});
  }});
  cases.push_back({"softmax_cross_entropy/output", 30.0 * batch * 10, 12.0 * batch * 10,
                   [classes](backend::Backend& b, backend::ProgramBuilder& p, Tensors& t) {
    const auto& l = labels_tensor(b, t, classes.batch, classes.classes);
    p.record(op::SoftmaxCrossEntropy{
        .geometry = classes,
        .gradient_divisor = float(classes.batch),
        .logits = random_tensor(b, t, "logits", std::int64_t(classes.batch) * 10),
        .labels = l,
        .loss = output_tensor(b, t, "loss", classes.batch),
        .dlogits = output_tensor(b, t, "dlogits", std::int64_t(classes.batch) * 10)});
  }});
  // Adam over every parameter of the model, as one tensor.
  const std::int64_t params = (9LL * filters + filters) + (9LL * filters * filters + filters) +
                              (std::int64_t(flat) * 128 + 128) + (128 * 10 + 10);
  cases.push_back({"adam_update/all_parameters", 12.0 * double(params), 5.0 * params * 4,
                   [params](backend::Backend& b, backend::ProgramBuilder& p, Tensors& t) {
    const auto& state = state_tensor(b, t, 0);
    p.record(op::AdamUpdate{.config = AdamConfig{},
                            .count = params,
                            .state = state,
                            .weights = random_tensor(b, t, "w", params),
                            .gradients = random_tensor(b, t, "g", params),
                            .m = output_tensor(b, t, "m", params),
                            .v = output_tensor(b, t, "v", params)});
  }});
  return cases;
}

}  // namespace vknn::bench
