// The Vulkan backend: tensors are device buffers and a program is one
// command buffer, recorded once and replayed on every launch.
//
// Launches are queued without waiting. Every kFenceInterval-th launch (and
// any launch asked to) carries a fence; when more than kMaxFencesInFlight
// fences are pending the host waits for the oldest, which bounds how far it
// runs ahead of the device while waiting only once per kFenceInterval steps.
#include <algorithm>
#include <cstddef>
#include <deque>
#include <variant>
#include <vector>

#include "backend/backend.hpp"
#include "vknn/error.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "vulkan/context_access.hpp"
#include "vulkan/device.hpp"
#include "ops/vulkan/activations.hpp"
#include "ops/vulkan/avgpool2d.hpp"
#include "ops/vulkan/binary_loss.hpp"
#include "ops/vulkan/dropout.hpp"
#include "ops/vulkan/elementwise.hpp"
#include "ops/vulkan/conv2d.hpp"
#include "ops/vulkan/conv2d_relu_maxpool2d.hpp"
#include "ops/vulkan/dense.hpp"
#include "ops/vulkan/augmented_gather.hpp"
#include "ops/vulkan/gather.hpp"
#include "ops/vulkan/loss.hpp"
#include "ops/vulkan/maxpool2d.hpp"
#include "ops/vulkan/optimizers.hpp"
#include "ops/vulkan/step_state.hpp"
#include "ops/vulkan/store_batch.hpp"

namespace vknn::backend {
namespace {

constexpr std::uint64_t kFenceInterval = 8;
constexpr std::size_t kMaxFencesInFlight = 2;

std::uint64_t element_bytes(ElementType type, std::int64_t count) {
  // u8 tensors are packed four to a word (shaders read words and shift),
  // so their buffers round up to whole words.
  return type == ElementType::u8 ? (std::uint64_t(count) + 3) / 4 * 4 : std::uint64_t(count) * 4;
}

class VulkanTensor final : public DeviceTensor {
 public:
  VulkanTensor(vk::Device& device, const std::string& name, ElementType type, std::int64_t count)
      : DeviceTensor(name, type, count), buffer(device, element_bytes(type, count), name) {}
  vk::Buffer buffer;
};

// A float dataset (Backend::float_dataset): whole samples in up to
// kFloatDatasetMaxChunks buffers, so it may exceed one storage buffer's
// range. Only gather_float_batch reads it on the device; host access sees
// one flat f32 tensor.
class VulkanFloatDataset final : public DeviceTensor {
 public:
  VulkanFloatDataset(vk::Device& device, const std::string& name, std::int64_t sample_size,
                     std::int64_t samples, std::int64_t samples_per_chunk)
      : DeviceTensor(name, ElementType::f32, sample_size * samples),
        samples_per_chunk(samples_per_chunk),
        chunk_bytes(std::uint64_t(samples_per_chunk) * std::uint64_t(sample_size) * 4) {
    for (std::int64_t first = 0; first < samples; first += samples_per_chunk) {
      const std::int64_t n = std::min(samples_per_chunk, samples - first);
      chunks.emplace_back(device, std::uint64_t(n) * std::uint64_t(sample_size) * 4,
                          name + " chunk " + std::to_string(chunks.size()));
    }
  }
  std::vector<const vk::Buffer*> chunk_list() const {
    std::vector<const vk::Buffer*> list;
    for (const auto& c : chunks) list.push_back(&c);
    return list;
  }
  // Calls f(chunk, offset in chunk, offset in the flat range, bytes) for
  // each piece of [offset, offset + bytes).
  template <class F>
  void for_each_piece(std::size_t bytes, std::size_t offset, F&& f) {
    const std::uint64_t total = std::uint64_t(count()) * 4;
    if (offset + bytes > total) {
      throw Error("host access of " + std::to_string(bytes) + " bytes at offset " +
                  std::to_string(offset) + " does not fit float dataset '" + name() + "' (" +
                  std::to_string(total) + " bytes)");
    }
    std::size_t done = 0;
    while (done < bytes) {
      const std::uint64_t at = offset + done;
      const std::size_t c = std::size_t(at / chunk_bytes);
      const std::uint64_t within = at - c * chunk_bytes;
      const std::size_t n = std::size_t(std::min<std::uint64_t>(bytes - done, chunk_bytes - within));
      f(chunks[c], within, done, n);
      done += n;
    }
  }
  std::int64_t samples_per_chunk;
  std::uint64_t chunk_bytes;
  std::vector<vk::Buffer> chunks;
};

const VulkanTensor& plain(const DeviceTensor& t) {
  // Checked, though tensors only come back to the backend that made them:
  // a float dataset handed to an op other than op::GatherFloatBatch would
  // otherwise be read as the wrong type.
  const auto* tensor = dynamic_cast<const VulkanTensor*>(&t);
  if (!tensor) {
    throw Error("tensor '" + t.name() + "' is a float dataset; only gather_float_batch reads it");
  }
  return *tensor;
}
const vk::Buffer& buf(const DeviceTensor& t) { return plain(t).buffer; }
vk::Buffer& mutable_buf(const DeviceTensor& t) { return const_cast<VulkanTensor&>(plain(t)).buffer; }
VulkanFloatDataset* float_dataset_of(const DeviceTensor& t) {
  return const_cast<VulkanFloatDataset*>(dynamic_cast<const VulkanFloatDataset*>(&t));
}

std::uint32_t u32_count(std::int64_t count, const char* what) {
  if (count <= 0 || count > 0xffffffffll) {
    throw Error(std::string(what) + ": element count " + std::to_string(count) +
                " is out of range for a device op");
  }
  return std::uint32_t(count);
}

// An element offset (zero allowed) that a device op takes as 32 bits.
std::uint32_t u32_offset(std::int64_t offset, const char* what) {
  if (offset < 0 || offset > 0xffffffffll) {
    throw Error(std::string(what) + ": offset " + std::to_string(offset) +
                " is out of range for a device op");
  }
  return std::uint32_t(offset);
}

class Launcher {
 public:
  explicit Launcher(vk::Device& device) : device_(device) {}
  void launch(const vk::Recording& recording, bool fence) {
    ++launches_;
    if (fence || launches_ % kFenceInterval == 0) {
      fences_.push_back(vk::submit(device_, recording));
      while (fences_.size() > kMaxFencesInFlight) {
        fences_.front().wait();
        fences_.pop_front();
      }
    } else {
      vk::submit_unfenced(device_, recording);
    }
  }
  void synchronize() {
    if (fences_.empty() && pending_unfenced() == 0) return;
    device_.wait_idle();
    fences_.clear();  // all signalled; their destructors do not wait
    synced_at_ = launches_;
  }

