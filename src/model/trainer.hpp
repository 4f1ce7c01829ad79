// The execution side of Sequential: parameters and optimizer state on a
// backend, the per-batch-size workspace, and the programs (training step,
// evaluation step, prediction step) recorded once and replayed.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "model/architecture.hpp"
#include "model/backend.hpp"
#include "vknn/model/sequential.hpp"

namespace vknn::model {

// One parameter tensor and everything the optimizer keeps for it.
struct Parameter {
  ParameterSpec spec;
  std::unique_ptr<DeviceTensor> value, gradient;
  std::unique_ptr<DeviceTensor> m, v;      // Adam
  std::unique_ptr<DeviceTensor> velocity;  // SGD with momentum
};

// A dataset resident on the backend: uint8 images and labels, and the
// order in which batches take the samples.
struct DeviceDataset {
  std::unique_ptr<DeviceTensor> images, labels, order;
  std::int64_t count = 0;
  std::int64_t sample_size = 0;
};

// Activations and gradients for batches of up to `batch` samples.
struct Workspace {
  int batch = 0;
  std::vector<std::unique_ptr<DeviceTensor>> owned;
  const DeviceTensor* x = nullptr;       // gathered input
  const DeviceTensor* labels = nullptr;  // gathered labels
  std::vector<const DeviceTensor*> out;   // per layer output (Flatten aliases its input)
  std::vector<const DeviceTensor*> dout;  // gradient w.r.t. out (Flatten aliases)
  std::vector<const DeviceTensor*> dpre;  // gradient before the activation (relu / fused loss)
  const DeviceTensor* loss = nullptr;
  const DeviceTensor* correct = nullptr;
  const DeviceTensor* probabilities = nullptr;
};

class Trainer {
 public:
  Trainer(const Architecture& architecture, const Optimizer& optimizer,
          const CompileOptions& options);
  ~Trainer();

  Backend& backend() { return *backend_; }
  const Architecture& architecture() const { return architecture_; }
  std::vector<Parameter>& parameters() { return parameters_; }
  int num_classes() const;

  DeviceDataset upload(const Samples& x, std::span<const std::uint8_t> y, const std::string& name);
  void set_order(DeviceDataset& data, std::span<const std::uint32_t> order);

  Workspace& workspace(int batch);

  std::unique_ptr<Program> record_train_step(Workspace& ws, const DeviceDataset& data,
                                             int batch_size, int count);
  // Forward, loss and metrics into eval_totals, advancing eval_state.
  std::unique_ptr<Program> record_eval_step(Workspace& ws, const DeviceDataset& data,
                                            int batch_size, int count);
  // Forward and probabilities into `output` at the batch's slot.
  std::unique_ptr<Program> record_predict_step(Workspace& ws, const DeviceDataset& data,
                                               int batch_size, int count, const DeviceTensor& output);

  // Gather and forward only; the layer outputs stay in the workspace.
  std::unique_ptr<Program> record_forward_step(Workspace& ws, const DeviceDataset& data,
                                               int batch_size, int count);

  const DeviceTensor& state() const { return *state_; }
  const DeviceTensor& totals() const { return *totals_; }
  const DeviceTensor& eval_state() const { return *eval_state_; }
  const DeviceTensor& eval_totals() const { return *eval_totals_; }

  float learning_rate();
  void set_learning_rate(float learning_rate);

  // Build programs with device timing (benchmarks); see Program::device_time_ns.
  void set_timed_programs(bool timed) { timed_programs_ = timed; }

 private:
  void record_gather(ProgramBuilder& b, Workspace& ws, const DeviceDataset& data, int batch_size,
                     int count, const DeviceTensor& state);
  void record_forward(ProgramBuilder& b, Workspace& ws, int count);
  void record_backward(ProgramBuilder& b, Workspace& ws, int count);
  void record_update(ProgramBuilder& b);

  const Architecture& architecture_;
  Optimizer optimizer_;
  std::unique_ptr<Backend> backend_;
  std::shared_ptr<Context> context_;  // keeps the Vulkan context alive
  std::vector<Parameter> parameters_;
  std::vector<int> first_parameter_;  // per layer: index into parameters_ or -1
  std::unique_ptr<DeviceTensor> state_, totals_, eval_state_, eval_totals_;
  std::map<int, std::unique_ptr<Workspace>> workspaces_;
  bool logits_output_ = false;  // last layer linear: outputs are logits
  bool timed_programs_ = false;
};

}  // namespace vknn::model
