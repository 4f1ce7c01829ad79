// The CPU reference backend: tensors are host vectors and a program is a
// list of calls to the scalar loops in src/ops/cpu/, run when launched.
#include <cstdint>
#include <cstring>
#include <functional>
#include <variant>
#include <vector>

#include "backend/backend.hpp"
#include "vknn/cpu/reference_ops.hpp"
#include "vknn/error.hpp"

namespace vknn::backend {
namespace {

class CpuTensor final : public DeviceTensor {
 public:
  CpuTensor(const std::string& name, ElementType type, std::int64_t count)
      : DeviceTensor(name, type, count),
        // Words, so float and uint32 views are aligned; bytes round up.
        words_(type == ElementType::u8 ? (count + 3) / 4 : count, 0u) {}
  std::byte* bytes() { return reinterpret_cast<std::byte*>(words_.data()); }
  std::size_t size_bytes() const { return words_.size() * 4; }
  float* f32() { return reinterpret_cast<float*>(words_.data()); }
  std::uint32_t* u32() { return words_.data(); }
  std::uint8_t* u8() { return reinterpret_cast<std::uint8_t*>(words_.data()); }

 private:
  std::vector<std::uint32_t> words_;
};

CpuTensor& cpu(const DeviceTensor& t) {
  // Tensors are only ever handed back to the backend that made them.
  return const_cast<CpuTensor&>(static_cast<const CpuTensor&>(t));
}
float* f32(const DeviceTensor& t) { return cpu(t).f32(); }
std::uint32_t* u32(const DeviceTensor& t) { return cpu(t).u32(); }
StepState& state_of(const DeviceTensor& t) { return *reinterpret_cast<StepState*>(cpu(t).bytes()); }

class CpuProgram final : public Program {
 public:
  explicit CpuProgram(std::vector<std::function<void()>> calls, BackendCounters& counters)
      : calls_(std::move(calls)), counters_(counters) {}
  void launch(bool) override {
    ++counters_.launches;
    for (auto& call : calls_) call();
  }

 private:
  std::vector<std::function<void()>> calls_;
  BackendCounters& counters_;
};

// One visitor: an overload of `encode` per op, each adding the call to its
// reference loop. An op without one does not compile (record's std::visit).
class CpuProgramBuilder final : public ProgramBuilder {
 public:
  explicit CpuProgramBuilder(BackendCounters& counters) : counters_(counters) {}

  void record(const Op& op) override {
    std::visit([this](const auto& alternative) { encode(alternative); }, op);
  }

  std::unique_ptr<Program> finish() override {
    ++counters_.recordings;
    return std::make_unique<CpuProgram>(std::move(calls_), counters_);
  }

 private:
  // Each call keeps its op by value: the tensors it names are the
  // backend's and outlive the program.
  void add(std::function<void()> call) { calls_.push_back(std::move(call)); }

