#include "model/trainer.hpp"

#include <sstream>

#include "model/initializers.hpp"
#include "vknn/error.hpp"

namespace vknn::model {

namespace {

std::int64_t product(const Shape& shape) {
  std::int64_t n = 1;
  for (int d : shape) n *= d;
  return n;
}

template <class G>
G with_batch(G g, int batch) {
  g.batch = batch;
  return g;
}

}  // namespace

Trainer::Trainer(const Architecture& architecture, const Optimizer& optimizer,
                 const CompileOptions& options)
    : architecture_(architecture), optimizer_(optimizer) {
  if (options.loss != "sparse_categorical_crossentropy") {
    throw Error("compile: loss '" + options.loss +
                "' is not supported; vknn implements 'sparse_categorical_crossentropy' "
                "(integer labels)");
  }
  for (const auto& metric : options.metrics) {
    if (metric != "accuracy" && metric != "acc" && metric != "sparse_categorical_accuracy") {
      throw Error("compile: metric '" + metric + "' is not supported; use 'accuracy'");
    }
  }
  const LayerInfo& last = architecture.layers().back();
  if (last.kind != LayerKind::dense ||
      (last.activation != Activation::softmax && last.activation != Activation::linear)) {
    throw Error("compile: the last layer is " + last.name + " (" + last.type_name() + ", " +
                to_string(last.activation) +
                "); sparse categorical cross-entropy needs a Dense last layer with softmax "
                "activation (or linear, whose outputs are then read as logits)");
  }
  logits_output_ = last.activation == Activation::linear;

  if (options.backend == BackendKind::cpu) {
    backend_ = make_cpu_backend();
  } else {
    context_ = options.context ? options.context : std::make_shared<Context>();
    backend_ = make_vulkan_backend(*context_);
  }

  // Parameters, initialised as Keras does, and their optimizer state.
  const auto initial = initial_parameters(architecture, options.seed);
  for (const LayerInfo& layer : architecture.layers()) {
    first_parameter_.push_back(layer.parameters.empty() ? -1 : int(parameters_.size()));
    for (const ParameterSpec& spec : layer.parameters) {
      Parameter p;
      p.spec = spec;
      const std::int64_t n = spec.size();
      p.value = backend_->tensor(spec.name, ElementType::f32, n);
      p.gradient = backend_->tensor(spec.name + " gradient", ElementType::f32, n);
      const auto& values = initial[parameters_.size()];
      backend_->write(*p.value, values.data(), values.size() * sizeof(float));
      if (optimizer.kind == Optimizer::Kind::adam) {
        p.m = backend_->tensor(spec.name + " adam m", ElementType::f32, n);
        p.v = backend_->tensor(spec.name + " adam v", ElementType::f32, n);
        backend_->zero(*p.m);
        backend_->zero(*p.v);
      } else if (optimizer.sgd.momentum != 0.0f) {
        p.velocity = backend_->tensor(spec.name + " sgd velocity", ElementType::f32, n);
        backend_->zero(*p.velocity);
      }
      parameters_.push_back(std::move(p));
    }
  }

  const std::int64_t state_words = sizeof(StepState) / 4;
  state_ = backend_->tensor("step state", ElementType::u32, state_words);
  eval_state_ = backend_->tensor("evaluation step state", ElementType::u32, state_words);
  totals_ = backend_->tensor("metric totals", ElementType::u32, backend_->totals_count());
  eval_totals_ = backend_->tensor("evaluation metric totals", ElementType::u32,
                                  backend_->totals_count());
  StepState state;
  state.learning_rate = optimizer.learning_rate();
  backend_->write_state(*state_, state);
  backend_->write_state(*eval_state_, StepState{});
  backend_->zero(*totals_);
  backend_->zero(*eval_totals_);
}

Trainer::~Trainer() {
  try {
    backend_->synchronize();
  } catch (...) {
    // Destructors must not throw; the error surfaced where it happened.
  }
}

int Trainer::num_classes() const { return architecture_.output_shape().at(0); }

float Trainer::learning_rate() {
  backend_->synchronize();
  return backend_->read_state(*state_).learning_rate;
}

void Trainer::set_learning_rate(float learning_rate) {
  if (!(learning_rate >= 0.0f)) {
    throw Error("learning rate must be a non-negative number, got " + std::to_string(learning_rate));
  }
  backend_->synchronize();
  StepState s = backend_->read_state(*state_);
  s.learning_rate = learning_rate;
  backend_->write_state(*state_, s);
}

DeviceDataset Trainer::upload(const Samples& x, std::span<const std::uint8_t> y,
                              const std::string& name) {
  DeviceDataset d;
  d.count = x.count;
  d.sample_size = product(architecture_.input_shape());
  d.images = backend_->tensor(name + " images", ElementType::u8, x.count * d.sample_size);
  backend_->write(*d.images, x.pixels.data(), std::size_t(x.count * d.sample_size));
  d.labels = backend_->tensor(name + " labels", ElementType::u8, x.count);
  if (y.empty()) {
    backend_->zero(*d.labels);  // predict: no labels; the gather still copies some
  } else {
    backend_->write(*d.labels, y.data(), y.size());
  }
  d.order = backend_->tensor(name + " order", ElementType::u32, x.count);
  return d;
}

void Trainer::set_order(DeviceDataset& data, std::span<const std::uint32_t> order) {
  backend_->write(*data.order, order.data(), order.size_bytes());
}

Workspace& Trainer::workspace(int batch) {
  auto it = workspaces_.find(batch);
  if (it != workspaces_.end()) return *it->second;
  auto ws = std::make_unique<Workspace>();
  ws->batch = batch;
  auto make = [&](const std::string& name, ElementType type, std::int64_t count) {
    ws->owned.push_back(backend_->tensor(name, type, count));
    return ws->owned.back().get();
  };
  const auto& layers = architecture_.layers();
  ws->x = make("input batch", ElementType::f32, batch * product(architecture_.input_shape()));
  ws->labels = make("label batch", ElementType::u32, batch);
  const DeviceTensor* previous_out = ws->x;
  const DeviceTensor* previous_dout = nullptr;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const LayerInfo& layer = layers[l];
    const std::int64_t n = batch * product(layer.output_shape);
    if (layer.kind == LayerKind::flatten) {
      // Flatten only renames the shape: NHWC memory is already flat.
      // Its gradient is the one of the layer before it, so the layer after
      // the Flatten writes where the layer before reads.
      ws->out.push_back(previous_out);
      ws->dout.push_back(previous_dout);
      ws->dpre.push_back(nullptr);
    } else {
      ws->out.push_back(make(layer.name + " output", ElementType::f32, n));
      ws->dout.push_back(make(layer.name + " output gradient", ElementType::f32, n));
      const bool needs_dpre = layer.activation == Activation::relu || l + 1 == layers.size();
      ws->dpre.push_back(needs_dpre ? make(layer.name + " pre-activation gradient",
                                           ElementType::f32, n)
                                    : nullptr);
    }
    previous_out = ws->out.back();
    previous_dout = ws->dout.back();
  }
  ws->loss = make("per-sample loss", ElementType::f32, batch);
  ws->correct = make("per-sample correct", ElementType::u32, batch);
  ws->probabilities = make("probabilities", ElementType::f32, batch * num_classes());
  return *workspaces_.emplace(batch, std::move(ws)).first->second;
}