 private:
  std::uint64_t pending_unfenced() const { return launches_ - synced_at_; }
  vk::Device& device_;
  std::deque<vk::Submission> fences_;
  std::uint64_t launches_ = 0;
  std::uint64_t synced_at_ = 0;
};

class VulkanProgram final : public Program {
 public:
  VulkanProgram(std::unique_ptr<vk::Recording> recording, Launcher& launcher,
                std::unique_ptr<vk::TimestampPool> timestamps)
      : recording_(std::move(recording)), launcher_(launcher), timestamps_(std::move(timestamps)) {}
  double device_time_ns() const override {
    return timestamps_ ? timestamps_->elapsed_ns(0, 1) : -1.0;
  }
  ~VulkanProgram() override {
    // The command buffer may still be executing: let it finish first.
    try {
      launcher_.synchronize();
    } catch (...) {
    }
  }
  void launch(bool fence) override { launcher_.launch(*recording_, fence); }

 private:
  std::unique_ptr<vk::Recording> recording_;
  Launcher& launcher_;
  std::unique_ptr<vk::TimestampPool> timestamps_;
};

class VulkanProgramBuilder final : public ProgramBuilder {
 public:
  VulkanProgramBuilder(vk::Device& device, const std::string& name, Launcher& launcher, bool timed,
                       KernelVariant kernels)
      : recording_(std::make_unique<vk::Recording>(device, name, vk::RecordingUse::replay)),
        launcher_(launcher),
        kernels_(kernels) {
    if (timed && device.info().timestamps_supported) {
      timestamps_ = std::make_unique<vk::TimestampPool>(device, 2);
      recording_->reset_timestamps(*timestamps_);
      recording_->timestamp(*timestamps_, 0);
    }
  }

  void record(const Op& op) override {
    std::visit([this](const auto& alternative) { encode(alternative); }, op);
  }

