#include "model/plan.hpp"

#include "vknn/error.hpp"

namespace vknn::model {

namespace {

// The pooling at `next` applies the relu mask of the layer before it in its
// own backward pass when that layer is a relu layer with a feature map of
// its own (not a Flatten alias).
bool pool_fuses_relu_of(const LayerInfo& layer, const LayerInfo* next) {
  return next && next->kind == LayerKind::max_pooling2d && layer.kind != LayerKind::flatten &&
         layer.activation == Activation::relu;
}

// Conv2D + relu + MaxPooling2D as one op (ConvReluPoolGeometry): the conv
// reads at most kMaxFusedInputChannels channels (every output channel then
// shares one small input patch whose kernel rows an invocation holds) and
// the pooling's windows tile its map without overlap, so each conv output
// belongs to at most one window and its winner fits a byte.
//
// Measured on lavapipe (docs/performance.md sections 7 and 14), batch 32:
// the course's one-channel conv1 + pool1; cats-vs-dogs' RGB conv1 + pool1,
// whose first block (conv1 forward, pool1 forward and backward, conv1's
// kernel and bias gradients) took 218 ms of the training step unfused and
// 69 ms fused (the step 907 -> 789 ms), and the same shapes on 4 channels
// timed alone, 191 against 101 ms (predict 95 against 64). Two channels
// load like RGB (not timed). Wider inputs (a conv deeper in a model) hold
// 9*in_c taps per 4 channels: never measured fused, left unfused.
constexpr int kMaxFusedInputChannels = 4;
bool conv_fuses_pool(const LayerInfo& layer, const LayerInfo* next) {
  if (!next || layer.kind != LayerKind::conv2d || next->kind != LayerKind::max_pooling2d ||
      layer.activation != Activation::relu) {
    return false;
  }
  const Conv2DGeometry& conv = *layer.conv2d();
  const Pool2DGeometry& pool = *next->pool2d();
  const std::int64_t kernel_rows = std::int64_t(conv.kernel_h) * conv.kernel_w * conv.in_c;
  return conv.in_c <= kMaxFusedInputChannels &&
         (conv.in_c == 1 || kernel_rows <= ConvReluPoolGeometry::kMaxKernelRows) &&
         pool.padding == Padding::valid && pool.stride_h == pool.pool_h &&
         pool.stride_w == pool.pool_w &&
         pool.pool_h * pool.pool_w < int(ConvReluPoolGeometry::kNoWinner);
}

// Activations the loss fuses (and prediction applies on its own).
bool is_output_activation(Activation a) {
  return a == Activation::softmax || a == Activation::sigmoid;
}

}  // namespace

std::uint64_t Plan::bytes() const {
  std::uint64_t total = 0;
  for (const auto& t : tensors) total += t.layer_outputs_only ? 0 : t.bytes();
  return total;
}

std::uint64_t Plan::layer_outputs_bytes() const {
  std::uint64_t total = 0;
  for (const auto& t : tensors) total += t.layer_outputs_only ? t.bytes() : 0;
  return total;
}

Plan make_plan(const Architecture& architecture, int batch) {
  if (batch <= 0) throw Error("plan: batch size must be positive, got " + std::to_string(batch));
  const auto& layers = architecture.layers();
  Plan plan;
  plan.batch = batch;
  plan.classes = architecture.output_shape().at(0);
  plan.output_activation = layers.back().activation;
  auto add = [&](std::string name, backend::ElementType type, std::int64_t count) {
    plan.tensors.push_back({std::move(name), type, count});
    return TensorId(plan.tensors.size() - 1);
  };

  plan.input = add("input batch", backend::ElementType::f32,
                   batch * element_count(architecture.input_shape()));
  plan.labels = add("label batch", backend::ElementType::u32, batch);

  // Backward runs for a layer only if it, or a layer below it, has
  // parameters: gradients flowing into a parameter-free prefix (a leading
  // pooling, say) would be computed for nothing.
  std::vector<bool> params_up_to(layers.size());
  for (std::size_t l = 0; l < layers.size(); ++l) {
    params_up_to[l] = !layers[l].parameters.empty() || (l > 0 && params_up_to[l - 1]);
  }

  int next_parameter = 0;
  TensorId previous_output = plan.input;
  TensorId previous_output_gradient = kNoTensor;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const LayerInfo& layer = layers[l];
    const bool last = l + 1 == layers.size();
    const LayerInfo* next = last ? nullptr : &layers[l + 1];
    const std::int64_t n = batch * element_count(layer.output_shape);
    const bool has_backward = params_up_to[l];

    LayerPlan lp;
    lp.info = &layer;
    lp.index = l;
    lp.forward_activation = is_output_activation(layer.activation) ? Activation::linear
                                                                   : layer.activation;
    lp.input = previous_output;
    lp.needs_input_gradient = l > 0 && params_up_to[l - 1];
    for (const ParameterSpec& spec : layer.parameters) {
      (spec.role == ParameterRole::kernel ? lp.parameters.kernel : lp.parameters.bias) =
          next_parameter++;
    }

    if (layer.kind == LayerKind::flatten) {
      // Flatten only renames the shape: NHWC memory is already flat, so its
      // output and gradient are the layer before's.
      lp.output = previous_output;
      lp.output_gradient = previous_output_gradient;
    } else {
      lp.output = add(layer.name + " output", backend::ElementType::f32, n);
      if (last) {
        lp.linear_gradient = add(layer.name + " logits gradient", backend::ElementType::f32, n);
        lp.linear_gradient_source = LinearGradientSource::loss;
      } else if (has_backward && conv_fuses_pool(layer, next) && !lp.needs_input_gradient) {
        // The parameter gradients come straight from the pooling's gradient
        // and the winners (conv2d_relu_maxpool2d_backward_params): neither
        // gradient map of this layer is formed (5.5 MB each for the
        // course's conv1 at batch 32).
        lp.linear_gradient_source = LinearGradientSource::next_layer;
        lp.parameter_gradients_from_pool = true;
      } else if (has_backward) {
        lp.output_gradient = add(layer.name + " output gradient", backend::ElementType::f32, n);
        if (layer.activation != Activation::relu) {
          lp.linear_gradient = lp.output_gradient;
          lp.linear_gradient_source = LinearGradientSource::output_gradient;
        } else {
          lp.linear_gradient =
              add(layer.name + " pre-activation gradient", backend::ElementType::f32, n);
          lp.linear_gradient_source = pool_fuses_relu_of(layer, next)
                                          ? LinearGradientSource::next_layer
                                          : LinearGradientSource::relu_backward;
        }
      }
    }
    lp.user_output = lp.output;
    if (conv_fuses_pool(layer, next)) {
      lp.fuses_next_pool = true;
      // The fused op writes the pooling's output; this map is formed only
      // where layer_outputs records the pair unfused (182 MB at the
      // horses-or-humans model's batch 32, enough to split that batch).
      plan.tensors[std::size_t(lp.output)].layer_outputs_only = true;
      ConvReluPoolGeometry g{*layer.conv2d(), *next->pool2d()};
      g.conv.batch = g.pool.batch = batch;
      lp.pool_winners = add(layer.name + " pool winners", backend::ElementType::u8,
                            g.winners_size());
    }
    lp.fused_into_previous = !plan.layers.empty() && plan.layers.back().fuses_next_pool;
    if (layer.kind == LayerKind::max_pooling2d && lp.needs_input_gradient &&
        !lp.fused_into_previous) {
      Pool2DGeometry g = *layer.pool2d();
      g.batch = batch;
      if (g.stores_winners()) {
        // A byte per pooled element, a quarter of the pooling's output, so
        // that its backward reads neither its input nor compares again
        // (cats vs dogs' pool1 at batch 32: 14.7 ms against 33.9 ms).
        lp.pool_winners = add(layer.name + " winners", backend::ElementType::u8, g.output_size());
      }
    }
    plan.layers.push_back(lp);
    previous_output = lp.output;
    previous_output_gradient = lp.output_gradient;
  }

  // Where each layer's input gradient goes, now that every layer's
  // gradients are planned.
  for (std::size_t l = 1; l < plan.layers.size(); ++l) {
    LayerPlan& lp = plan.layers[l];
    if (!lp.needs_input_gradient) continue;
    const LayerPlan& below = plan.layers[l - 1];
    lp.applies_previous_relu_mask =
        below.linear_gradient_source == LinearGradientSource::next_layer;
    lp.input_gradient_target =
        lp.applies_previous_relu_mask ? below.linear_gradient : below.output_gradient;
  }

  plan.logits = plan.layers.back().output;
  plan.loss = add("per-sample loss", backend::ElementType::f32, batch);
  plan.correct = add("per-sample correct", backend::ElementType::u32, batch);
  plan.sample_weights = add("per-sample weight", backend::ElementType::f32, batch);
  if (is_output_activation(plan.output_activation)) {
    plan.probabilities =
        add("probabilities", backend::ElementType::f32, std::int64_t(batch) * plan.classes);
    plan.layers.back().user_output = plan.probabilities;
  }
  return plan;
}

}  // namespace vknn::model
