// The CPU reference backend: tensors are host vectors and a program is a
// list of calls to the scalar loops in src/cpu/, run when launched.
#include <cstring>
#include <functional>
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

class CpuProgramBuilder final : public ProgramBuilder {
 public:
  explicit CpuProgramBuilder(BackendCounters& counters) : counters_(counters) {}

  void gather_batch(std::uint32_t sample_size, std::uint32_t batch_size, std::uint32_t count,
                    const DeviceTensor& images, const DeviceTensor& labels, const DeviceTensor& order,
                    const DeviceTensor& state, const DeviceTensor& x, const DeviceTensor& labels_out) override {
    const std::int64_t samples = images.count() / sample_size;
    add([=, &images, &labels, &order, &state, &x, &labels_out] {
      const std::int64_t first = std::int64_t(state_of(state).batch_index) * batch_size;
      if (first + count > order.count()) throw Error("gather_batch: batch runs past the sample order");
      for (std::uint32_t i = 0; i < count; ++i) {
        if (u32(order)[first + i] >= samples) throw Error("gather_batch: sample index out of range");
      }
      cpu::gather_batch<float>(sample_size, cpu(images).u8(), cpu(labels).u8(), u32(order), first,
                               count, f32(x), u32(labels_out));
    });
  }

  void gather_float_batch(std::uint32_t sample_size, std::uint32_t batch_size, std::uint32_t count,
                          const DeviceTensor& values, const DeviceTensor& labels,
                          const DeviceTensor& order, const DeviceTensor& state, const DeviceTensor& x,
                          const DeviceTensor& labels_out) override {
    const std::int64_t samples = values.count() / sample_size;
    add([=, &values, &labels, &order, &state, &x, &labels_out] {
      const std::int64_t first = std::int64_t(state_of(state).batch_index) * batch_size;
      if (first + count > order.count()) {
        throw Error("gather_float_batch: batch runs past the sample order");
      }
      for (std::uint32_t i = 0; i < count; ++i) {
        if (u32(order)[first + i] >= samples) {
          throw Error("gather_float_batch: sample index out of range");
        }
      }
      cpu::gather_float_batch<float>(sample_size, f32(values), cpu(labels).u8(), u32(order), first,
                                     count, f32(x), u32(labels_out));
    });
  }

