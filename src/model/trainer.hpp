// The execution side of Sequential: parameters and optimizer state on a
// backend, the per-batch-size workspace, and the programs (training step,
// evaluation step, prediction step) recorded once and replayed.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "backend/backend.hpp"
#include "model/architecture.hpp"
#include "model/plan.hpp"
#include "vknn/model/compile.hpp"

namespace vknn::model {

using backend::Backend;
using backend::DeviceTensor;
using backend::ElementType;
using backend::Program;
using backend::ProgramBuilder;
// A program's ops as values, in recording order (backend/op.hpp).
using OpList = std::vector<backend::Op>;

// The losses compile accepts, each computed from the logits and fused with
// the output activation it belongs to.
enum class Loss {
  sparse_categorical_crossentropy,  // softmax output (or linear: logits)
  binary_crossentropy,              // one sigmoid unit (or linear: its logit)
};

// One parameter tensor and everything the optimizer keeps for it.
struct Parameter {
  ParameterSpec spec;
  std::unique_ptr<DeviceTensor> value, gradient;
  std::unique_ptr<DeviceTensor> m, v;      // Adam
  std::unique_ptr<DeviceTensor> velocity;  // SGD with momentum; RMSprop's mean square
  std::unique_ptr<DeviceTensor> momentum;  // RMSprop with momentum

  // The optimizer's tensors for this parameter, in optimizer_state_names
  // order (checkpoint.hpp): those the compiled optimizer has.
  std::vector<const DeviceTensor*> state_tensors() const {
    std::vector<const DeviceTensor*> state;
    for (const auto* t : {m.get(), v.get(), velocity.get(), momentum.get()}) {
      if (t) state.push_back(t);
    }
    return state;
  }
};

// A dataset resident on the backend: the inputs (uint8 pixels, or float
// values in a Backend::float_dataset), uint8 labels, the order in which
// batches take the samples, and (only under Keras's class_weight or
// sample_weight) one float weight per sample.
struct DeviceDataset {
  std::unique_ptr<DeviceTensor> images, labels, order;
  std::unique_ptr<DeviceTensor> sample_weights;  // null: every sample weighs 1
  std::int64_t count = 0;
  std::int64_t sample_size = 0;
  bool float_values = false;  // images holds floats, gathered as they are
  // Training data only (Trainer::set_augmentation): the gather draws and
  // applies each sample's transform (op::GatherAugmentedBatch).
  std::optional<Augmentation> augmentation;
};

// The plan's tensors at one batch size, on the backend: activations and
// gradients for batches of up to plan.batch samples.
struct Workspace {
  Plan plan;
  std::vector<std::unique_ptr<DeviceTensor>> tensors;  // indexed by TensorId

  const DeviceTensor& operator[](TensorId id) const { return *tensors.at(std::size_t(id)); }
};

class Trainer {
 public:
  Trainer(const Architecture& architecture, const Optimizer& optimizer,
          const CompileOptions& options);
  ~Trainer();

  Backend& backend() { return *backend_; }
  // The backend's memory the trainer holds: parameters, optimizer state,
  // workspaces and datasets.
  std::uint64_t device_bytes() const { return device_bytes_; }
  const Architecture& architecture() const { return architecture_; }
  const Optimizer& optimizer() const { return optimizer_; }
  Loss loss() const { return loss_; }
  std::vector<Parameter>& parameters() { return parameters_; }
  int num_classes() const;
  // How many label values the loss takes: the classes, or 2 for binary
  // cross-entropy (one output unit, labels 0 and 1).
  int label_classes() const;

  // Float values go to a Backend::float_dataset; the environment variable
  // VKNN_FLOAT_DATASET_CHUNK_SAMPLES (an internal test hook) caps its
  // buffers at that many samples, so tests cover several on small data.
  // `sample_weights`: one per sample (the product of Keras's class_weight
  // and sample_weight, sample_weights_of), or empty for none.
  DeviceDataset upload(const Samples& x, std::span<const std::uint8_t> y, const std::string& name,
                       std::span<const float> sample_weights = {});
  void set_order(DeviceDataset& data, std::span<const std::uint32_t> order);
  // Augments `data` (the training data) from now on: every gather of it
  // draws and applies Keras's random transform on the device. Checks the
  // settings and that the model's input is a picture (height, width,
  // channels); settings at their defaults leave the plain gather.
  void set_augmentation(DeviceDataset& data, const Augmentation& augmentation) const;

  Workspace& workspace(int batch);

