// The execution side of Sequential: parameters and optimizer state on a
// backend, the per-batch-size workspace, and the programs (training step,
// evaluation step, prediction step) recorded once and replayed.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
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
  // Where a micro-batch after the first writes its gradient before it is
  // added to `gradient` (op::AccumulateGradient); only once some batch is
  // split (Trainer::workspace).
  std::unique_ptr<DeviceTensor> micro_gradient;

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

// Bytes counted against a trainer's memory budget (Trainer::reserve),
// given back when the holder is destroyed: a dataset lives for one fit,
// evaluate or predict, and the next one may use its room.
class BudgetShare {
 public:
  BudgetShare() = default;
  BudgetShare(std::uint64_t* held, std::uint64_t bytes) : held_(held), bytes_(bytes) {}
  BudgetShare(BudgetShare&& other) noexcept
      : held_(std::exchange(other.held_, nullptr)), bytes_(other.bytes_) {}
  BudgetShare& operator=(BudgetShare&& other) noexcept {
    if (this != &other) {
      release();
      held_ = std::exchange(other.held_, nullptr);
      bytes_ = other.bytes_;
    }
    return *this;
  }
  ~BudgetShare() { release(); }

 private:
  void release() {
    if (held_) *held_ -= bytes_;
    held_ = nullptr;
  }
  std::uint64_t* held_ = nullptr;
  std::uint64_t bytes_ = 0;
};

// A dataset resident on the backend: the inputs (uint8 pixels, or float
// values in a Backend::float_dataset), uint8 labels, the order in which
// batches take the samples, and (only under Keras's class_weight or
// sample_weight) one float weight per sample.
struct DeviceDataset {
  std::unique_ptr<DeviceTensor> images, labels, order;
  std::unique_ptr<DeviceTensor> sample_weights;  // null: every sample weighs 1
  // uint32 per slot, the sample whose augmentation a slot draws (a streamed
  // window's: op::GatherAugmentedBatch::keys). Null: the slot is the sample.
  std::unique_ptr<DeviceTensor> sample_keys;
  std::int64_t count = 0;
  std::int64_t sample_size = 0;
  bool float_values = false;  // images holds floats, gathered as they are
  BudgetShare budget;         // its bytes in the trainer's device_bytes()
  // Training data only (Trainer::set_augmentation): the gather draws and
  // applies each sample's transform (op::GatherAugmentedBatch).
  std::optional<Augmentation> augmentation;
};

// The plan's tensors at one batch size, on the backend: activations and
// gradients for batches of up to plan.batch samples. A bigger batch runs in
// it as micro-batches of plan.batch samples (Trainer::workspace).
struct Workspace {
  Plan plan;
  std::vector<std::unique_ptr<DeviceTensor>> tensors;  // indexed by TensorId
  // Whether the plan's layer_outputs_only tensors are allocated (else
  // one-element placeholders): Trainer::unsplit_workspace's.
  bool every_layer_output = false;

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
  // A dataset's tensors, counted against the budget but not written: room
  // for `samples` samples (float values or uint8 pixels), their labels,
  // (`weighted`) weights and (`keyed`) augmentation keys, and an order of
  // `order_length` entries. A streamed dataset (streamed_dataset.hpp) holds
  // a window of the data so, keyed.
  DeviceDataset allocate_dataset(const std::string& name, std::int64_t samples,
                                 std::int64_t order_length, bool float_values, bool weighted,
                                 bool keyed = false);
  // The bytes allocate_dataset takes.
  std::uint64_t dataset_bytes(std::int64_t samples, std::int64_t order_length, bool float_values,
                              bool weighted, bool keyed = false) const;
  // The memory the trainer may hold on its backend: the backend's
  // memory_capacity, or less under the test hook VKNN_TEST_DEVICE_MEMORY_BYTES
  // (0: no bound, the CPU's).
  std::uint64_t memory_capacity() const;
  // The largest tensor the plans may hold: the backend's max_tensor_bytes,
  // or less under the test hook VKNN_TEST_MAX_TENSOR_BYTES.
  std::uint64_t max_tensor_bytes() const;
  void set_order(const DeviceDataset& data, std::span<const std::uint32_t> order);
  // Augments `data` (the training data) from now on: every gather of it
  // draws and applies Keras's random transform on the device. Checks the
  // settings and that the model's input is a picture (height, width,
  // channels); settings at their defaults leave the plain gather.
  void set_augmentation(DeviceDataset& data, const Augmentation& augmentation) const;

  // The workspace batches of up to `batch` samples run in. Where the plan
  // at `batch` does not fit the device (a tensor over the backend's
  // max_tensor_bytes, or more memory than is left), it is the plan at the
  // largest micro-batch that fits (micro_batch_size), and the record_*
  // functions below split each batch into micro-batches of ws.plan.batch
  // samples inside the one recorded program: the same gathers (at their
  // offsets in the batch), Dropout masks, losses and metrics, with the
  // parameter gradients summed over the micro-batches before the update,
  // so the step equals the unsplit one up to summation order.
  Workspace& workspace(int batch);
  bool has_workspace(int batch) const { return workspaces_.count(batch) != 0; }
  // The plan at exactly `batch` samples, never split (layer_outputs reads
  // whole layer outputs from it); throws where it does not fit.
  Workspace& unsplit_workspace(int batch);
  // The samples per micro-batch a batch of `batch` runs as: `batch` where
  // its plan fits, else ceil(batch / k) for the smallest k that fits (1 if
  // none does: its allocation then names what does not fit).
  int micro_batch_size(int batch);

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
  // `first`: the offset of these `count` samples within the step's batch
  // of `batch_size` (a micro-batch's; 0 otherwise).
  void add_gather(OpList& ops, Workspace& ws, const DeviceDataset& data, int batch_size,
                  int count, const DeviceTensor& state, int first = 0);
  // Gather, forward, loss and metrics and backward for a batch of `count`
  // samples, in micro-batches of ws.plan.batch where it is bigger: the
  // parameter gradients of the batch, its loss gradient divided by
  // `gradient_divisor`.
  void add_gradients(OpList& ops, Workspace& ws, const DeviceDataset& data, int batch_size,
                     int count, int gradient_divisor, int first_sample);
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
  // `accumulate`: write the parameter gradients into their micro_gradient
  // tensors and add those to the gradients (a micro-batch after the first).
  void add_backward(OpList& ops, Workspace& ws, int count, int first_sample = 0,
                    bool accumulate = false);
  void add_update(OpList& ops);
  // The loss gradient is divided by `gradient_divisor` (the batch's count
  // in one process). A dataset with sample weights weights the losses, the
  // gradient and the accuracy (op::WeightSamples), picking the weights as
  // the gather picked the samples (`batch_size`, `state`).
  void add_loss_and_metrics(OpList& ops, Workspace& ws, const DeviceDataset& data,
                            int batch_size, int count, const DeviceTensor& state,
                            const DeviceTensor& totals, int gradient_divisor, int first = 0);
  const DeviceTensor& add_outputs(OpList& ops, Workspace& ws, int count);
  // Counts `bytes` more against the backend's memory budget before they are
  // allocated; throws vknn::Error naming what did not fit and how much.
  void reserve(std::uint64_t bytes, const std::string& what);
  Workspace& make_workspace(int batch);
  // Allocates every parameter's micro_gradient, once.
  void ensure_micro_gradients();
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