  void encode(const op::GatherBatch& op) {
    const std::int64_t samples = op.images.count() / op.sample_size;
    add([op, samples] {
      const std::int64_t first =
          std::int64_t(state_of(op.state).batch_index) * op.batch_size + op.first;
      if (first + op.count > op.order.count()) throw Error("gather_batch: batch runs past the sample order");
      for (std::uint32_t i = 0; i < op.count; ++i) {
        if (u32(op.order)[first + i] >= samples) throw Error("gather_batch: sample index out of range");
      }
      cpu::gather_batch<float>(op.sample_size, cpu(op.images).u8(), cpu(op.labels).u8(), u32(op.order),
                               first, op.count, f32(op.x), u32(op.labels_out));
    });
  }
  void encode(const op::GatherFloatBatch& op) {
    const std::int64_t samples = op.values.count() / op.sample_size;
    add([op, samples] {
      const std::int64_t first =
          std::int64_t(state_of(op.state).batch_index) * op.batch_size + op.first;
      if (first + op.count > op.order.count()) {
        throw Error("gather_float_batch: batch runs past the sample order");
      }
      for (std::uint32_t i = 0; i < op.count; ++i) {
        if (u32(op.order)[first + i] >= samples) {
          throw Error("gather_float_batch: sample index out of range");
        }
      }
      cpu::gather_float_batch<float>(op.sample_size, f32(op.values), cpu(op.labels).u8(),
                                     u32(op.order), first, op.count, f32(op.x), u32(op.labels_out));
    });
  }
  void encode(const op::GatherAugmentedBatch& op) {
    const std::int64_t sample_size = std::int64_t(op.height) * op.width * op.channels;
    const bool float_values = op.images.type() == ElementType::f32;
    const std::int64_t samples = sample_size > 0 ? op.images.count() / sample_size : 0;
    add([op, samples, float_values] {
      const StepState& state = state_of(op.state);
      const std::int64_t first = std::int64_t(state.batch_index) * op.batch_size + op.first;
      if (first + op.count > op.order.count()) {
        throw Error("gather_augmented_batch: batch runs past the sample order");
      }
      for (std::uint32_t i = 0; i < op.count; ++i) {
        if (u32(op.order)[first + i] >= samples) {
          throw Error("gather_augmented_batch: sample index out of range");
        }
        if (op.keys && u32(op.order)[first + i] >= op.keys->count()) {
          throw Error("gather_augmented_batch: the keys tensor has no entry for a sample");
        }
      }
      cpu::gather_augmented_batch<float>(
          op.augmentation, op.height, op.width, op.channels,
          float_values ? nullptr : cpu(op.images).u8(), float_values ? f32(op.images) : nullptr,
          cpu(op.labels).u8(), u32(op.order), first, op.count, state.iterations, f32(op.x),
          u32(op.labels_out), op.keys ? u32(*op.keys) : nullptr);
    });
  }
  void encode(const op::Conv2dForward& op) {
    add([op] {
      cpu::conv2d_forward<float>(op.geometry, f32(op.x), f32(op.kernel), f32(op.bias), f32(op.y),
                                 op.activation);
    });
  }
  void encode(const op::Conv2dBackwardInput& op) {
    add([op] { cpu::conv2d_backward_input<float>(op.geometry, f32(op.dy), f32(op.kernel), f32(op.dx)); });
  }
  void encode(const op::Conv2dBackwardKernel& op) {
    add([op] { cpu::conv2d_backward_kernel<float>(op.geometry, f32(op.x), f32(op.dy), f32(op.dkernel)); });
  }
  void encode(const op::Conv2dBackwardBias& op) {
    add([op] { cpu::conv2d_backward_bias<float>(op.geometry, f32(op.dy), f32(op.dbias)); });
  }
  void encode(const op::Maxpool2dForward& op) {
    if (op.winners) {
      add([op] {
        cpu::maxpool2d_forward_winners<float>(op.geometry, f32(op.x), f32(op.y),
                                              cpu(*op.winners).u8(), op.relu_mask);
      });
      return;
    }
    add([op] { cpu::maxpool2d_forward<float>(op.geometry, f32(op.x), f32(op.y)); });
  }
  void encode(const op::Maxpool2dBackward& op) {
    if (op.winners) {
      add([op] {
        cpu::maxpool2d_backward_winners<float>(op.geometry, f32(op.dy), cpu(*op.winners).u8(),
                                               f32(op.dx));
      });
      return;
    }
    add([op] {
      cpu::maxpool2d_backward<float>(op.geometry, f32(op.x), f32(op.dy), f32(op.dx));
      if (op.relu_mask) {
        cpu::relu_backward<float>(op.geometry.input_size(), f32(op.x), f32(op.dx), f32(op.dx));
      }
    });
  }
  void encode(const op::Conv2dReluMaxpool2dForward& op) {
    add([op] {
      cpu::conv2d_relu_maxpool2d_forward<float>(op.geometry, f32(op.x), f32(op.kernel), f32(op.bias),
                                                f32(op.y), op.winners ? cpu(*op.winners).u8() : nullptr);
    });
  }
  void encode(const op::Maxpool2dBackwardFromWinners& op) {
    add([op] {
      cpu::maxpool2d_backward_from_winners<float>(op.geometry, f32(op.dy), cpu(op.winners).u8(),
                                                  f32(op.dx));
    });
  }
  void encode(const op::Conv2dReluMaxpool2dBackwardParams& op) {
    add([op] {
      cpu::conv2d_relu_maxpool2d_backward_params<float>(op.geometry, f32(op.x), f32(op.dy),
                                                        cpu(op.winners).u8(), f32(op.dkernel),
                                                        f32(op.dbias));
    });
  }
  void encode(const op::Avgpool2dForward& op) {
    add([op] { cpu::avgpool2d_forward<float>(op.geometry, f32(op.x), f32(op.y)); });
  }
  void encode(const op::Avgpool2dBackward& op) {
    add([op] { cpu::avgpool2d_backward<float>(op.geometry, f32(op.dy), f32(op.dx)); });
  }
  void encode(const op::DenseForward& op) {
    add([op] {
      cpu::dense_forward<float>(op.geometry, f32(op.x), f32(op.kernel), f32(op.bias), f32(op.y),
                                op.activation);
    });
  }
  void encode(const op::DenseBackwardInput& op) {
    add([op] { cpu::dense_backward_input<float>(op.geometry, f32(op.dy), f32(op.kernel), f32(op.dx)); });
  }
  void encode(const op::DenseBackwardKernel& op) {
    add([op] { cpu::dense_backward_kernel<float>(op.geometry, f32(op.x), f32(op.dy), f32(op.dkernel)); });
  }
  void encode(const op::DenseBackwardBias& op) {
    add([op] { cpu::dense_backward_bias<float>(op.geometry, f32(op.dy), f32(op.dbias)); });
  }
  void encode(const op::Dropout& op) {
    add([op] {
      cpu::dropout_apply<float>(op.count, op.config, state_of(op.state).iterations, f32(op.x), f32(op.y));
    });
  }
  void encode(const op::ReluBackward& op) {
    add([op] { cpu::relu_backward<float>(op.count, f32(op.y), f32(op.dy), f32(op.dx)); });
  }
  void encode(const op::SoftmaxForward& op) {
    add([op] { cpu::softmax_forward<float>(op.geometry, f32(op.x), f32(op.y)); });
  }
  void encode(const op::SoftmaxCrossEntropy& op) {
    add([op] {
      cpu::softmax_cross_entropy<float>(op.geometry, f32(op.logits), u32(op.labels), op.gradient_divisor,
                                        f32(op.loss), f32(op.dlogits));
    });
  }
  void encode(const op::CountCorrect& op) {
    add([op] {
      const ClassesGeometry& g = op.geometry;
      const ClassesGeometry row{1, g.classes};
      for (int n = 0; n < g.batch; ++n) {
        u32(op.correct)[n] = std::uint32_t(cpu::count_correct<float>(
            row, f32(op.scores) + std::int64_t(n) * g.classes, u32(op.labels) + n));
      }
    });
  }
  void encode(const op::SigmoidForward& op) {
    add([op] { cpu::sigmoid_forward<float>(op.count, f32(op.x), f32(op.y)); });
  }
  void encode(const op::SigmoidCrossEntropy& op) {
    add([op] {
      cpu::sigmoid_cross_entropy<float>(op.batch, f32(op.logits), u32(op.labels), op.gradient_divisor,
                                        f32(op.loss), f32(op.dlogits));
    });
  }
  void encode(const op::BinaryCountCorrect& op) {
    add([op] {
      cpu::binary_count_correct<float>(op.batch, f32(op.logits), u32(op.labels), u32(op.correct));
    });
  }
  void encode(const op::WeightSamples& op) {
    add([op] {
      const std::int64_t first =
          std::int64_t(state_of(op.state).batch_index) * op.batch_size + op.first;
      if (first + op.geometry.batch > op.order.count()) {
        throw Error("weight_samples: batch runs past the sample order");
      }
      cpu::weight_samples<float>(op.geometry, f32(op.sample_weights), op.sample_weights.count(),
                                 u32(op.order), first, f32(op.loss), f32(op.dlogits), f32(op.weights_out));
    });
  }
  void encode(const op::AccumulateMetrics& op) {
    add([op] {
      float batch_loss = 0.0f;
      std::uint32_t batch_correct = 0;
      float batch_weighted_correct = 0.0f;
      float batch_weight = 0.0f;
      for (std::uint32_t i = 0; i < op.count; ++i) {
        batch_loss += f32(op.loss)[i];
        batch_correct += u32(op.correct)[i];
        if (op.weights) {
          const float w = f32(*op.weights)[i];
          batch_weighted_correct += u32(op.correct)[i] != 0 ? w : 0.0f;
          batch_weight += w;
        }
      }
      auto& totals = *reinterpret_cast<MetricTotals*>(cpu(op.totals).bytes());
      totals.add_batch(batch_loss, batch_correct, op.count);
      if (op.weights) totals.add_weights(batch_weighted_correct, batch_weight);
    });
  }
  void encode(const op::AdamUpdate& op) {
    add([op] {
      AdamConfig c = op.config;
      c.learning_rate = state_of(op.state).learning_rate;
      cpu::adam_update<float>(c, op.count, std::int64_t(state_of(op.state).iterations) + 1,
                              f32(op.weights), f32(op.gradients), f32(op.m), f32(op.v));
    });
  }
  void encode(const op::RmspropUpdate& op) {
    add([op] {
      RmspropConfig c = op.config;
      c.learning_rate = state_of(op.state).learning_rate;
      cpu::rmsprop_update<float>(c, op.count, f32(op.weights), f32(op.gradients), f32(op.velocity),
                                 op.momentum_buffer ? f32(*op.momentum_buffer) : nullptr);
    });
  }
  void encode(const op::SgdUpdate& op) {
    add([op] {
      SgdConfig c = op.config;
      c.learning_rate = state_of(op.state).learning_rate;
      cpu::sgd_update<float>(c, op.count, f32(op.weights), f32(op.gradients),
                             op.velocity ? f32(*op.velocity) : nullptr);
    });
  }
  void encode(const op::AccumulateGradient& op) {
    if (op.count <= 0 || op.count > op.gradient.count() || op.count > op.total.count()) {
      throw Error("accumulate_gradient: count " + std::to_string(op.count) +
                  " must be positive and within both tensors ('" + op.gradient.name() + "' holds " +
                  std::to_string(op.gradient.count()) + ", '" + op.total.name() + "' " +
                  std::to_string(op.total.count()) + ")");
    }
    add([op] {
      float* total = f32(op.total);
      const float* gradient = f32(op.gradient);
      for (std::int64_t i = 0; i < op.count; ++i) total[i] += gradient[i];
    });
  }
  void encode(const op::StoreBatch& op) {
    add([op] {
      const std::int64_t offset = std::int64_t(state_of(op.state).batch_index) * op.stride + op.first;
      if (offset + op.count > op.destination.count()) throw Error("store_batch: batch runs past the output");
      std::memcpy(f32(op.destination) + offset, f32(op.source), std::size_t(op.count) * sizeof(float));
    });
  }
  void encode(const op::AdvanceStep& op) {
    add([op] { advance(state_of(op.state)); });
  }
  // Every elementwise function (op.hpp): its struct is the reference.
  template <class F>
  void encode(const op::ElementwiseForward<F>& op) {
    add([op] {
      const F& f = op.function;
      const float* x = f32(op.x);
      float* y = f32(op.y);
      for (std::int64_t i = 0; i < op.count; ++i) y[i] = f.value(x[i]);
    });
  }
  template <class F>
  void encode(const op::ElementwiseBackward<F>& op) {
    add([op] {
      const F& f = op.function;
      const float* x = f32(op.x);
      const float* dy = f32(op.dy);
      float* dx = f32(op.dx);
      for (std::int64_t i = 0; i < op.count; ++i) dx[i] = f.derivative(x[i]) * dy[i];
    });
  }

