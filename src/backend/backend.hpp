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

#include "backend/op.hpp"
#include "backend/tensor.hpp"
#include "ops/kernel_variant.hpp"
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

// Op invocations, in order. Each op is a value (op.hpp); each op's writes
// are visible to the ops after it.
class ProgramBuilder {
 public:
  virtual ~ProgramBuilder() = default;
  // Appends `op` to the program. A backend handles every alternative of Op
  // with one visitor, so an op it lacks is a compile error there.
  virtual void record(const Op& op) = 0;
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
  // The most bytes one tensor may hold (a Vulkan storage buffer's range
  // and allocation limits), and what bounds it, for messages; UINT64_MAX on
  // the CPU. The trainer splits a batch whose activations exceed it.
  virtual std::uint64_t max_tensor_bytes() const = 0;
  virtual std::string max_tensor_description() const = 0;

  virtual std::unique_ptr<DeviceTensor> tensor(const std::string& name, ElementType type,
                                         std::int64_t count) = 0;
  // A float dataset of `samples` samples of `sample_size` floats, the
  // values op::GatherFloatBatch reads. Host access (write, read, zero) sees
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

std::unique_ptr<Backend> make_cpu_backend();
// The Context must outlive the backend.
// `kernels` (ops/kernel_variant.hpp): automatic lets the device decide; a
// forced variant is used by every op and shape that has it, so tests run
// every variant on every device and benchmarks compare them.
std::unique_ptr<Backend> make_vulkan_backend(vknn::Context& context,
                                             KernelVariant kernels = KernelVariant::automatic);

}  // namespace vknn::backend