void Trainer::record_gather(ProgramBuilder& b, Workspace& ws, const DeviceDataset& data,
                            int batch_size, int count, const DeviceTensor& state) {
  b.gather_batch(std::uint32_t(data.sample_size), std::uint32_t(batch_size), std::uint32_t(count),
                 *data.images, *data.labels, *data.order, state, *ws.x, *ws.labels);
}

void Trainer::record_forward(ProgramBuilder& b, Workspace& ws, int count) {
  const auto& layers = architecture_.layers();
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const LayerInfo& layer = layers[l];
    const DeviceTensor& in = l == 0 ? *ws.x : *ws.out[l - 1];
    const DeviceTensor& out = *ws.out[l];
    const Parameter* p = first_parameter_[l] >= 0 ? &parameters_[first_parameter_[l]] : nullptr;
    // The last layer's softmax is fused into the loss (training) or applied
    // separately (prediction); here it produces logits.
    const Activation act =
        layer.activation == Activation::softmax ? Activation::linear : layer.activation;
    switch (layer.kind) {
      case LayerKind::conv2d:
        b.conv2d_forward(with_batch(*layer.conv2d(), count), in, *p[0].value, *p[1].value, out, act);
        break;
      case LayerKind::max_pooling2d:
        b.maxpool2d_forward(with_batch(*layer.pool2d(), count), in, out);
        break;
      case LayerKind::flatten:
        break;
      case LayerKind::dense:
        b.dense_forward(with_batch(*layer.dense(), count), in, *p[0].value, *p[1].value, out, act);
        break;
    }
  }
}