  std::unique_ptr<Program> finish() override {
    if (timestamps_) recording_->timestamp(*timestamps_, 1);
    recording_->finish();
    return std::make_unique<VulkanProgram>(std::move(recording_), launcher_, std::move(timestamps_));
  }

 private:
  vk::Recording& rec() {
    if (!recording_) throw Error("program already finished");
    return *recording_;
  }
  std::unique_ptr<vk::Recording> recording_;
  Launcher& launcher_;
  KernelVariant kernels_;  // forced where an op and shape have it (ops/kernel_variant.hpp)
  std::unique_ptr<vk::TimestampPool> timestamps_;

  // The variant of an op that has register_blocked and shared_tiled (dense,
  // conv2d's bias gradient): winograd is not one of them.
  KernelVariant blocked_or_tiled() const {
    return kernels_ == KernelVariant::winograd ? KernelVariant::automatic : kernels_;
  }
  // conv2d's forward pass, input and kernel gradients: winograd only where
  // the shape has it.
  KernelVariant winograd_variant(const Conv2DGeometry& g) {
    return kernels_ != KernelVariant::winograd || vk::ops::conv2d_winograd_applies(g, rec().device())
               ? kernels_
               : KernelVariant::automatic;
  }

  // One visitor: an overload of `encode` per op, each a call to its
  // dispatch in src/ops/vulkan/. An op without one does not compile
  // (record's std::visit).
  void encode(const op::GatherBatch& op) {
    vk::ops::gather_batch(rec(), op.sample_size, op.batch_size, op.count, buf(op.images),
                          buf(op.labels), buf(op.order), buf(op.state), buf(op.x),
                          buf(op.labels_out), op.first);
  }
  void encode(const op::GatherFloatBatch& op) {
    const VulkanFloatDataset* dataset = float_dataset_of(op.values);
    if (!dataset) {
      throw Error("gather_float_batch: tensor '" + op.values.name() +
                  "' is not a float dataset (make it with Backend::float_dataset)");
    }
    vk::ops::gather_float_batch(rec(), op.sample_size, op.batch_size, op.count, dataset->chunk_list(),
                                u32_count(dataset->samples_per_chunk, "gather_float_batch"),
                                buf(op.labels), buf(op.order), buf(op.state), buf(op.x),
                                buf(op.labels_out), op.first);
  }
  void encode(const op::GatherAugmentedBatch& op) {
    const vk::ops::AugmentedGatherSizes sizes{op.height, op.width, op.channels,
                                              op.batch_size, op.first, op.count};
    if (const VulkanFloatDataset* dataset = float_dataset_of(op.images)) {
      vk::ops::gather_augmented_batch(
          rec(), op.augmentation, sizes, true, dataset->chunk_list(),
          u32_count(dataset->samples_per_chunk, "gather_augmented_batch"), buf(op.labels),
          buf(op.order), buf(op.state), buf(op.x), buf(op.labels_out),
          op.keys ? &buf(*op.keys) : nullptr);
      return;
    }
    if (op.images.type() != ElementType::u8) {
      throw Error("gather_augmented_batch: tensor '" + op.images.name() +
                  "' is neither uint8 pixels nor a float dataset (Backend::float_dataset)");
    }
    vk::ops::gather_augmented_batch(rec(), op.augmentation, sizes, false, {&buf(op.images)}, 0,
                                    buf(op.labels), buf(op.order), buf(op.state), buf(op.x),
                                    buf(op.labels_out), op.keys ? &buf(*op.keys) : nullptr);
  }
  void encode(const op::Conv2dForward& op) {
    vk::ops::conv2d_forward(rec(), op.geometry, buf(op.x), buf(op.kernel), buf(op.bias), buf(op.y),
                            op.activation, winograd_variant(op.geometry));
  }
  void encode(const op::Conv2dBackwardInput& op) {
    vk::ops::conv2d_backward_input(rec(), op.geometry, buf(op.dy), buf(op.kernel), buf(op.dx),
                                   winograd_variant(op.geometry));
  }
  void encode(const op::Conv2dBackwardKernel& op) {
    vk::ops::conv2d_backward_kernel(rec(), op.geometry, buf(op.x), buf(op.dy), buf(op.dkernel),
                                    winograd_variant(op.geometry));
  }
  void encode(const op::Conv2dBackwardBias& op) {
    vk::ops::conv2d_backward_bias(rec(), op.geometry, buf(op.dy), buf(op.dbias), blocked_or_tiled());
  }
  void encode(const op::Maxpool2dForward& op) {
    vk::ops::maxpool2d_forward(rec(), op.geometry, buf(op.x), buf(op.y),
                               op.winners ? &buf(*op.winners) : nullptr, op.relu_mask);
  }
  void encode(const op::Maxpool2dBackward& op) {
    if (op.winners) {
      vk::ops::maxpool2d_backward_winners(rec(), op.geometry, buf(op.dy), buf(*op.winners),
                                          buf(op.dx));
      return;
    }
    vk::ops::maxpool2d_backward(rec(), op.geometry, buf(op.x), buf(op.dy), buf(op.dx), op.relu_mask);
  }
  void encode(const op::Conv2dReluMaxpool2dForward& op) {
    vk::ops::conv2d_relu_maxpool2d_forward(rec(), op.geometry, buf(op.x), buf(op.kernel), buf(op.bias),
                                           buf(op.y), op.winners ? &buf(*op.winners) : nullptr);
  }
  void encode(const op::Maxpool2dBackwardFromWinners& op) {
    vk::ops::maxpool2d_backward_from_winners(rec(), op.geometry, buf(op.dy), buf(op.winners),
                                             buf(op.dx));
  }
  void encode(const op::Conv2dReluMaxpool2dBackwardParams& op) {
    vk::ops::conv2d_relu_maxpool2d_backward_params(rec(), op.geometry, buf(op.x), buf(op.dy),
                                                   buf(op.winners), buf(op.dkernel), buf(op.dbias));
  }
  void encode(const op::Avgpool2dForward& op) {
    vk::ops::avgpool2d_forward(rec(), op.geometry, buf(op.x), buf(op.y));
  }
  void encode(const op::Avgpool2dBackward& op) {
    vk::ops::avgpool2d_backward(rec(), op.geometry, buf(op.dy), buf(op.dx));
  }
  void encode(const op::DenseForward& op) {
    vk::ops::dense_forward(rec(), op.geometry, buf(op.x), buf(op.kernel), buf(op.bias), buf(op.y),
                           op.activation, blocked_or_tiled());
  }
  void encode(const op::DenseBackwardInput& op) {
    vk::ops::dense_backward_input(rec(), op.geometry, buf(op.dy), buf(op.kernel), buf(op.dx), blocked_or_tiled());
  }
  void encode(const op::DenseBackwardKernel& op) {
    vk::ops::dense_backward_kernel(rec(), op.geometry, buf(op.x), buf(op.dy), buf(op.dkernel), blocked_or_tiled());
  }
  void encode(const op::DenseBackwardBias& op) {
    vk::ops::dense_backward_bias(rec(), op.geometry, buf(op.dy), buf(op.dbias));
  }
  void encode(const op::Dropout& op) {
    vk::ops::dropout_apply(rec(), op.config, op.count, buf(op.state), buf(op.x), buf(op.y));
  }
  void encode(const op::ReluBackward& op) {
    vk::ops::relu_backward(rec(), op.count, buf(op.y), buf(op.dy), buf(op.dx));
  }
  void encode(const op::SoftmaxForward& op) {
    vk::ops::softmax_forward(rec(), op.geometry, buf(op.x), buf(op.y));
  }
  void encode(const op::SoftmaxCrossEntropy& op) {
    vk::ops::softmax_cross_entropy(rec(), op.geometry, buf(op.logits), buf(op.labels),
                                   op.gradient_divisor, buf(op.loss), buf(op.dlogits));
  }
  void encode(const op::CountCorrect& op) {
    vk::ops::count_correct(rec(), op.geometry, buf(op.scores), buf(op.labels), buf(op.correct));
  }
  void encode(const op::SigmoidForward& op) {
    vk::ops::sigmoid_forward(rec(), op.count, buf(op.x), buf(op.y));
  }
  void encode(const op::SigmoidCrossEntropy& op) {
    vk::ops::sigmoid_cross_entropy(rec(), op.batch, buf(op.logits), buf(op.labels),
                                   op.gradient_divisor, buf(op.loss), buf(op.dlogits));
  }
  void encode(const op::BinaryCountCorrect& op) {
    vk::ops::binary_count_correct(rec(), op.batch, buf(op.logits), buf(op.labels), buf(op.correct));
  }
  void encode(const op::WeightSamples& op) {
    vk::ops::weight_samples(rec(), op.geometry, op.batch_size, buf(op.sample_weights), buf(op.order),
                            buf(op.state), buf(op.loss), buf(op.dlogits), buf(op.weights_out),
                            op.first);
  }
  // Every elementwise function (op.hpp): its shader is shaders/<name>.comp.
  template <class F>
  void encode(const op::ElementwiseForward<F>& op) {
    vk::ops::elementwise_forward(rec(), F::name, op.function.parameters(), op.count, buf(op.x),
                                 buf(op.y));
  }
  template <class F>
  void encode(const op::ElementwiseBackward<F>& op) {
    vk::ops::elementwise_backward(rec(), F::name, op.function.parameters(), op.count, buf(op.x),
                                  buf(op.dy), buf(op.dx));
  }
  void encode(const op::AccumulateMetrics& op) {
    vk::ops::accumulate_metrics(rec(), op.count, buf(op.loss), buf(op.correct), buf(op.totals),
                                op.weights ? &buf(*op.weights) : nullptr);
  }
  void encode(const op::AdamUpdate& op) {
    vk::ops::adam_update(rec(), op.config, std::uint64_t(op.count), buf(op.state), buf(op.weights),
                         buf(op.gradients), buf(op.m), buf(op.v));
  }
  void encode(const op::RmspropUpdate& op) {
    vk::ops::rmsprop_update(rec(), op.config, std::uint64_t(op.count), buf(op.state), buf(op.weights),
                            buf(op.gradients), buf(op.velocity),
                            op.momentum_buffer ? &buf(*op.momentum_buffer) : nullptr);
  }
  void encode(const op::SgdUpdate& op) {
    vk::ops::sgd_update(rec(), op.config, std::uint64_t(op.count), buf(op.state), buf(op.weights),
                        buf(op.gradients), op.velocity ? &buf(*op.velocity) : nullptr);
  }
  void encode(const op::AccumulateGradient& op) {
    vk::ops::accumulate_gradient(rec(), std::uint64_t(op.count), buf(op.gradient), buf(op.total));
  }
  void encode(const op::StoreBatch& op) {
    vk::ops::store_batch(rec(), u32_count(op.count, "store_batch"), u32_count(op.stride, "store_batch"),
                         buf(op.source), buf(op.state), buf(op.destination),
                         u32_offset(op.first, "store_batch"));
  }
  void encode(const op::AdvanceStep& op) { vk::ops::advance_step(rec(), buf(op.state)); }
};

class VulkanBackend final : public Backend {
 public:
  VulkanBackend(Context& context, KernelVariant kernels)
      : device_(vk::device_of(context)), launcher_(device_), kernels_(kernels) {}
  ~VulkanBackend() override {
    try {
      launcher_.synchronize();
    } catch (...) {
      // A lost device on teardown has already been reported by the call
      // that saw it; nothing more can be done here.
    }
  }

