#include "model/trainer.hpp"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "model/byte_size_text.hpp"
#include "model/initializers.hpp"
#include "model/seeding.hpp"
#include "vknn/error.hpp"

namespace vknn::model {

namespace op = backend::op;

namespace {

template <class G>
G with_batch(G g, int batch) {
  g.batch = batch;
  return g;
}

std::uint64_t tensor_bytes(ElementType type, std::int64_t count) {
  return type == ElementType::u8 ? (std::uint64_t(count) + 3) / 4 * 4 : std::uint64_t(count) * 4;
}

// VKNN_FLOAT_DATASET_CHUNK_SAMPLES: an internal test hook (not a user
// setting) capping a float dataset's buffers, so that tests cover the
// several-buffer path on a few samples. 0 when unset or not a positive
// integer: the device's limits decide.
std::int64_t float_chunk_samples_override() {
  const char* text = std::getenv("VKNN_FLOAT_DATASET_CHUNK_SAMPLES");
  if (!text || !*text) return 0;
  char* end = nullptr;
  const long long value = std::strtoll(text, &end, 10);
  return (*end == '\0' && value > 0) ? std::int64_t(value) : 0;
}

// VKNN_TEST_MAX_TENSOR_BYTES: an internal test hook (not a user setting)
// lowering the largest tensor a plan may hold, so that tests split batches
// into micro-batches on small models. 0 when unset or not a positive
// integer.
std::uint64_t max_tensor_bytes_override() {
  const char* text = std::getenv("VKNN_TEST_MAX_TENSOR_BYTES");
  if (!text || !*text) return 0;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  return (*end == '\0' && text[0] != '-') ? std::uint64_t(value) : 0;
}

// VKNN_TEST_DEVICE_MEMORY_BYTES: an internal test hook (not a user
// setting) lowering the device memory the trainer may hold, so that tests
// stream data past it on small data. 0 when unset or not a positive integer.
std::uint64_t memory_capacity_override() {
  const char* text = std::getenv("VKNN_TEST_DEVICE_MEMORY_BYTES");
  if (!text || !*text) return 0;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  return (*end == '\0' && text[0] != '-') ? std::uint64_t(value) : 0;
}

// The largest tensor of `plan`, in bytes; `layer_outputs`: counting the
// maps only layer_outputs forms.
std::uint64_t largest_tensor_bytes(const Plan& plan, bool layer_outputs = false) {
  std::uint64_t largest = 0;
  for (const PlannedTensor& t : plan.tensors) {
    if (layer_outputs || !t.layer_outputs_only) largest = std::max(largest, t.bytes());
  }
  return largest;
}

// " in K micro-batches of M" where a batch of `count` runs split in a
// workspace of `micro` samples; empty otherwise. Program names carry it.
std::string split_text(int count, int micro) {
  if (count <= micro) return "";
  return " in " + std::to_string((count + micro - 1) / micro) + " micro-batches of up to " +
         std::to_string(micro);
}

}  // namespace

Trainer::Trainer(const Architecture& architecture, const Optimizer& optimizer,
                 const CompileOptions& options)
    : architecture_(architecture), optimizer_(optimizer) {
  if (options.loss == "sparse_categorical_crossentropy") {
    loss_ = Loss::sparse_categorical_crossentropy;
  } else if (options.loss == "binary_crossentropy") {
    loss_ = Loss::binary_crossentropy;
  } else {
    throw Error("compile: loss '" + options.loss +
                "' is not supported; vknn implements 'sparse_categorical_crossentropy' "
                "(integer labels) and 'binary_crossentropy' (labels 0 or 1)");
  }
  for (const auto& metric : options.metrics) {
    if (metric != "accuracy" && metric != "acc" && metric != "sparse_categorical_accuracy" &&
        metric != "binary_accuracy") {
      throw Error("compile: metric '" + metric + "' is not supported; use 'accuracy'");
    }
  }
  const LayerInfo& last = architecture.layers().back();
  const std::string last_layer = last.name + " (" + last.type_name() + ", " +
                                 to_string(last.activation) + ")";
  if (loss_ == Loss::sparse_categorical_crossentropy && last.activation == Activation::sigmoid) {
    throw Error("compile: the last layer is " + last_layer +
                "; a sigmoid output goes with loss 'binary_crossentropy'");
  }
  if (loss_ == Loss::sparse_categorical_crossentropy &&
      (last.kind != LayerKind::dense ||
       (last.activation != Activation::softmax && last.activation != Activation::linear))) {
    throw Error("compile: the last layer is " + last_layer +
                "; sparse categorical cross-entropy needs a Dense last layer with softmax "
                "activation (or linear, whose outputs are then read as logits)");
  }
  if (loss_ == Loss::binary_crossentropy &&
      (last.kind != LayerKind::dense || last.output_shape != Shape{1} ||
       (last.activation != Activation::sigmoid && last.activation != Activation::linear))) {
    throw Error("compile: the last layer is " + last_layer + " with output shape " +
                format_shape(last.output_shape) +
                "; binary cross-entropy needs a last layer Dense(1, activation='sigmoid') (or "
                "linear, whose output is then read as the logit)");
  }

  if (options.backend == BackendKind::cpu) {
    backend_ = backend::make_cpu_backend();
  } else {
    context_ = options.context ? options.context : std::make_shared<Context>();
    backend_ = backend::make_vulkan_backend(*context_);
  }

  // Parameters, initialised as Keras does, and their optimizer state: the
  // value, its gradient, and Adam's two moments or SGD's velocity.
  int state_copies = 0;
  switch (optimizer.kind) {
    case Optimizer::Kind::adam: state_copies = 2; break;
    case Optimizer::Kind::sgd: state_copies = optimizer.sgd.momentum != 0.0f ? 1 : 0; break;
    case Optimizer::Kind::rmsprop: state_copies = optimizer.rmsprop.momentum != 0.0f ? 2 : 1; break;
  }
  const int copies = 2 + state_copies;
  reserve(std::uint64_t(architecture.total_params()) * 4 * std::uint64_t(copies),
          "the parameters, their gradients and the optimizer state (" +
              std::to_string(architecture.total_params()) + " parameters x " +
              std::to_string(copies) + " floats)");
  compile_seed_ = options.seed;
  const auto initial = initial_parameters(architecture, options.seed);
  for (const LayerInfo& layer : architecture.layers()) {
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
      } else if (optimizer.kind == Optimizer::Kind::sgd && optimizer.sgd.momentum != 0.0f) {
        p.velocity = backend_->tensor(spec.name + " sgd velocity", ElementType::f32, n);
        backend_->zero(*p.velocity);
      } else if (optimizer.kind == Optimizer::Kind::rmsprop) {
        p.velocity = backend_->tensor(spec.name + " rmsprop mean square", ElementType::f32, n);
        backend_->zero(*p.velocity);
        if (optimizer.rmsprop.momentum != 0.0f) {
          p.momentum = backend_->tensor(spec.name + " rmsprop momentum", ElementType::f32, n);
          backend_->zero(*p.momentum);
        }
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

int Trainer::label_classes() const {
  return loss_ == Loss::binary_crossentropy ? 2 : num_classes();
}

std::uint64_t Trainer::memory_capacity() const {
  const std::uint64_t device = backend_->memory_capacity();
  const std::uint64_t hook = memory_capacity_override();
  if (!hook) return device;
  return device ? std::min(device, hook) : hook;
}

void Trainer::reserve(std::uint64_t bytes, const std::string& what) {
  const std::uint64_t capacity = memory_capacity();
  if (capacity != 0 && device_bytes_ + bytes > capacity) {
    const std::string held =
        device_bytes_ == 0 ? ""
                           : " on top of the " + byte_size_text(device_bytes_) + " this model already holds";
    throw Error("not enough device memory: " + what + " need " + byte_size_text(bytes) + " (" +
                std::to_string(bytes) + " bytes)" + held + ", but " + backend_->memory_description() +
                " holds " + byte_size_text(capacity) + " (" + std::to_string(capacity) +
                " bytes); use a smaller model or a device with more memory");
  }
  device_bytes_ += bytes;
}

float Trainer::learning_rate() {
  backend_->synchronize();
  return backend_->read_state(*state_).learning_rate;
}

void Trainer::set_learning_rate(float learning_rate) {
  validate_learning_rate("set_learning_rate", learning_rate);
  backend_->synchronize();
  StepState s = backend_->read_state(*state_);
  s.learning_rate = learning_rate;
  backend_->write_state(*state_, s);
}

std::uint64_t Trainer::dataset_bytes(std::int64_t samples, std::int64_t order_length,
                                     bool float_values, bool weighted, bool keyed) const {
  const std::int64_t sample_size = element_count(architecture_.input_shape());
  return tensor_bytes(float_values ? ElementType::f32 : ElementType::u8, samples * sample_size) +
         tensor_bytes(ElementType::u8, samples) + tensor_bytes(ElementType::u32, order_length) +
         (weighted ? tensor_bytes(ElementType::f32, samples) : 0) +
         (keyed ? tensor_bytes(ElementType::u32, samples) : 0);
}

DeviceDataset Trainer::allocate_dataset(const std::string& name, std::int64_t samples,
                                        std::int64_t order_length, bool float_values, bool weighted,
                                        bool keyed) {
  DeviceDataset d;
  d.count = samples;
  d.sample_size = element_count(architecture_.input_shape());
  d.float_values = float_values;
  const std::uint64_t bytes = dataset_bytes(samples, order_length, float_values, weighted, keyed);
  reserve(bytes, "the " + name + " data (" + std::to_string(samples) + " samples" +
                     (float_values ? " as float32" : "") + (weighted ? ", with sample weights" : "") + ")");
  d.budget = BudgetShare(&device_bytes_, bytes);
  if (float_values) {
    d.images = backend_->float_dataset(name + " values", d.sample_size, samples,
                                       float_chunk_samples_override());
  } else {
    d.images = backend_->tensor(name + " images", ElementType::u8, samples * d.sample_size);
  }
  d.labels = backend_->tensor(name + " labels", ElementType::u8, samples);
  d.order = backend_->tensor(name + " order", ElementType::u32, order_length);
  if (weighted) d.sample_weights = backend_->tensor(name + " sample weights", ElementType::f32, samples);
  if (keyed) d.sample_keys = backend_->tensor(name + " augmentation keys", ElementType::u32, samples);
  return d;
}

DeviceDataset Trainer::upload(const Samples& x, std::span<const std::uint8_t> y,
                              const std::string& name, std::span<const float> sample_weights) {
  if (!sample_weights.empty() && std::int64_t(sample_weights.size()) != x.count) {
    throw Error("the " + name + " data has " + std::to_string(x.count) + " samples but " +
                std::to_string(sample_weights.size()) + " sample weights");
  }
  DeviceDataset d = allocate_dataset(name, x.count, x.count, !x.values.empty(), !sample_weights.empty());
  if (d.float_values) {
    backend_->write(*d.images, x.values.data(), x.values.size_bytes());
  } else {
    backend_->write(*d.images, x.pixels.data(), std::size_t(x.count * d.sample_size));
  }
  if (y.empty()) {
    backend_->zero(*d.labels);  // predict: no labels; the gather still copies some
  } else {
    backend_->write(*d.labels, y.data(), y.size());
  }
  if (d.sample_weights) {
    backend_->write(*d.sample_weights, sample_weights.data(), sample_weights.size_bytes());
  }
  return d;
}

void Trainer::set_order(const DeviceDataset& data, std::span<const std::uint32_t> order) {
  backend_->write(*data.order, order.data(), order.size_bytes());
}

std::uint64_t Trainer::max_tensor_bytes() const {
  const std::uint64_t device = backend_->max_tensor_bytes();
  const std::uint64_t hook = max_tensor_bytes_override();
  return hook ? std::min(device, hook) : device;
}

int Trainer::micro_batch_size(int batch) {
  if (workspaces_.count(batch)) return batch;  // it fitted before
  const std::uint64_t tensor_limit = max_tensor_bytes();
  const std::uint64_t capacity = memory_capacity();
  std::uint64_t gradient_bytes = 0;
  if (!parameters_.empty() && !parameters_.front().micro_gradient) {
    gradient_bytes = std::uint64_t(architecture_.total_params()) * 4;
  }
  int tried = 0;
  for (int parts = 1; parts <= batch; ++parts) {
    const int micro = (batch + parts - 1) / parts;
    if (micro == tried) continue;  // ceil(batch / parts) repeats for large parts
    tried = micro;
    if (micro != batch && workspaces_.count(micro)) return micro;
    const Plan plan = make_plan(architecture_, micro);
    const std::uint64_t needed = plan.bytes() + (micro < batch ? gradient_bytes : 0);
    if (largest_tensor_bytes(plan) <= tensor_limit &&
        (capacity == 0 || device_bytes_ + needed <= capacity)) {
      return micro;
    }
  }
  return 1;  // nothing fits: allocating one sample's workspace says what does not
}

Workspace& Trainer::workspace(int batch) {
  const int micro = micro_batch_size(batch);
  if (micro < batch) ensure_micro_gradients();
  return make_workspace(micro);
}

Workspace& Trainer::unsplit_workspace(int batch) {
  Workspace& ws = make_workspace(batch);
  // make_workspace allocates without asking the planner's limit; say here
  // what a split would have avoided.
  const std::uint64_t largest = largest_tensor_bytes(ws.plan, /*layer_outputs=*/true);
  if (largest > max_tensor_bytes()) {
    throw Error("a batch of " + std::to_string(batch) + " samples needs a tensor of " +
                byte_size_text(largest) + ", over the " + byte_size_text(max_tensor_bytes()) +
                " one tensor may hold on " + backend_->max_tensor_description() +
                "; give fewer samples");
  }
  if (!ws.every_layer_output) {
    // The maps only layer_outputs forms replace their placeholders.
    reserve(ws.plan.layer_outputs_bytes(), "the layer outputs of a batch of " + std::to_string(batch) +
                                               " samples");
    for (std::size_t id = 0; id < ws.plan.tensors.size(); ++id) {
      const PlannedTensor& t = ws.plan.tensors[id];
      if (t.layer_outputs_only) ws.tensors[id] = backend_->tensor(t.name, t.type, t.count);
    }
    ws.every_layer_output = true;
  }
  return ws;
}

void Trainer::ensure_micro_gradients() {
  if (parameters_.empty() || parameters_.front().micro_gradient) return;
  reserve(std::uint64_t(architecture_.total_params()) * 4,
          "the micro-batch gradients of a batch split to fit the device (" +
              std::to_string(architecture_.total_params()) + " floats)");
  for (Parameter& p : parameters_) {
    p.micro_gradient = backend_->tensor(p.spec.name + " micro-batch gradient", ElementType::f32,
                                        p.spec.size());
  }
}

Workspace& Trainer::make_workspace(int batch) {
  auto it = workspaces_.find(batch);
  if (it != workspaces_.end()) return *it->second;
  auto ws = std::make_unique<Workspace>();
  ws->plan = make_plan(architecture_, batch);
  reserve(ws->plan.bytes(), "the activations and gradients of a batch of " +
                                std::to_string(batch) + " samples");
  for (const PlannedTensor& t : ws->plan.tensors) {
    // A map only layer_outputs forms: a one-element placeholder, never
    // written or read (unsplit_workspace replaces it).
    ws->tensors.push_back(t.layer_outputs_only
                              ? backend_->tensor(t.name + " (placeholder)", t.type, 1)
                              : backend_->tensor(t.name, t.type, t.count));
  }
  return *workspaces_.emplace(batch, std::move(ws)).first->second;
}

void Trainer::set_augmentation(DeviceDataset& data, const Augmentation& augmentation) const {
  augmentation.validate();
  if (augmentation.is_identity()) {
    data.augmentation.reset();
    return;
  }
  const Shape& input = architecture_.input_shape();
  if (input.size() != 3) {
    throw Error("fit: augmentation transforms pictures, but the model's input " +
                format_shape(input) + " is not (height, width, channels)");
  }
  data.augmentation = augmentation;
}

void Trainer::add_gather(OpList& ops, Workspace& ws, const DeviceDataset& data,
                            int batch_size, int count, const DeviceTensor& state, int first) {
  if (data.augmentation) {
    const Shape& picture = architecture_.input_shape();
    ops.push_back(op::GatherAugmentedBatch{.augmentation = *data.augmentation,
                                           .height = std::uint32_t(picture[0]),
                                           .width = std::uint32_t(picture[1]),
                                           .channels = std::uint32_t(picture[2]),
                                           .batch_size = std::uint32_t(batch_size),
                                           .first = std::uint32_t(first),
                                           .count = std::uint32_t(count),
                                           .images = *data.images,
                                           .labels = *data.labels,
                                           .order = *data.order,
                                           .state = state,
                                           .x = ws[ws.plan.input],
                                           .labels_out = ws[ws.plan.labels],
                                           .keys = data.sample_keys.get()});
    return;
  }
  if (data.float_values) {
    ops.push_back(op::GatherFloatBatch{.sample_size = std::uint32_t(data.sample_size),
                                  .batch_size = std::uint32_t(batch_size),
                                  .count = std::uint32_t(count),
                                  .first = std::uint32_t(first),
                                  .values = *data.images,
                                  .labels = *data.labels,
                                  .order = *data.order,
                                  .state = state,
                                  .x = ws[ws.plan.input],
                                  .labels_out = ws[ws.plan.labels]});
    return;
  }
  ops.push_back(op::GatherBatch{.sample_size = std::uint32_t(data.sample_size),
                           .batch_size = std::uint32_t(batch_size),
                           .count = std::uint32_t(count),
                           .first = std::uint32_t(first),
                           .images = *data.images,
                           .labels = *data.labels,
                           .order = *data.order,
                           .state = state,
                           .x = ws[ws.plan.input],
                           .labels_out = ws[ws.plan.labels]});
}

DropoutConfig Trainer::dropout_config(const LayerPlan& lp, int first_sample) const {
  const std::int64_t first = std::int64_t(first_sample) * element_count(lp.info->output_shape);
  if (first > 0xffffffffll) {
    throw Error("Dropout: element " + std::to_string(first) + " is past the mask's 32-bit counter");
  }
  return {lp.info->dropout()->rate, dropout_seed(lp.index), std::uint32_t(first)};
}

std::uint64_t Trainer::dropout_seed(std::size_t layer) const {
  const Dropout& spec = *architecture_[layer].dropout();
  if (spec.seed) return *spec.seed;
  return model::dropout_seed(compile_seed_, std::uint64_t(layer));
}

namespace {

// The fused conv + pool geometry of conv layer `lp` at `count` samples.
ConvReluPoolGeometry fused_geometry(const Plan& plan, const LayerPlan& lp, int count) {
  return {with_batch(*lp.info->conv2d(), count),
          with_batch(*plan.layers.at(lp.index + 1).info->pool2d(), count)};
}

}  // namespace

void Trainer::add_forward(OpList& ops, Workspace& ws, int count, bool training,
                             bool every_layer_output, int first_sample) {
  const bool fuse = !every_layer_output;
  for (const LayerPlan& lp : ws.plan.layers) {
    const LayerInfo& layer = *lp.info;
    if (fuse && lp.fused_into_previous) continue;  // the conv before wrote this output
    switch (layer.kind) {
      case LayerKind::conv2d:
        if (fuse && lp.fuses_next_pool) {
          // Writes the pooling's output; the winners only where a backward follows.
          ops.push_back(op::Conv2dReluMaxpool2dForward{
              .geometry = fused_geometry(ws.plan, lp, count),
              .x = ws[lp.input],
              .kernel = *parameter(lp.parameters.kernel).value,
              .bias = *parameter(lp.parameters.bias).value,
              .y = ws[ws.plan.layers[lp.index + 1].output],
              .winners = training ? &ws[lp.pool_winners] : nullptr});
          break;
        }
        ops.push_back(op::Conv2dForward{.geometry = with_batch(*layer.conv2d(), count),
                                   .activation = lp.forward_activation,
                                   .x = ws[lp.input],
                                   .kernel = *parameter(lp.parameters.kernel).value,
                                   .bias = *parameter(lp.parameters.bias).value,
                                   .y = ws[lp.output]});
        break;
      case LayerKind::max_pooling2d:
        // In training the winners too, where the plan has them: the
        // backward scatters to them.
        ops.push_back(op::Maxpool2dForward{
            .geometry = with_batch(*layer.pool2d(), count),
            .x = ws[lp.input],
            .y = ws[lp.output],
            .winners = training && lp.pool_winners != kNoTensor ? &ws[lp.pool_winners] : nullptr,
            .relu_mask = lp.applies_previous_relu_mask});
        break;
      case LayerKind::average_pooling2d:
      case LayerKind::global_average_pooling2d:
        ops.push_back(op::Avgpool2dForward{
            .geometry = with_batch(*layer.pool2d(), count), .x = ws[lp.input], .y = ws[lp.output]});
        break;
      case LayerKind::dropout: {
        // Outside training the layer passes its input through: a dropout of
        // rate 0 (a copy; the layer's output is its own tensor either way).
        DropoutConfig config = dropout_config(lp, first_sample);
        if (!training) config.rate = 0.0f;
        ops.push_back(op::Dropout{.config = config,
                             .count = count * element_count(layer.output_shape),
                             .state = *state_,
                             .x = ws[lp.input],
                             .y = ws[lp.output]});
        break;
      }
      case LayerKind::elementwise:
        std::visit(
            [&]<class F>(const F& f) {
              ops.push_back(op::ElementwiseForward<F>{.function = f,
                                                 .count = count * element_count(layer.output_shape),
                                                 .x = ws[lp.input],
                                                 .y = ws[lp.output]});
            },
            layer.elementwise()->function);
        break;
      case LayerKind::flatten:
        break;
      case LayerKind::dense:
        ops.push_back(op::DenseForward{.geometry = with_batch(*layer.dense(), count),
                                  .activation = lp.forward_activation,
                                  .x = ws[lp.input],
                                  .kernel = *parameter(lp.parameters.kernel).value,
                                  .bias = *parameter(lp.parameters.bias).value,
                                  .y = ws[lp.output]});
        break;
    }
  }
}

void Trainer::add_backward(OpList& ops, Workspace& ws, int count, int first_sample,
                           bool accumulate) {
  // Where each parameter gradient is written: the gradient the optimizer
  // reads, or (a later micro-batch) its micro_gradient, added in below.
  const auto gradient_of = [&](int handle) -> const DeviceTensor& {
    const Parameter& p = parameter(handle);
    return accumulate ? *p.micro_gradient : *p.gradient;
  };
  const auto& layers = ws.plan.layers;
  for (std::size_t l = layers.size(); l-- > 0;) {
    const LayerPlan& lp = layers[l];
    const LayerInfo& layer = *lp.info;
    if (lp.linear_gradient_source == LinearGradientSource::none) continue;
    // The gradient at the layer's linear output; the plan says who writes
    // it (the loss, the pooling above, or the relu_backward here).
    if (lp.linear_gradient_source == LinearGradientSource::relu_backward) {
      ops.push_back(op::ReluBackward{.count = count * element_count(layer.output_shape),
                                .y = ws[lp.output],
                                .dy = ws[lp.output_gradient],
                                .dx = ws[lp.linear_gradient]});
    }
    // The conv fused with the pooling above it, when nothing below needs its
    // input gradient: its kernel and bias gradients come straight from the
    // pooling's gradient and the winners, and its own linear gradient (the
    // size of its map) is never formed.
    if (lp.parameter_gradients_from_pool) {
      const LayerPlan& pool = layers[l + 1];
      ops.push_back(op::Conv2dReluMaxpool2dBackwardParams{
          .geometry = fused_geometry(ws.plan, lp, count),
          .x = ws[lp.input],
          .dy = ws[pool.linear_gradient],
          .winners = ws[lp.pool_winners],
          .dkernel = gradient_of(lp.parameters.kernel),
          .dbias = gradient_of(lp.parameters.bias)});
      continue;
    }
    const DeviceTensor& grad = ws[lp.linear_gradient];
    switch (layer.kind) {
      case LayerKind::conv2d: {
        const auto g = with_batch(*layer.conv2d(), count);
        ops.push_back(op::Conv2dBackwardKernel{.geometry = g,
                                          .x = ws[lp.input],
                                          .dy = grad,
                                          .dkernel = gradient_of(lp.parameters.kernel)});
        ops.push_back(op::Conv2dBackwardBias{
            .geometry = g, .dy = grad, .dbias = gradient_of(lp.parameters.bias)});
        if (lp.needs_input_gradient) {
          ops.push_back(op::Conv2dBackwardInput{.geometry = g,
                                           .dy = grad,
                                           .kernel = *parameter(lp.parameters.kernel).value,
                                           .dx = ws[lp.input_gradient_target]});
        }
        break;
      }
      case LayerKind::max_pooling2d:
        if (lp.fused_into_previous && layers[l - 1].parameter_gradients_from_pool) {
          // The conv below takes its gradients from this layer's (above).
        } else if (lp.needs_input_gradient && lp.fused_into_previous) {
          // The winners the fused forward stored, relu's mask included: the
          // conv map is neither stored nor read.
          const LayerPlan& conv = layers[l - 1];
          ops.push_back(op::Maxpool2dBackwardFromWinners{.geometry = fused_geometry(ws.plan, conv, count),
                                                    .dy = grad,
                                                    .winners = ws[conv.pool_winners],
                                                    .dx = ws[lp.input_gradient_target]});
        } else if (lp.needs_input_gradient) {
          ops.push_back(op::Maxpool2dBackward{
              .geometry = with_batch(*layer.pool2d(), count),
              .relu_mask = lp.applies_previous_relu_mask,
              .x = ws[lp.input],
              .dy = grad,
              .dx = ws[lp.input_gradient_target],
              .winners = lp.pool_winners != kNoTensor ? &ws[lp.pool_winners] : nullptr});
        }
        break;
      case LayerKind::average_pooling2d:
      case LayerKind::global_average_pooling2d:
        if (lp.needs_input_gradient) {
          ops.push_back(op::Avgpool2dBackward{.geometry = with_batch(*layer.pool2d(), count),
                                         .dy = grad,
                                         .dx = ws[lp.input_gradient_target]});
        }
        break;
      case LayerKind::dense: {
        const auto g = with_batch(*layer.dense(), count);
        ops.push_back(op::DenseBackwardKernel{.geometry = g,
                                         .x = ws[lp.input],
                                         .dy = grad,
                                         .dkernel = gradient_of(lp.parameters.kernel)});
        ops.push_back(op::DenseBackwardBias{
            .geometry = g, .dy = grad, .dbias = gradient_of(lp.parameters.bias)});
        if (lp.needs_input_gradient) {
          ops.push_back(op::DenseBackwardInput{.geometry = g,
                                          .dy = grad,
                                          .kernel = *parameter(lp.parameters.kernel).value,
                                          .dx = ws[lp.input_gradient_target]});
        }
        break;
      }
      case LayerKind::dropout:
        // The same mask as the forward pass: the step state's iterations do
        // not move until the step's last op.
        if (lp.needs_input_gradient) {
          ops.push_back(op::Dropout{.config = dropout_config(lp, first_sample),
                               .count = count * element_count(layer.output_shape),
                               .state = *state_,
                               .x = grad,
                               .y = ws[lp.input_gradient_target]});
        }
        break;
      case LayerKind::elementwise:
        if (lp.needs_input_gradient) {
          std::visit(
              [&]<class F>(const F& f) {
                ops.push_back(op::ElementwiseBackward<F>{.function = f,
                                                    .count = count * element_count(layer.output_shape),
                                                    .x = ws[lp.input],
                                                    .dy = grad,
                                                    .dx = ws[lp.input_gradient_target]});
              },
              layer.elementwise()->function);
        }
        break;
      case LayerKind::flatten:
        break;
    }
  }
  if (accumulate) {
    for (const Parameter& p : parameters_) {
      ops.push_back(op::AccumulateGradient{
          .count = p.spec.size(), .gradient = *p.micro_gradient, .total = *p.gradient});
    }
  }
}

void Trainer::add_update(OpList& ops) {
  // parameters_ is in layer order. A frozen layer's (trainable = false)
  // gradient is still computed, as the input gradient of the layers before
  // it needs its backward pass; only the update is left out, so its
  // parameters and optimizer state stay as they are.
  std::vector<bool> frozen;
  for (const LayerInfo& layer : architecture_.layers()) {
    frozen.insert(frozen.end(), layer.parameters.size(), !layer.trainable);
  }
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    if (frozen.at(i)) continue;
    Parameter& p = parameters_[i];
    switch (optimizer_.kind) {
      case Optimizer::Kind::adam:
        ops.push_back(op::AdamUpdate{.config = optimizer_.adam,
                                .count = p.spec.size(),
                                .state = *state_,
                                .weights = *p.value,
                                .gradients = *p.gradient,
                                .m = *p.m,
                                .v = *p.v});
        break;
      case Optimizer::Kind::sgd:
        ops.push_back(op::SgdUpdate{.config = optimizer_.sgd,
                               .count = p.spec.size(),
                               .state = *state_,
                               .weights = *p.value,
                               .gradients = *p.gradient,
                               .velocity = p.velocity.get()});
        break;
      case Optimizer::Kind::rmsprop:
        ops.push_back(op::RmspropUpdate{.config = optimizer_.rmsprop,
                                   .count = p.spec.size(),
                                   .state = *state_,
                                   .weights = *p.value,
                                   .gradients = *p.gradient,
                                   .velocity = *p.velocity,
                                   .momentum_buffer = p.momentum.get()});
        break;
    }
  }
}

// Loss, correctness and metric totals of the batch in the workspace. Keras
// averages the loss over the samples of the batch, so a partial last batch
// divides by its own size (a rank's slice, by its global batch's).
void Trainer::add_loss_and_metrics(OpList& ops, Workspace& ws, const DeviceDataset& data,
                                   int batch_size, int count, const DeviceTensor& state,
                                   const DeviceTensor& totals, int gradient_divisor, int first) {
  const Plan& plan = ws.plan;
  const DeviceTensor& dlogits = ws[plan.layers.back().linear_gradient];
  if (loss_ == Loss::binary_crossentropy) {
    ops.push_back(op::SigmoidCrossEntropy{.batch = count,
                                     .gradient_divisor = float(gradient_divisor),
                                     .logits = ws[plan.logits],
                                     .labels = ws[plan.labels],
                                     .loss = ws[plan.loss],
                                     .dlogits = dlogits});
    ops.push_back(op::BinaryCountCorrect{
        .batch = count, .logits = ws[plan.logits], .labels = ws[plan.labels], .correct = ws[plan.correct]});
  } else {
    const ClassesGeometry classes{count, plan.classes};
    ops.push_back(op::SoftmaxCrossEntropy{.geometry = classes,
                                     .gradient_divisor = float(gradient_divisor),
                                     .logits = ws[plan.logits],
                                     .labels = ws[plan.labels],
                                     .loss = ws[plan.loss],
                                     .dlogits = dlogits});
    ops.push_back(op::CountCorrect{.geometry = classes,
                              .scores = ws[plan.logits],
                              .labels = ws[plan.labels],
                              .correct = ws[plan.correct]});
  }
  if (data.sample_weights) {
    ops.push_back(op::WeightSamples{.geometry = ClassesGeometry{count, plan.classes},
                               .batch_size = std::uint32_t(batch_size),
                               .first = std::uint32_t(first),
                               .sample_weights = *data.sample_weights,
                               .order = *data.order,
                               .state = state,
                               .loss = ws[plan.loss],
                               .dlogits = dlogits,
                               .weights_out = ws[plan.sample_weights]});
  }
  ops.push_back(op::AccumulateMetrics{.count = std::uint32_t(count),
                                 .loss = ws[plan.loss],
                                 .correct = ws[plan.correct],
                                 .totals = totals,
                                 .weights = data.sample_weights ? &ws[plan.sample_weights] : nullptr});
}

// The model's outputs as a user sees them: probabilities for a softmax or
// sigmoid output (the forward pass left logits), the logits otherwise.
const DeviceTensor& Trainer::add_outputs(OpList& ops, Workspace& ws, int count) {
  const Plan& plan = ws.plan;
  switch (plan.output_activation) {
    case Activation::softmax:
      ops.push_back(op::SoftmaxForward{.geometry = ClassesGeometry{count, plan.classes},
                                  .x = ws[plan.logits],
                                  .y = ws[plan.probabilities]});
      return ws[plan.probabilities];
    case Activation::sigmoid:
      ops.push_back(op::SigmoidForward{.count = std::int64_t(count) * plan.classes,
                                  .x = ws[plan.logits],
                                  .y = ws[plan.probabilities]});
      return ws[plan.probabilities];
    default:
      return ws[plan.logits];
  }
}

std::unique_ptr<Program> Trainer::program(const std::string& name, const OpList& ops) {
  auto b = backend_->build(name, timed_programs_);
  for (const backend::Op& op : ops) b->record(op);
  return b->finish();
}

void Trainer::add_gradients(OpList& ops, Workspace& ws, const DeviceDataset& data, int batch_size,
                            int count, int gradient_divisor, int first_sample) {
  const int micro = ws.plan.batch;
  for (int first = 0; first < count; first += micro) {
    const int n = std::min(micro, count - first);
    add_gather(ops, ws, data, batch_size, n, *state_, first);
    add_forward(ops, ws, n, true, false, first_sample + first);
    add_loss_and_metrics(ops, ws, data, batch_size, n, *state_, *totals_, gradient_divisor, first);
    add_backward(ops, ws, n, first_sample + first, /*accumulate=*/first > 0);
  }
}

OpList Trainer::train_step_ops(Workspace& ws, const DeviceDataset& data, int batch_size, int count) {
  OpList ops;
  add_gradients(ops, ws, data, batch_size, count, count, 0);
  add_update(ops);
  ops.push_back(op::AdvanceStep{.state = *state_});
  return ops;
}

std::unique_ptr<Program> Trainer::record_train_step(Workspace& ws, const DeviceDataset& data,
                                                    int batch_size, int count) {
  return program("training step (batch " + std::to_string(count) +
                     split_text(count, ws.plan.batch) + ")",
                 train_step_ops(ws, data, batch_size, count));
}

std::unique_ptr<Program> Trainer::record_train_gradients(Workspace& ws, const DeviceDataset& data,
                                                         int batch_size, int count,
                                                         int gradient_divisor, int first_sample) {
  OpList ops;
  add_gradients(ops, ws, data, batch_size, count, gradient_divisor, first_sample);
  return program("training gradients (batch " + std::to_string(count) + " of " +
                     std::to_string(gradient_divisor) + split_text(count, ws.plan.batch) + ")",
                 ops);
}

std::unique_ptr<Program> Trainer::record_train_update() {
  OpList ops;
  add_update(ops);
  ops.push_back(op::AdvanceStep{.state = *state_});
  return program("optimizer update", ops);
}

std::unique_ptr<Program> Trainer::record_eval_step(Workspace& ws, const DeviceDataset& data,
                                                   int batch_size, int count) {
  OpList ops;
  const int micro = ws.plan.batch;
  for (int first = 0; first < count; first += micro) {
    const int n = std::min(micro, count - first);
    add_gather(ops, ws, data, batch_size, n, *eval_state_, first);
    add_forward(ops, ws, n, false);
    add_loss_and_metrics(ops, ws, data, batch_size, n, *eval_state_, *eval_totals_, count, first);
  }
  ops.push_back(op::AdvanceStep{.state = *eval_state_});
  return program("evaluation step (batch " + std::to_string(count) + split_text(count, micro) + ")",
                 ops);
}

std::unique_ptr<Program> Trainer::record_forward_step(Workspace& ws, const DeviceDataset& data,
                                                      int batch_size, int count) {
  if (count > ws.plan.batch) {
    throw Error("the forward pass of every layer's output runs " + std::to_string(count) +
                " samples as one batch, but its workspace holds " + std::to_string(ws.plan.batch) +
                " (use Trainer::unsplit_workspace)");
  }
  OpList ops;
  add_gather(ops, ws, data, batch_size, count, *eval_state_);
  add_forward(ops, ws, count, false, /*every_layer_output=*/true);
  add_outputs(ops, ws, count);
  return program("forward pass (batch " + std::to_string(count) + ")", ops);
}

OpList Trainer::predict_step_ops(Workspace& ws, const DeviceDataset& data, int batch_size, int count,
                                 const DeviceTensor& output) {
  OpList ops;
  const int micro = ws.plan.batch;
  for (int first = 0; first < count; first += micro) {
    const int n = std::min(micro, count - first);
    add_gather(ops, ws, data, batch_size, n, *eval_state_, first);
    add_forward(ops, ws, n, false);
    const DeviceTensor& result = add_outputs(ops, ws, n);
    ops.push_back(op::StoreBatch{.count = std::int64_t(n) * ws.plan.classes,
                                 .stride = std::int64_t(batch_size) * ws.plan.classes,
                                 .first = std::int64_t(first) * ws.plan.classes,
                                 .source = result,
                                 .state = *eval_state_,
                                 .destination = output});
  }
  ops.push_back(op::AdvanceStep{.state = *eval_state_});
  return ops;
}

std::unique_ptr<Program> Trainer::record_predict_step(Workspace& ws, const DeviceDataset& data,
                                                      int batch_size, int count,
                                                      const DeviceTensor& output) {
  return program("prediction step (batch " + std::to_string(count) +
                     split_text(count, ws.plan.batch) + ")",
                 predict_step_ops(ws, data, batch_size, count, output));
}

}  // namespace vknn::model