  // The training step's ops: gather, forward, loss and metrics, backward,
  // the optimizer's updates and the step's advance, as the plan decided
  // them (fusions, gradient routing); record_train_step records exactly
  // these. Tests read the list.
  OpList train_step_ops(Workspace& ws, const DeviceDataset& data, int batch_size, int count);
  std::unique_ptr<Program> record_train_step(Workspace& ws, const DeviceDataset& data,
                                             int batch_size, int count);
  // The training step in two programs, for data-parallel training
  // (src/model/data_parallel.hpp), where the gradients are summed over the
  // ranks between them. The first gathers `count` samples (the gather's
  // stride is `batch_size`), runs forward, loss, metrics and backward; its
  // loss gradient is divided by `gradient_divisor` (the global batch's
  // count, so that the sum over ranks is the gradient of the global batch's
  // mean loss). The second applies the optimizer and advances the step.
  // `first_sample`: where this rank's slice starts in the global batch
  // (Dropout draws the global batch's masks, DropoutConfig::first_element).
  std::unique_ptr<Program> record_train_gradients(Workspace& ws, const DeviceDataset& data,
                                                  int batch_size, int count, int gradient_divisor,
                                                  int first_sample);
  std::unique_ptr<Program> record_train_update();
  // Forward, loss and metrics into eval_totals, advancing eval_state.
  std::unique_ptr<Program> record_eval_step(Workspace& ws, const DeviceDataset& data,
                                            int batch_size, int count);
  // Forward and probabilities into `output` at the batch's slot.
  OpList predict_step_ops(Workspace& ws, const DeviceDataset& data, int batch_size, int count,
                          const DeviceTensor& output);
  std::unique_ptr<Program> record_predict_step(Workspace& ws, const DeviceDataset& data,
                                               int batch_size, int count, const DeviceTensor& output);

  // Gather and forward only (with the softmax of a softmax output); the
  // layer outputs stay in the workspace, at each layer plan's user_output
  // (fused conv + pool pairs run unfused here, so every layer has one).
  std::unique_ptr<Program> record_forward_step(Workspace& ws, const DeviceDataset& data,
                                               int batch_size, int count);

  const DeviceTensor& state() const { return *state_; }
  const DeviceTensor& totals() const { return *totals_; }
  const DeviceTensor& eval_state() const { return *eval_state_; }
  const DeviceTensor& eval_totals() const { return *eval_totals_; }

  // The seed Dropout layer `layer` (an index into the architecture) draws
  // its masks with: its own, or one derived from the compile seed and its
  // position. model.save writes it as the layer's seed.
  std::uint64_t dropout_seed(std::size_t layer) const;

  float learning_rate();
  void set_learning_rate(float learning_rate);

  // Build programs with device timing (benchmarks); see Program::device_time_ns.
  void set_timed_programs(bool timed) { timed_programs_ = timed; }

 private:
  // The helpers below append a part of a program's ops to `ops`.
  std::unique_ptr<Program> program(const std::string& name, const OpList& ops);
  void add_gather(OpList& ops, Workspace& ws, const DeviceDataset& data, int batch_size,
                     int count, const DeviceTensor& state);
  // `training`: Dropout layers drop (with the step's mask); otherwise they
  // pass their input through, as in evaluate and predict.
  // `every_layer_output`: record a fused conv + pool pair (the plan's
  // fuses_next_pool) as its two ops, so the conv layer's own output is
  // computed too (layer_outputs); otherwise as one op.
  // `first_sample`: the batch's first sample within the global batch (a
  // data-parallel rank's slice; 0 in one process).
  void add_forward(OpList& ops, Workspace& ws, int count, bool training,
                      bool every_layer_output = false, int first_sample = 0);
  // The mask configuration of a Dropout layer: its own seed, or one derived
  // from the compile seed and the layer's position; its counters start at
  // `first_sample`'s first element.
  DropoutConfig dropout_config(const LayerPlan& lp, int first_sample) const;
  void add_backward(OpList& ops, Workspace& ws, int count, int first_sample = 0);
  void add_update(OpList& ops);
  // The loss gradient is divided by `gradient_divisor` (the batch's count
  // in one process). A dataset with sample weights weights the losses, the
  // gradient and the accuracy (op::WeightSamples), picking the weights as
  // the gather picked the samples (`batch_size`, `state`).
  void add_loss_and_metrics(OpList& ops, Workspace& ws, const DeviceDataset& data,
                               int batch_size, int count, const DeviceTensor& state,
                               const DeviceTensor& totals, int gradient_divisor);
  const DeviceTensor& add_outputs(OpList& ops, Workspace& ws, int count);
  // Counts `bytes` more against the backend's memory budget before they are
  // allocated; throws vknn::Error naming what did not fit and how much.
  void reserve(std::uint64_t bytes, const std::string& what);
  const Parameter& parameter(int handle) const { return parameters_.at(std::size_t(handle)); }

  const Architecture& architecture_;
  Optimizer optimizer_;
  std::unique_ptr<Backend> backend_;
  std::shared_ptr<Context> context_;  // keeps the Vulkan context alive
  std::vector<Parameter> parameters_;
  std::unique_ptr<DeviceTensor> state_, totals_, eval_state_, eval_totals_;
  std::map<int, std::unique_ptr<Workspace>> workspaces_;
  std::uint64_t device_bytes_ = 0;
  Loss loss_ = Loss::sparse_categorical_crossentropy;
  std::uint64_t compile_seed_ = 0;
  bool timed_programs_ = false;
};

}  // namespace vknn::model