void Trainer::record_backward(ProgramBuilder& b, Workspace& ws, int count) {
  const auto& layers = architecture_.layers();
  // masked[l]: layer l's relu backward was fused into the pooling after
  // it, which already wrote the pre-activation gradient ws.dpre[l].
  std::vector<bool> masked(layers.size(), false);
  for (std::size_t l = layers.size(); l-- > 0;) {
    const LayerInfo& layer = layers[l];
    if (layer.kind == LayerKind::flatten) continue;
    const DeviceTensor& in = l == 0 ? *ws.x : *ws.out[l - 1];
    const bool last = l + 1 == layers.size();
    // Gradient at the layer's linear output: the fused loss wrote it for
    // the last layer; relu masks the output gradient (unless the pooling
    // after it did); linear passes it on.
    const DeviceTensor* grad = ws.dout[l];
    if (last || masked[l]) {
      grad = ws.dpre[l];
    } else if (layer.activation == Activation::relu) {
      b.relu_backward(count * product(layer.output_shape), *ws.out[l], *ws.dout[l], *ws.dpre[l]);
      grad = ws.dpre[l];
    }
    // Only layers with parameters below need the gradient passed down.
    bool need_input_gradient = false;
    for (std::size_t k = 0; k < l; ++k) need_input_gradient |= first_parameter_[k] >= 0;
    Parameter* p = first_parameter_[l] >= 0 ? &parameters_[first_parameter_[l]] : nullptr;
    switch (layer.kind) {
      case LayerKind::conv2d: {
        const auto g = with_batch(*layer.conv2d(), count);
        b.conv2d_backward_kernel(g, in, *grad, *p[0].gradient);
        b.conv2d_backward_bias(g, *grad, *p[1].gradient);
        if (need_input_gradient) b.conv2d_backward_input(g, *grad, *p[0].value, *ws.dout[l - 1]);
        break;
      }
      case LayerKind::max_pooling2d:
        if (need_input_gradient) {
          // After a relu layer the pooling's backward applies the relu mask
          // too and writes that layer's pre-activation gradient: one pass
          // over the large feature map instead of two.
          const bool fuse_relu = layers[l - 1].activation == Activation::relu &&
                                 layers[l - 1].kind != LayerKind::flatten && ws.dpre[l - 1];
          b.maxpool2d_backward(with_batch(*layer.pool2d(), count), in, *grad,
                               fuse_relu ? *ws.dpre[l - 1] : *ws.dout[l - 1], fuse_relu);
          masked[l - 1] = fuse_relu;
        }
        break;
      case LayerKind::dense: {
        const auto g = with_batch(*layer.dense(), count);
        b.dense_backward_kernel(g, in, *grad, *p[0].gradient);
        b.dense_backward_bias(g, *grad, *p[1].gradient);
        if (need_input_gradient) b.dense_backward_input(g, *grad, *p[0].value, *ws.dout[l - 1]);
        break;
      }
      case LayerKind::flatten:
        break;
    }
  }
}

