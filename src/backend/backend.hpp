// The backend layer: the one interface both backends implement, so a model
// (or a test) runs the same plan on the Vulkan device or on the CPU
// reference. Nothing here names Vulkan; src/backend/vulkan_backend.cpp is
// the only file of this layer that includes the Vulkan runtime.
//
// A backend owns tensors and builds Programs. A Program is a list of op
// invocations recorded once and launched many times: on Vulkan it is one
// command buffer replayed per step; on the CPU it is a list of calls to the
// reference loops. Everything that changes between launches lives in
// tensors (the step state: batch index, optimizer iterations, learning
// rate; the sample order), never in the program, so nothing is re-recorded
// per step on either backend.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "ops/metric_totals.hpp"
#include "ops/step_state.hpp"
#include "vknn/device.hpp"
#include "vknn/execution_counters.hpp"
#include "vknn/ops/geometry.hpp"

namespace vknn::backend {

// Both backends keep the step state (src/ops/step_state.hpp) and the metric
// totals (src/ops/metric_totals.hpp) in the same layout.
using ::vknn::MetricTotals;
using ::vknn::StepState;
// What the backend's launches cost the host (launches, waits, recordings,
// uploads): the counters a model reports.
using BackendCounters = ::vknn::ExecutionCounters;

enum class ElementType { f32, u32, u8 };

// Storage for one tensor, owned by the backend that made it.
class DeviceTensor {
 public:
  DeviceTensor(std::string name, ElementType type, std::int64_t count)
      : name_(std::move(name)), type_(type), count_(count) {}
  virtual ~DeviceTensor() = default;
  const std::string& name() const { return name_; }
  ElementType type() const { return type_; }
  std::int64_t count() const { return count_; }

 private:
  std::string name_;
  ElementType type_;
  std::int64_t count_;
};

class Program {
 public:
  virtual ~Program() = default;
  // Starts the program. On Vulkan it is queued and this returns at once;
  // `fence` asks for a fence so a later synchronize() has a recent point to
  // wait on (the model fences every few steps, not every step).
  virtual void launch(bool fence = false) = 0;
  // Device time of the latest finished launch, for programs built with
  // timing on a backend that has timestamps; negative otherwise. Valid
  // after synchronize().
  virtual double device_time_ns() const { return -1.0; }
};

// Op invocations, in order. Every op overwrites its outputs; each op's
// writes are visible to the ops after it.
class ProgramBuilder {
 public:
  virtual ~ProgramBuilder() = default;

  // x[i] = images[order[state.batch_index * batch_size + i]] / 255, labels
  // likewise, for i < count.
  virtual void gather_batch(std::uint32_t sample_size, std::uint32_t batch_size,
                            std::uint32_t count, const DeviceTensor& images, const DeviceTensor& labels,
                            const DeviceTensor& order, const DeviceTensor& state, const DeviceTensor& x,
                            const DeviceTensor& labels_out) = 0;

  // The same for a float dataset (Backend::float_dataset), values copied
  // as they are: x[i] = values[order[state.batch_index * batch_size + i]].
  virtual void gather_float_batch(std::uint32_t sample_size, std::uint32_t batch_size,
                                  std::uint32_t count, const DeviceTensor& values,
                                  const DeviceTensor& labels, const DeviceTensor& order,
                                  const DeviceTensor& state, const DeviceTensor& x,
                                  const DeviceTensor& labels_out) = 0;

  virtual void conv2d_forward(const Conv2DGeometry& g, const DeviceTensor& x, const DeviceTensor& kernel,
                              const DeviceTensor& bias, const DeviceTensor& y, Activation act) = 0;
  virtual void conv2d_backward_input(const Conv2DGeometry& g, const DeviceTensor& dy,
                                     const DeviceTensor& kernel, const DeviceTensor& dx) = 0;
  virtual void conv2d_backward_kernel(const Conv2DGeometry& g, const DeviceTensor& x, const DeviceTensor& dy,
                                      const DeviceTensor& dkernel) = 0;
  virtual void conv2d_backward_bias(const Conv2DGeometry& g, const DeviceTensor& dy,
                                    const DeviceTensor& dbias) = 0;

  virtual void maxpool2d_forward(const Pool2DGeometry& g, const DeviceTensor& x, const DeviceTensor& y) = 0;
  // relu_mask: x is a relu's output; dx is then the gradient at the relu's
  // input (zero where x <= 0), the relu's backward fused in.
  virtual void maxpool2d_backward(const Pool2DGeometry& g, const DeviceTensor& x, const DeviceTensor& dy,
                                  const DeviceTensor& dx, bool relu_mask) = 0;