  std::string description() const override {
    const DeviceInfo& d = device_.info();
    return "Vulkan: " + d.name + " (" + to_string(d.type) + ", " + d.driver_name + " " +
           d.driver_info + ")";
  }
  // The largest device-local heap: every tensor lives in device-local
  // memory (host-visible too on unified-memory devices).
  std::uint64_t memory_capacity() const override {
    std::uint64_t largest = 0;
    for (const auto& heap : device_.info().memory_heaps) {
      if (heap.device_local && heap.size > largest) largest = heap.size;
    }
    return largest;
  }
  std::string memory_description() const override {
    return "the largest device-local memory heap of " + device_.info().name;
  }
  // A tensor is one storage buffer, which may also be read as r32f texels.
  std::uint64_t max_tensor_bytes() const override {
    const DeviceInfo& d = device_.info();
    const std::uint64_t as_texels =
        d.max_texel_buffer_elements ? d.max_texel_buffer_elements * 4 : UINT64_MAX;
    return std::min({d.max_storage_buffer_range, d.max_memory_allocation_size, as_texels});
  }
  std::string max_tensor_description() const override {
    const DeviceInfo& d = device_.info();
    return d.name + "'s maxStorageBufferRange (" + std::to_string(d.max_storage_buffer_range) +
           " bytes), maxMemoryAllocationSize (" + std::to_string(d.max_memory_allocation_size) +
           ") and maxTexelBufferElements (" + std::to_string(d.max_texel_buffer_elements) + ")";
  }
  std::unique_ptr<DeviceTensor> tensor(const std::string& name, ElementType type,
                                 std::int64_t count) override {
    if (count <= 0) throw Error("tensor '" + name + "': element count must be positive");
    return std::make_unique<VulkanTensor>(device_, name, type, count);
  }
  std::unique_ptr<DeviceTensor> float_dataset(const std::string& name, std::int64_t sample_size,
                                              std::int64_t samples,
                                              std::int64_t max_chunk_samples) override {
    if (sample_size <= 0 || samples <= 0 || sample_size > 0xffffffffll) {
      throw Error("float dataset '" + name + "': sample_size and samples must be positive, got " +
                  std::to_string(sample_size) + " and " + std::to_string(samples));
    }
    std::uint64_t per_chunk = vk::ops::float_chunk_capacity(device_, std::uint32_t(sample_size));
    if (max_chunk_samples > 0) per_chunk = std::min<std::uint64_t>(per_chunk, max_chunk_samples);
    per_chunk = std::min<std::uint64_t>(per_chunk, 0xffffffffull);
    const std::uint64_t chunks = (std::uint64_t(samples) + per_chunk - 1) / per_chunk;
    if (chunks > vk::ops::kFloatDatasetMaxChunks) {
      throw Error("float dataset '" + name + "': " + std::to_string(samples) + " samples of " +
                  std::to_string(sample_size) + " floats need " + std::to_string(chunks) +
                  " storage buffers of at most " + std::to_string(per_chunk) + " samples on " +
                  device_.info().name + ", but vknn binds at most " +
                  std::to_string(vk::ops::kFloatDatasetMaxChunks) +
                  "; pass fewer samples, or uint8 pixels (4x smaller)");
    }
    return std::make_unique<VulkanFloatDataset>(device_, name, sample_size, samples,
                                                std::int64_t(per_chunk));
  }
  void write(const DeviceTensor& tensor, const void* data, std::size_t bytes, std::size_t offset) override {
    if (auto* dataset = float_dataset_of(tensor)) {
      dataset->for_each_piece(bytes, offset, [&](vk::Buffer& chunk, std::uint64_t at,
                                                 std::size_t from, std::size_t n) {
        chunk.upload(static_cast<const std::byte*>(data) + from, n, at);
      });
      return;
    }
    mutable_buf(tensor).upload(data, bytes, offset);
  }
  void read(const DeviceTensor& tensor, void* data, std::size_t bytes, std::size_t offset) override {
    if (auto* dataset = float_dataset_of(tensor)) {
      dataset->for_each_piece(bytes, offset, [&](vk::Buffer& chunk, std::uint64_t at,
                                                 std::size_t from, std::size_t n) {
        chunk.download(static_cast<std::byte*>(data) + from, n, at);
      });
      return;
    }
    buf(tensor).download(data, bytes, offset);
  }
  void zero(const DeviceTensor& tensor) override {
    if (auto* dataset = float_dataset_of(tensor)) {
      for (auto& chunk : dataset->chunks) chunk.fill_zero();
      return;
    }
    mutable_buf(tensor).fill_zero();
  }
  std::unique_ptr<ProgramBuilder> build(const std::string& name, bool timed) override {
    return std::make_unique<VulkanProgramBuilder>(device_, name, launcher_, timed, kernels_);
  }
  void synchronize() override { launcher_.synchronize(); }
  BackendCounters counters() const override {
    const vk::DeviceCounters& c = device_.counters();
    return {c.submissions, c.host_waits, c.recordings, c.bytes_uploaded};
  }

 private:
  vk::Device& device_;
  Launcher launcher_;
  KernelVariant kernels_;
};

}  // namespace

std::unique_ptr<Backend> make_vulkan_backend(Context& context, KernelVariant kernels) {
  return std::make_unique<VulkanBackend>(context, kernels);
}

}  // namespace vknn::backend