void Trainer::record_update(ProgramBuilder& b) {
  for (Parameter& p : parameters_) {
    if (optimizer_.kind == Optimizer::Kind::adam) {
      b.adam_update(optimizer_.adam, p.spec.size(), *state_, *p.value, *p.gradient, *p.m, *p.v);
    } else {
      b.sgd_update(optimizer_.sgd, p.spec.size(), *state_, *p.value, *p.gradient,
                   p.velocity.get());
    }
  }
}

std::unique_ptr<Program> Trainer::record_train_step(Workspace& ws, const DeviceDataset& data,
                                                    int batch_size, int count) {
  auto b = backend_->build("training step (batch " + std::to_string(count) + ")", timed_programs_);
  const ClassesGeometry classes{count, num_classes()};
  const std::size_t last = architecture_.layers().size() - 1;
  record_gather(*b, ws, data, batch_size, count, *state_);
  record_forward(*b, ws, count);
  // Keras averages the loss over the samples of the batch, so a partial
  // last batch divides by its own size.
  b->softmax_cross_entropy(classes, *ws.out[last], *ws.labels, float(count), *ws.loss,
                           *ws.dpre[last]);
  b->count_correct(classes, *ws.out[last], *ws.labels, *ws.correct);
  b->accumulate_metrics(std::uint32_t(count), *ws.loss, *ws.correct, *totals_);
  record_backward(*b, ws, count);
  record_update(*b);
  b->advance_step(*state_);
  return b->finish();
}

std::unique_ptr<Program> Trainer::record_eval_step(Workspace& ws, const DeviceDataset& data,
                                                   int batch_size, int count) {
  auto b = backend_->build("evaluation step (batch " + std::to_string(count) + ")", timed_programs_);
  const ClassesGeometry classes{count, num_classes()};
  const std::size_t last = architecture_.layers().size() - 1;
  record_gather(*b, ws, data, batch_size, count, *eval_state_);
  record_forward(*b, ws, count);
  b->softmax_cross_entropy(classes, *ws.out[last], *ws.labels, float(count), *ws.loss,
                           *ws.dpre[last]);
  b->count_correct(classes, *ws.out[last], *ws.labels, *ws.correct);
  b->accumulate_metrics(std::uint32_t(count), *ws.loss, *ws.correct, *eval_totals_);
  b->advance_step(*eval_state_);
  return b->finish();
}

std::unique_ptr<Program> Trainer::record_forward_step(Workspace& ws, const DeviceDataset& data,
                                                      int batch_size, int count) {
  auto b = backend_->build("forward pass (batch " + std::to_string(count) + ")", timed_programs_);
  record_gather(*b, ws, data, batch_size, count, *eval_state_);
  record_forward(*b, ws, count);
  return b->finish();
}

std::unique_ptr<Program> Trainer::record_predict_step(Workspace& ws, const DeviceDataset& data,
                                                      int batch_size, int count,
                                                      const DeviceTensor& output) {
  auto b = backend_->build("prediction step (batch " + std::to_string(count) + ")", timed_programs_);
  const std::size_t last = architecture_.layers().size() - 1;
  record_gather(*b, ws, data, batch_size, count, *eval_state_);
  record_forward(*b, ws, count);
  const DeviceTensor* result = ws.out[last];
  if (!logits_output_) {
    b->softmax_forward(ClassesGeometry{count, num_classes()}, *ws.out[last], *ws.probabilities);
    result = ws.probabilities;
  }
  b->store_batch(std::int64_t(count) * num_classes(), std::int64_t(batch_size) * num_classes(),
                 *result, *eval_state_, output);
  b->advance_step(*eval_state_);
  return b->finish();
}

}  // namespace vknn::model