  // Conv2D with one input channel + bias + relu + MaxPooling2D with
  // non-overlapping windows in one op (ConvReluPoolGeometry): y is the
  // pooled map; the conv map is never stored. winners: nullptr in
  // prediction; in training a u8 tensor of g.winners_size() that
  // maxpool2d_backward_from_winners reads.
  virtual void conv2d_relu_maxpool2d_forward(const ConvReluPoolGeometry& g, const DeviceTensor& x,
                                             const DeviceTensor& kernel, const DeviceTensor& bias,
                                             const DeviceTensor& y, const DeviceTensor* winners) = 0;
  // dx: the gradient at the conv's linear output (relu's backward included).
  virtual void maxpool2d_backward_from_winners(const ConvReluPoolGeometry& g, const DeviceTensor& dy,
                                               const DeviceTensor& winners,
                                               const DeviceTensor& dx) = 0;
  // The conv's kernel and bias gradients from the pooled gradient dy and
  // the winners: equal to maxpool2d_backward_from_winners followed by
  // conv2d_backward_kernel and conv2d_backward_bias, without the map
  // between them. Overwrites dkernel and dbias.
  virtual void conv2d_relu_maxpool2d_backward_params(const ConvReluPoolGeometry& g,
                                                     const DeviceTensor& x, const DeviceTensor& dy,
                                                     const DeviceTensor& winners,
                                                     const DeviceTensor& dkernel,
                                                     const DeviceTensor& dbias) = 0;

  // Average pooling (AveragePooling2D; GlobalAveragePooling2D is the window
  // over the whole map): a window averages its real taps.
  virtual void avgpool2d_forward(const Pool2DGeometry& g, const DeviceTensor& x, const DeviceTensor& y) = 0;
  virtual void avgpool2d_backward(const Pool2DGeometry& g, const DeviceTensor& dy,
                                  const DeviceTensor& dx) = 0;

  virtual void dense_forward(const DenseGeometry& g, const DeviceTensor& x, const DeviceTensor& kernel,
                             const DeviceTensor& bias, const DeviceTensor& y, Activation act) = 0;
  virtual void dense_backward_input(const DenseGeometry& g, const DeviceTensor& dy,
                                    const DeviceTensor& kernel, const DeviceTensor& dx) = 0;
  virtual void dense_backward_kernel(const DenseGeometry& g, const DeviceTensor& x, const DeviceTensor& dy,
                                     const DeviceTensor& dkernel) = 0;
  virtual void dense_backward_bias(const DenseGeometry& g, const DeviceTensor& dy,
                                   const DeviceTensor& dbias) = 0;

  // Inverted dropout with the mask of step state.iterations (see
  // DropoutConfig); the same op on dy gives dx.
  virtual void dropout(const DropoutConfig& config, std::int64_t count, const DeviceTensor& state,
                       const DeviceTensor& x, const DeviceTensor& y) = 0;

  virtual void relu_backward(std::int64_t count, const DeviceTensor& y, const DeviceTensor& dy,
                             const DeviceTensor& dx) = 0;
  virtual void softmax_forward(const ClassesGeometry& g, const DeviceTensor& x, const DeviceTensor& y) = 0;

  // Per-sample loss and the fused gradient (softmax - onehot) / divisor.
  virtual void softmax_cross_entropy(const ClassesGeometry& g, const DeviceTensor& logits,
                                     const DeviceTensor& labels, float gradient_divisor,
                                     const DeviceTensor& loss, const DeviceTensor& dlogits) = 0;
  virtual void count_correct(const ClassesGeometry& g, const DeviceTensor& scores, const DeviceTensor& labels,
                             const DeviceTensor& correct) = 0;
  // A binary classifier's output, one logit per sample, labels 0 or 1:
  // y = sigmoid(x); per-sample binary cross-entropy from the logits and its
  // gradient (sigmoid - label) / divisor; correctness at sigmoid 0.5.
  virtual void sigmoid_forward(std::int64_t count, const DeviceTensor& x, const DeviceTensor& y) = 0;
  virtual void sigmoid_cross_entropy(std::int64_t batch, const DeviceTensor& logits,
                                     const DeviceTensor& labels, float gradient_divisor,
                                     const DeviceTensor& loss, const DeviceTensor& dlogits) = 0;
  virtual void binary_count_correct(std::int64_t batch, const DeviceTensor& logits,
                                    const DeviceTensor& labels, const DeviceTensor& correct) = 0;

  // totals += (sum of loss[0..count), sum of correct[0..count), count)
  virtual void accumulate_metrics(std::uint32_t count, const DeviceTensor& loss, const DeviceTensor& correct,
                                  const DeviceTensor& totals) = 0;