  void conv2d_forward(const Conv2DGeometry& g, const DeviceTensor& x, const DeviceTensor& kernel,
                      const DeviceTensor& bias, const DeviceTensor& y, Activation act) override {
    add([=, &x, &kernel, &bias, &y] {
      cpu::conv2d_forward<float>(g, f32(x), f32(kernel), f32(bias), f32(y), act);
    });
  }
  void conv2d_backward_input(const Conv2DGeometry& g, const DeviceTensor& dy, const DeviceTensor& kernel,
                             const DeviceTensor& dx) override {
    add([=, &dy, &kernel, &dx] { cpu::conv2d_backward_input<float>(g, f32(dy), f32(kernel), f32(dx)); });
  }
  void conv2d_backward_kernel(const Conv2DGeometry& g, const DeviceTensor& x, const DeviceTensor& dy,
                              const DeviceTensor& dkernel) override {
    add([=, &x, &dy, &dkernel] { cpu::conv2d_backward_kernel<float>(g, f32(x), f32(dy), f32(dkernel)); });
  }
  void conv2d_backward_bias(const Conv2DGeometry& g, const DeviceTensor& dy, const DeviceTensor& dbias) override {
    add([=, &dy, &dbias] { cpu::conv2d_backward_bias<float>(g, f32(dy), f32(dbias)); });
  }
  void maxpool2d_forward(const Pool2DGeometry& g, const DeviceTensor& x, const DeviceTensor& y) override {
    add([=, &x, &y] { cpu::maxpool2d_forward<float>(g, f32(x), f32(y)); });
  }
  void maxpool2d_backward(const Pool2DGeometry& g, const DeviceTensor& x, const DeviceTensor& dy,
                          const DeviceTensor& dx, bool relu_mask) override {
    add([=, &x, &dy, &dx] {
      cpu::maxpool2d_backward<float>(g, f32(x), f32(dy), f32(dx));
      if (relu_mask) cpu::relu_backward<float>(g.input_size(), f32(x), f32(dx), f32(dx));
    });
  }
  void conv2d_relu_maxpool2d_forward(const ConvReluPoolGeometry& g, const DeviceTensor& x,
                                     const DeviceTensor& kernel, const DeviceTensor& bias,
                                     const DeviceTensor& y, const DeviceTensor* winners) override {
    add([=, &x, &kernel, &bias, &y] {
      cpu::conv2d_relu_maxpool2d_forward<float>(g, f32(x), f32(kernel), f32(bias), f32(y),
                                                winners ? cpu(*winners).u8() : nullptr);
    });
  }
  void maxpool2d_backward_from_winners(const ConvReluPoolGeometry& g, const DeviceTensor& dy,
                                       const DeviceTensor& winners, const DeviceTensor& dx) override {
    add([=, &dy, &winners, &dx] {
      cpu::maxpool2d_backward_from_winners<float>(g, f32(dy), cpu(winners).u8(), f32(dx));
    });
  }
  void conv2d_relu_maxpool2d_backward_params(const ConvReluPoolGeometry& g, const DeviceTensor& x,
                                             const DeviceTensor& dy, const DeviceTensor& winners,
                                             const DeviceTensor& dkernel,
                                             const DeviceTensor& dbias) override {
    add([=, &x, &dy, &winners, &dkernel, &dbias] {
      cpu::conv2d_relu_maxpool2d_backward_params<float>(g, f32(x), f32(dy), cpu(winners).u8(),
                                                        f32(dkernel), f32(dbias));
    });
  }
  void avgpool2d_forward(const Pool2DGeometry& g, const DeviceTensor& x, const DeviceTensor& y) override {
    add([=, &x, &y] { cpu::avgpool2d_forward<float>(g, f32(x), f32(y)); });
  }
  void avgpool2d_backward(const Pool2DGeometry& g, const DeviceTensor& dy, const DeviceTensor& dx) override {
    add([=, &dy, &dx] { cpu::avgpool2d_backward<float>(g, f32(dy), f32(dx)); });
  }
  void dense_forward(const DenseGeometry& g, const DeviceTensor& x, const DeviceTensor& kernel,
                     const DeviceTensor& bias, const DeviceTensor& y, Activation act) override {
    add([=, &x, &kernel, &bias, &y] {
      cpu::dense_forward<float>(g, f32(x), f32(kernel), f32(bias), f32(y), act);
    });
  }
  void dense_backward_input(const DenseGeometry& g, const DeviceTensor& dy, const DeviceTensor& kernel,
                            const DeviceTensor& dx) override {
    add([=, &dy, &kernel, &dx] { cpu::dense_backward_input<float>(g, f32(dy), f32(kernel), f32(dx)); });
  }
  void dense_backward_kernel(const DenseGeometry& g, const DeviceTensor& x, const DeviceTensor& dy,
                             const DeviceTensor& dkernel) override {
    add([=, &x, &dy, &dkernel] { cpu::dense_backward_kernel<float>(g, f32(x), f32(dy), f32(dkernel)); });
  }
  void dense_backward_bias(const DenseGeometry& g, const DeviceTensor& dy, const DeviceTensor& dbias) override {
    add([=, &dy, &dbias] { cpu::dense_backward_bias<float>(g, f32(dy), f32(dbias)); });
  }
  void dropout(const DropoutConfig& config, std::int64_t count, const DeviceTensor& state,
               const DeviceTensor& x, const DeviceTensor& y) override {
    add([=, &state, &x, &y] {
      cpu::dropout_apply<float>(count, config, state_of(state).iterations, f32(x), f32(y));
    });
  }
  void relu_backward(std::int64_t count, const DeviceTensor& y, const DeviceTensor& dy,
                     const DeviceTensor& dx) override {
    add([=, &y, &dy, &dx] { cpu::relu_backward<float>(count, f32(y), f32(dy), f32(dx)); });
  }
  void softmax_forward(const ClassesGeometry& g, const DeviceTensor& x, const DeviceTensor& y) override {
    add([=, &x, &y] { cpu::softmax_forward<float>(g, f32(x), f32(y)); });
  }
  void softmax_cross_entropy(const ClassesGeometry& g, const DeviceTensor& logits, const DeviceTensor& labels,
                             float gradient_divisor, const DeviceTensor& loss,
                             const DeviceTensor& dlogits) override {
    add([=, &logits, &labels, &loss, &dlogits] {
      cpu::softmax_cross_entropy<float>(g, f32(logits), u32(labels), gradient_divisor, f32(loss),
                                        f32(dlogits));
    });
  }
  void count_correct(const ClassesGeometry& g, const DeviceTensor& scores, const DeviceTensor& labels,
                     const DeviceTensor& correct) override {
    add([=, &scores, &labels, &correct] {
      const ClassesGeometry row{1, g.classes};
      for (int n = 0; n < g.batch; ++n) {
        u32(correct)[n] = std::uint32_t(
            cpu::count_correct<float>(row, f32(scores) + std::int64_t(n) * g.classes, u32(labels) + n));
      }
    });
  }
  void sigmoid_forward(std::int64_t count, const DeviceTensor& x, const DeviceTensor& y) override {
    add([=, &x, &y] { cpu::sigmoid_forward<float>(count, f32(x), f32(y)); });
  }
  void sigmoid_cross_entropy(std::int64_t batch, const DeviceTensor& logits, const DeviceTensor& labels,
                             float gradient_divisor, const DeviceTensor& loss,
                             const DeviceTensor& dlogits) override {
    add([=, &logits, &labels, &loss, &dlogits] {
      cpu::sigmoid_cross_entropy<float>(batch, f32(logits), u32(labels), gradient_divisor, f32(loss),
                                        f32(dlogits));
    });
  }
  void binary_count_correct(std::int64_t batch, const DeviceTensor& logits, const DeviceTensor& labels,
                            const DeviceTensor& correct) override {
    add([=, &logits, &labels, &correct] {
      cpu::binary_count_correct<float>(batch, f32(logits), u32(labels), u32(correct));
    });
  }
  void accumulate_metrics(std::uint32_t count, const DeviceTensor& loss, const DeviceTensor& correct,
                          const DeviceTensor& totals) override {
    add([=, &loss, &correct, &totals] {
      float batch_loss = 0.0f;
      std::uint32_t batch_correct = 0;
      for (std::uint32_t i = 0; i < count; ++i) {
        batch_loss += f32(loss)[i];
        batch_correct += u32(correct)[i];
      }
      reinterpret_cast<MetricTotals*>(cpu(totals).bytes())->add_batch(batch_loss, batch_correct, count);
    });
  }
  void adam_update(const AdamConfig& config, std::int64_t count, const DeviceTensor& state,
                   const DeviceTensor& weights, const DeviceTensor& gradients, const DeviceTensor& m,
                   const DeviceTensor& v) override {
    add([=, &state, &weights, &gradients, &m, &v] {
      AdamConfig c = config;
      c.learning_rate = state_of(state).learning_rate;
      cpu::adam_update<float>(c, count, std::int64_t(state_of(state).iterations) + 1, f32(weights),
                              f32(gradients), f32(m), f32(v));
    });
  }
  void rmsprop_update(const RmspropConfig& config, std::int64_t count, const DeviceTensor& state,
                      const DeviceTensor& weights, const DeviceTensor& gradients,
                      const DeviceTensor& velocity, const DeviceTensor* momentum_buffer) override {
    add([=, &state, &weights, &gradients, &velocity] {
      RmspropConfig c = config;
      c.learning_rate = state_of(state).learning_rate;
      cpu::rmsprop_update<float>(c, count, f32(weights), f32(gradients), f32(velocity),
                                 momentum_buffer ? f32(*momentum_buffer) : nullptr);
    });
  }
  void sgd_update(const SgdConfig& config, std::int64_t count, const DeviceTensor& state,
                  const DeviceTensor& weights, const DeviceTensor& gradients, const DeviceTensor* velocity) override {
    add([=, &state, &weights, &gradients] {
      SgdConfig c = config;
      c.learning_rate = state_of(state).learning_rate;
      cpu::sgd_update<float>(c, count, f32(weights), f32(gradients),
                             velocity ? f32(*velocity) : nullptr);
    });
  }
  void store_batch(std::int64_t count, std::int64_t stride, const DeviceTensor& source,
                   const DeviceTensor& state, const DeviceTensor& destination) override {
    add([=, &source, &state, &destination] {
      const std::int64_t offset = std::int64_t(state_of(state).batch_index) * stride;
      if (offset + count > destination.count()) throw Error("store_batch: batch runs past the output");
      std::memcpy(f32(destination) + offset, f32(source), std::size_t(count) * sizeof(float));
    });
  }
  void advance_step(const DeviceTensor& state) override {
    add([&state] { advance(state_of(state)); });
  }

  std::unique_ptr<Program> finish() override {
    ++counters_.recordings;
    return std::make_unique<CpuProgram>(std::move(calls_), counters_);
  }

 private:
  void add(std::function<void()> call) { calls_.push_back(std::move(call)); }
  std::vector<std::function<void()>> calls_;
  BackendCounters& counters_;
};

class CpuBackend final : public Backend {
 public:
  std::string description() const override { return "CPU reference (scalar loops)"; }
  std::uint64_t memory_capacity() const override { return 0; }
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