  std::vector<std::function<void()>> calls_;
  BackendCounters& counters_;
};

class CpuBackend final : public Backend {
 public:
  std::string description() const override { return "CPU reference (scalar loops)"; }
  std::uint64_t memory_capacity() const override { return 0; }
  std::uint64_t max_tensor_bytes() const override { return UINT64_MAX; }
  std::string max_tensor_description() const override { return "the CPU backend (no limit)"; }
  std::string memory_description() const override { return "host memory"; }

  std::unique_ptr<DeviceTensor> tensor(const std::string& name, ElementType type,
                                 std::int64_t count) override {
    if (count <= 0) throw Error("tensor '" + name + "': element count must be positive");
    return std::make_unique<CpuTensor>(name, type, count);
  }
  std::unique_ptr<DeviceTensor> float_dataset(const std::string& name, std::int64_t sample_size,
                                              std::int64_t samples, std::int64_t) override {
    if (sample_size <= 0 || samples <= 0) {
      throw Error("float dataset '" + name + "': sample_size and samples must be positive, got " +
                  std::to_string(sample_size) + " and " + std::to_string(samples));
    }
    return tensor(name, ElementType::f32, sample_size * samples);
  }
  void write(const DeviceTensor& tensor, const void* data, std::size_t bytes, std::size_t offset) override {
    check(tensor, bytes, offset);
    std::memcpy(cpu(tensor).bytes() + offset, data, bytes);
    counters_.bytes_uploaded += bytes;
  }
  void read(const DeviceTensor& tensor, void* data, std::size_t bytes, std::size_t offset) override {
    check(tensor, bytes, offset);
    std::memcpy(data, cpu(tensor).bytes() + offset, bytes);
  }
  void zero(const DeviceTensor& tensor) override {
    std::memset(cpu(tensor).bytes(), 0, cpu(tensor).size_bytes());
  }
  std::unique_ptr<ProgramBuilder> build(const std::string&, bool) override {
    return std::make_unique<CpuProgramBuilder>(counters_);
  }
  void synchronize() override {}
  BackendCounters counters() const override { return counters_; }

 private:
  static void check(const DeviceTensor& tensor, std::size_t bytes, std::size_t offset) {
    if (offset + bytes > cpu(tensor).size_bytes()) {
      throw Error("host access of " + std::to_string(bytes) + " bytes at offset " +
                  std::to_string(offset) + " does not fit tensor '" + tensor.name() + "'");
    }
  }
  BackendCounters counters_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend() { return std::make_unique<CpuBackend>(); }

}  // namespace vknn::backend
