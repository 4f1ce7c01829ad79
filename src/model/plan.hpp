// The execution plan of a model at one batch size: every tensor a step
// needs, and per layer which tensors it reads and writes, how its
// activation runs, which fusions apply and which parameters it owns.
//
// Decided once, here, and only read afterwards: the workspace allocates
// exactly the planned tensors, and the forward, backward, prediction and
// layer-output recordings all follow the plan, so they cannot disagree
// about which gradient buffers exist or which op applies a relu mask.
// The plan holds no device memory; the trainer turns it into tensors on a
// backend (src/model/trainer.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backend/backend.hpp"
#include "model/architecture.hpp"

namespace vknn::model {

// Index of a planned tensor in Plan::tensors.
using TensorId = int;
inline constexpr TensorId kNoTensor = -1;

struct PlannedTensor {
  std::string name;
  backend::ElementType type = backend::ElementType::f32;
  std::int64_t count = 0;
  // A fused conv's own output map (LayerPlan::fuses_next_pool): training,
  // evaluate and predict neither write nor read it, so workspaces hold a
  // placeholder and only layer_outputs' (Trainer::unsplit_workspace) the
  // map itself; Plan::bytes() leaves it out.
  bool layer_outputs_only = false;
  // u8 tensors are packed four to a word, as the backends store them.
  std::uint64_t bytes() const {
    return type == backend::ElementType::u8 ? (std::uint64_t(count) + 3) / 4 * 4
                                            : std::uint64_t(count) * 4;
  }
};

// Where the gradient at a layer's linear output (before its activation)
// comes from in backward.
enum class LinearGradientSource {
  none,             // no backward for this layer (Flatten, or nothing below needs it)
  output_gradient,  // linear activation: the output gradient is the linear one
  relu_backward,    // a relu_backward op masks the output gradient
  next_layer,       // the pooling after this layer writes it with the relu mask applied
  loss,             // the last layer: the fused softmax + cross-entropy writes it
};

// Indices into the architecture's parameter list (Architecture::parameters()).
struct ParameterHandles {
  int kernel = -1;
  int bias = -1;
  bool any() const { return kernel >= 0; }
};

struct LayerPlan {
  const LayerInfo* info = nullptr;
  std::size_t index = 0;
  // What the layer's forward op applies: its own activation, except that a
  // final softmax or sigmoid is left to the loss (training) or to its own
  // op (prediction), so the forward op writes logits.
  Activation forward_activation = Activation::linear;
  TensorId input = kNoTensor;
  TensorId output = kNoTensor;  // Flatten: the same tensor as its input
  // What a user asking for this layer's output reads: `output`, or the
  // probabilities tensor for a final softmax or sigmoid.
  TensorId user_output = kNoTensor;
  // Gradients, kNoTensor where backward needs none. Flatten aliases the
  // gradients of the layer before it.
  TensorId output_gradient = kNoTensor;
  TensorId linear_gradient = kNoTensor;
  LinearGradientSource linear_gradient_source = LinearGradientSource::none;
  // Backward passes a gradient to the layer below (false when no layer
  // below has parameters).
  bool needs_input_gradient = false;
  // Pooling only: its backward applies the previous layer's relu mask and
  // writes that layer's linear gradient (one pass over the large feature
  // map instead of two).
  bool applies_previous_relu_mask = false;
  ParameterHandles parameters;

  // Conv2D on at most 4 input channels and relu followed by a MaxPooling2D whose
  // windows tile its map: training, evaluation and prediction record the
  // pair as one op (conv2d_relu_maxpool2d_forward), which writes the
  // pooling's output and never this layer's own map; in training it stores
  // the winners (`pool_winners`, u8) from which the pooling's backward
  // writes this layer's linear gradient, or, when no layer below needs this
  // one's input gradient, from which this layer's kernel and bias gradients
  // are computed (conv2d_relu_maxpool2d_backward_params; its gradient maps
  // are then not planned: kNoTensor). The forward pass that serves
  // layer_outputs records the pair unfused, so this layer's own output is
  // there too.
  bool fuses_next_pool = false;
  // That conv's pooling winners; or, on a MaxPooling2D layer of its own
  // whose input gradient is needed and whose geometry stores winners
  // (Pool2DGeometry::stores_winners), the winners its training forward
  // stores and its backward scatters dy to, without reading its input or
  // comparing again (maxpool2d_forward_winners / _backward_winners).
  TensorId pool_winners = kNoTensor;
  // Conv only, decided here and nowhere else: the kernel and bias gradients
  // come from the pooling's gradient and the winners
  // (conv2d_relu_maxpool2d_backward_params), and the pooling records no
  // backward of its own.
  bool parameter_gradients_from_pool = false;
  // Pooling only: the layer before computes this layer's output (above).
  bool fused_into_previous = false;

  // Where this layer's backward writes dL/d input (the previous layer's
  // linear gradient when the relu mask is fused in, else its output
  // gradient); only valid when needs_input_gradient.
  TensorId input_gradient_target = kNoTensor;
};

struct Plan {
  int batch = 0;
  std::vector<PlannedTensor> tensors;
  std::vector<LayerPlan> layers;
  TensorId input = kNoTensor;          // the gathered batch, f32
  TensorId labels = kNoTensor;         // the gathered labels, u32
  TensorId logits = kNoTensor;         // the last layer's forward output
  TensorId loss = kNoTensor;           // per-sample loss
  TensorId correct = kNoTensor;        // per-sample correctness
  TensorId sample_weights = kNoTensor; // per-sample weight (only under sample weights)
  TensorId probabilities = kNoTensor;  // the output activation of the logits, if any
  // The last layer's activation: softmax or sigmoid, which training fuses
  // into the loss and prediction applies with its own op (into
  // `probabilities`); or linear, whose outputs are the logits themselves.
  Activation output_activation = Activation::linear;
  int classes = 0;

  // The workspace's bytes: every tensor but the layer_outputs_only ones.
  std::uint64_t bytes() const;
  // The layer_outputs_only tensors' bytes.
  std::uint64_t layer_outputs_bytes() const;
  const PlannedTensor& tensor(TensorId id) const { return tensors.at(std::size_t(id)); }
};

// Plans `architecture` at `batch` samples per step. The architecture must
// outlive the plan (layer plans point at its layers).
Plan make_plan(const Architecture& architecture, int batch);

}  // namespace vknn::model