  virtual void adam_update(const AdamConfig& config, std::int64_t count, const DeviceTensor& state,
                           const DeviceTensor& weights, const DeviceTensor& gradients, const DeviceTensor& m,
                           const DeviceTensor& v) = 0;
  // momentum_buffer only when config.momentum != 0.
  virtual void rmsprop_update(const RmspropConfig& config, std::int64_t count,
                              const DeviceTensor& state, const DeviceTensor& weights,
                              const DeviceTensor& gradients, const DeviceTensor& velocity,
                              const DeviceTensor* momentum_buffer) = 0;
  virtual void sgd_update(const SgdConfig& config, std::int64_t count, const DeviceTensor& state,
                          const DeviceTensor& weights, const DeviceTensor& gradients,
                          const DeviceTensor* velocity) = 0;

  // destination[state.batch_index * stride + i] = source[i], i < count:
  // puts one batch's output in its place in a whole-dataset output tensor.
  virtual void store_batch(std::int64_t count, std::int64_t stride, const DeviceTensor& source,
                           const DeviceTensor& state, const DeviceTensor& destination) = 0;

  // Moves the step state on: batch_index += 1, iterations += 1.
  virtual void advance_step(const DeviceTensor& state) = 0;

  virtual std::unique_ptr<Program> finish() = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string description() const = 0;  // e.g. "Vulkan: llvmpipe (...)"
  // The most memory tensors may take on this backend, and what it is (for
  // messages), or 0 where the backend sets no bound of its own (the CPU's
  // memory is the process's).
  virtual std::uint64_t memory_capacity() const = 0;
  virtual std::string memory_description() const = 0;

  virtual std::unique_ptr<DeviceTensor> tensor(const std::string& name, ElementType type,
                                         std::int64_t count) = 0;
  // A float dataset of `samples` samples of `sample_size` floats, the
  // values gather_float_batch reads. Host access (write, read, zero) sees
  // one f32 tensor of samples * sample_size floats. The Vulkan backend
  // stores it as several buffers of whole samples when it exceeds one
  // storage buffer's range (the device's maxStorageBufferRange and
  // maxMemoryAllocationSize); max_chunk_samples > 0 caps a buffer lower, so
  // tests cover several buffers on small data. The CPU backend keeps one
  // array.
  virtual std::unique_ptr<DeviceTensor> float_dataset(const std::string& name,
                                                      std::int64_t sample_size,
                                                      std::int64_t samples,
                                                      std::int64_t max_chunk_samples = 0) = 0;
  // All host access happens with nothing in flight: call synchronize()
  // first when programs may be running.
  virtual void write(const DeviceTensor& tensor, const void* data, std::size_t bytes,
                     std::size_t offset = 0) = 0;
  virtual void read(const DeviceTensor& tensor, void* data, std::size_t bytes,
                    std::size_t offset = 0) = 0;
  virtual void zero(const DeviceTensor& tensor) = 0;

  void write_state(const DeviceTensor& state, const StepState& value) {
    write(state, &value, sizeof value);
  }
  StepState read_state(const DeviceTensor& state) {
    StepState value;
    read(state, &value, sizeof value);
    return value;
  }
  MetricTotals read_totals(const DeviceTensor& totals) {
    MetricTotals value;
    read(totals, &value, sizeof value);
    return value;
  }
  // u32 words a totals tensor needs.
  static constexpr std::int64_t totals_count() { return kMetricTotalsBytes / 4; }

  // `timed`: measure the program's device time with timestamp queries
  // (see Program::device_time_ns), where the backend can.
  virtual std::unique_ptr<ProgramBuilder> build(const std::string& name, bool timed = false) = 0;

  // Waits until every launched program has finished.
  virtual void synchronize() = 0;
  virtual BackendCounters counters() const = 0;
};

// Which shape of kernel a backend records where an op has several (see
// docs/architecture.md, "Kernel variants"). `automatic` lets the device
// decide; the others force one, so tests run every variant on every device
// and benchmarks compare them. `winograd` records conv2d's forward pass,
// input and kernel gradients with the Winograd kernel wherever it applies, everything
// else as `automatic` does.
enum class KernelChoice { automatic, register_blocked, shared_tiled, winograd };
const char* to_string(KernelChoice choice);

std::unique_ptr<Backend> make_cpu_backend();
// The Context must outlive the backend.
std::unique_ptr<Backend> make_vulkan_backend(vknn::Context& context,
                                             KernelChoice kernels = KernelChoice::automatic);

}  // namespace vknn::backend
