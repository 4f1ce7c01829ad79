#include "vulkan/command.hpp"

#include <sstream>

#include "vknn/error.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/check.hpp"
#include "vulkan/device.hpp"
#include "vulkan/fault_injection.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk {

// ---- DescriptorArena -------------------------------------------------------

namespace {
constexpr std::uint32_t kSetsPerPool = 128;
constexpr std::uint32_t kBuffersPerPool = kSetsPerPool * 8;
}  // namespace

DescriptorArena::DescriptorArena(Device& device) : device_(device) {}

DescriptorArena::~DescriptorArena() {
  for (VkDescriptorPool pool : pools_) vkDestroyDescriptorPool(device_.handle(), pool, nullptr);
}

void DescriptorArena::add_pool() {
  const VkDescriptorPoolSize sizes[] = {{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kBuffersPerPool},
                                        {VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, kBuffersPerPool}};
  VkDescriptorPoolCreateInfo info{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
  info.maxSets = kSetsPerPool;
  info.poolSizeCount = 2;
  info.pPoolSizes = sizes;
  VkDescriptorPool pool = VK_NULL_HANDLE;
  vk_check(vkCreateDescriptorPool(device_.handle(), &info, nullptr, &pool),
           "vkCreateDescriptorPool", "creating a descriptor pool");
  pools_.push_back(pool);
}

VkDescriptorSet DescriptorArena::allocate(VkDescriptorSetLayout layout, const std::string& what) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (pools_.empty() || attempt == 1) add_pool();
    VkDescriptorSetAllocateInfo info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
    info.descriptorPool = pools_.back();
    info.descriptorSetCount = 1;
    info.pSetLayouts = &layout;
    VkDescriptorSet set = VK_NULL_HANDLE;
    VkResult r = vkAllocateDescriptorSets(device_.handle(), &info, &set);
    if (r == VK_SUCCESS) return set;
    // A full pool answers one of these; a fresh pool is the remedy.
    if (attempt == 0 && (r == VK_ERROR_OUT_OF_POOL_MEMORY || r == VK_ERROR_FRAGMENTED_POOL)) continue;
    vk_check(r, "vkAllocateDescriptorSets", "allocating the descriptor set of " + what);
  }
  throw Error("could not allocate a descriptor set for " + what);
}

// ---- Recording -------------------------------------------------------------

Recording::Recording(Device& device, std::string name, RecordingUse use)
    : device_(device), name_(std::move(name)), descriptors_(std::make_unique<DescriptorArena>(device)) {
  VkCommandBufferAllocateInfo info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  info.commandPool = device.command_pool();
  info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  info.commandBufferCount = 1;
  vk_check(vkAllocateCommandBuffers(device.handle(), &info, &command_buffer_),
           "vkAllocateCommandBuffers", "starting recording '" + name_ + "'");

  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  // SIMULTANEOUS_USE lets a replayed step be queued again before the
  // previous submission of it has finished.
  begin.flags = use == RecordingUse::once ? VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT
                                          : VK_COMMAND_BUFFER_USAGE_SIMULTANEOUS_USE_BIT;
  vk_check(vkBeginCommandBuffer(command_buffer_, &begin), "vkBeginCommandBuffer",
           "starting recording '" + name_ + "'");
  ++device.counters().recordings;
  // Work from earlier submissions (previous replays of this step, uploads)
  // must be visible to this one: a barrier's first scope covers everything
  // earlier in submission order.
  barrier();
  profiler_ = device.dispatch_profiler();
  if (profiler_) profiler_->start(command_buffer_);
}

Recording::~Recording() {
  if (command_buffer_ != VK_NULL_HANDLE) {
    vkFreeCommandBuffers(device_.handle(), device_.command_pool(), 1, &command_buffer_);
  }
}

const Buffer& Recording::scratch(VkDeviceSize bytes, const std::string& name) {
  scratch_.push_back(std::make_unique<Buffer>(device_, bytes, name_ + ": " + name));
  return *scratch_.back();
}

void Recording::dispatch(const ComputePipeline& pipeline,
                         std::initializer_list<const Buffer*> buffers, const void* push_constants,
                         std::uint32_t push_bytes, std::array<std::uint32_t, 3> groups) {
  const PipelineDesc& desc = pipeline.desc();
  const std::string what = "dispatch of '" + desc.shader + "' in '" + name_ + "'";
  if (finished_) throw Error(what + ": the recording is already finished");
  // The count is the shader's own (its SPIR-V's bindings): a wrong count
  // would leave a binding unwritten or write one the layout lacks.
  if (buffers.size() != pipeline.buffer_count()) {
    std::ostringstream msg;
    msg << what << ": shaders/" << desc.shader << ".comp declares " << pipeline.buffer_count()
        << " buffers but " << buffers.size() << " were given";
    throw Error(msg.str());
  }
  if (push_bytes != desc.push_constant_bytes) {
    std::ostringstream msg;
    msg << what << ": the pipeline takes " << desc.push_constant_bytes
        << " bytes of push constants but " << push_bytes << " were given";
    throw Error(msg.str());
  }
  device_.check_group_count(groups[0], groups[1], groups[2], what);
  if (groups[0] == 0 || groups[1] == 0 || groups[2] == 0) return;  // nothing to do
  if (profiler_) profiler_->check_room(what);

  VkDescriptorSet set = descriptors_->allocate(pipeline.set_layout(), what);
  std::vector<VkDescriptorBufferInfo> infos;
  std::vector<VkBufferView> views;
  infos.reserve(buffers.size());
  views.reserve(buffers.size());
  for (const Buffer* buffer : buffers) {
    const bool texel = pipeline.is_texel_binding(std::uint32_t(infos.size()));
    infos.push_back({buffer->handle(), 0, VK_WHOLE_SIZE});
    views.push_back(texel ? buffer->vec4_view() : VK_NULL_HANDLE);
  }
  std::vector<VkWriteDescriptorSet> writes(buffers.size());
  for (std::uint32_t i = 0; i < writes.size(); ++i) {
    writes[i] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    writes[i].dstSet = set;
    writes[i].dstBinding = i;
    writes[i].descriptorCount = 1;
    if (pipeline.is_texel_binding(i)) {
      writes[i].descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER;
      writes[i].pTexelBufferView = &views[i];
    } else {
      writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
      writes[i].pBufferInfo = &infos[i];
    }
  }
  vkUpdateDescriptorSets(device_.handle(), std::uint32_t(writes.size()), writes.data(), 0, nullptr);

  vkCmdBindPipeline(command_buffer_, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.handle());
  vkCmdBindDescriptorSets(command_buffer_, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.layout(), 0, 1,
                          &set, 0, nullptr);
  if (push_bytes > 0) {
    vkCmdPushConstants(command_buffer_, pipeline.layout(), VK_SHADER_STAGE_COMPUTE_BIT, 0,
                       push_bytes, push_constants);
  }
  vkCmdDispatch(command_buffer_, groups[0], groups[1], groups[2]);
  ++dispatches_;
  ++device_.counters().dispatches_recorded;
  if (profiler_) {
    profiler_->after_dispatch(command_buffer_, desc.shader + " [" + std::to_string(groups[0]) + "," +
                                                   std::to_string(groups[1]) + "," +
                                                   std::to_string(groups[2]) + "]");
  }
}

void Recording::barrier() {
  VkMemoryBarrier memory{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  memory.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  memory.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                         VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  const VkPipelineStageFlags stages =
      VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
  vkCmdPipelineBarrier(command_buffer_, stages, stages, 0, 1, &memory, 0, nullptr, 0, nullptr);
  count_barrier();
}

void Recording::host_read_barrier() {
  VkMemoryBarrier memory{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  memory.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  memory.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  vkCmdPipelineBarrier(command_buffer_,
                       VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                       VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &memory, 0, nullptr, 0, nullptr);
  count_barrier();
}

void Recording::count_barrier() {
  ++barriers_;
  ++device_.counters().barriers_recorded;
}

void Recording::copy(const Buffer& source, const Buffer& destination, VkDeviceSize bytes,
                     VkDeviceSize source_offset, VkDeviceSize destination_offset) {
  if (source_offset + bytes > source.size() || destination_offset + bytes > destination.size()) {
    std::ostringstream msg;
    msg << "copy of " << bytes << " bytes from '" << source.name() << "' (" << source.size()
        << " bytes, offset " << source_offset << ") to '" << destination.name() << "' ("
        << destination.size() << " bytes, offset " << destination_offset << ") is out of range";
    throw Error(msg.str());
  }
  VkBufferCopy region{source_offset, destination_offset, bytes};
  vkCmdCopyBuffer(command_buffer_, source.handle(), destination.handle(), 1, &region);
}

void Recording::fill(const Buffer& buffer, std::uint32_t value) {
  vkCmdFillBuffer(command_buffer_, buffer.handle(), 0, VK_WHOLE_SIZE, value);
}

void Recording::reset_timestamps(TimestampPool& pool) {
  vkCmdResetQueryPool(command_buffer_, pool.handle(), 0, pool.count());
}

void Recording::timestamp(TimestampPool& pool, std::uint32_t query) {
  if (query >= pool.count()) throw Error("timestamp query index out of range");
  vkCmdWriteTimestamp(command_buffer_, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, pool.handle(), query);
}

void Recording::finish() {
  if (finished_) return;
  vk_check(vkEndCommandBuffer(command_buffer_), "vkEndCommandBuffer",
           "finishing recording '" + name_ + "'");
  finished_ = true;
}

// ---- Submission ------------------------------------------------------------

Submission::Submission(Device& device, VkFence fence, std::string what)
    : device_(&device), fence_(fence), what_(std::move(what)) {}

Submission::Submission(Submission&& other) noexcept
    : device_(other.device_), fence_(other.fence_), what_(std::move(other.what_)),
      waited_(other.waited_) {
  other.fence_ = VK_NULL_HANDLE;
}

Submission& Submission::operator=(Submission&& other) noexcept {
  if (this != &other) {
    release();
    device_ = other.device_;
    fence_ = other.fence_;
    what_ = std::move(other.what_);
    waited_ = other.waited_;
    other.fence_ = VK_NULL_HANDLE;
  }
  return *this;
}

Submission::~Submission() { release(); }

void Submission::release() {
  if (fence_ == VK_NULL_HANDLE) return;
  // The fence may not be reused or destroyed while its submission is
  // pending.
  const VkResult r =
      waited_ ? VK_SUCCESS
              : vkWaitForFences(device_->handle(), 1, &fence_, VK_TRUE,
                                std::uint64_t(std::chrono::nanoseconds(device_->wait_timeout()).count()));
  if (r == VK_SUCCESS) {
    device_->recycle_fence(fence_);
  } else {
    vkDestroyFence(device_->handle(), fence_, nullptr);
  }
  fence_ = VK_NULL_HANDLE;
}

void Submission::wait() { wait(device_->wait_timeout()); }

void Submission::wait(std::chrono::nanoseconds timeout) {
  if (waited_ || fence_ == VK_NULL_HANDLE) return;
  ++device_->counters().host_waits;
  VkResult r = injected_fault(FaultPoint::device_wait);  // tests only; VK_SUCCESS otherwise
  if (r == VK_SUCCESS) {
    r = vkWaitForFences(device_->handle(), 1, &fence_, VK_TRUE,
                        std::uint64_t(std::max<std::int64_t>(timeout.count(), 0)));
  }
  if (r == VK_TIMEOUT) {
    std::ostringstream msg;
    msg << "vkWaitForFences timed out after "
        << std::chrono::duration<double, std::milli>(timeout).count() << " ms while waiting for '"
        << what_ << "' on device '" << device_->info().name
        << "'; the work is still running (raise ContextOptions::wait_timeout for longer work)";
    throw Error(msg.str());
  }
  vk_check(r, "vkWaitForFences", "waiting for '" + what_ + "'");
  waited_ = true;
}

bool Submission::done() const {
  if (waited_ || fence_ == VK_NULL_HANDLE) return true;
  VkResult r = vkGetFenceStatus(device_->handle(), fence_);
  if (r == VK_NOT_READY) return false;
  vk_check(r, "vkGetFenceStatus", "polling '" + what_ + "'");
  return true;
}

namespace {

void queue_submit(Device& device, const Recording& recording, VkFence fence) {
  if (!recording.finished()) {
    throw Error("recording '" + recording.name() + "' was submitted before finish()");
  }
  VkCommandBuffer command_buffer = recording.handle();
  VkSubmitInfo info{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  info.commandBufferCount = 1;
  info.pCommandBuffers = &command_buffer;
  VkResult r = injected_fault(FaultPoint::queue_submit);  // tests only; VK_SUCCESS otherwise
  if (r == VK_SUCCESS) r = vkQueueSubmit(device.queue(), 1, &info, fence);
  vk_check(r, "vkQueueSubmit", "submitting '" + recording.name() + "'");
  ++device.counters().submissions;
}

}  // namespace

Submission submit(Device& device, const Recording& recording) {
  VkFence fence = device.acquire_fence();
  try {
    queue_submit(device, recording, fence);
  } catch (...) {
    device.recycle_fence(fence);  // never submitted
    throw;
  }
  return Submission(device, fence, recording.name());
}

void submit_unfenced(Device& device, const Recording& recording) {
  queue_submit(device, recording, VK_NULL_HANDLE);
}

// ---- TimestampPool ---------------------------------------------------------

TimestampPool::TimestampPool(Device& device, std::uint32_t count) : device_(device), count_(count) {
  if (!device.info().timestamps_supported) {
    throw Error("device '" + device.info().name + "' has no timestamp queries on its compute queue");
  }
  VkQueryPoolCreateInfo info{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
  info.queryType = VK_QUERY_TYPE_TIMESTAMP;
  info.queryCount = count;
  vk_check(vkCreateQueryPool(device.handle(), &info, nullptr, &pool_), "vkCreateQueryPool",
           "creating a timestamp pool");
}

TimestampPool::~TimestampPool() { vkDestroyQueryPool(device_.handle(), pool_, nullptr); }

// ---- DispatchProfiler ------------------------------------------------------
DispatchProfiler::DispatchProfiler(Device& device, std::uint32_t max_dispatches)
    : pool_(std::make_unique<TimestampPool>(device, max_dispatches + 1)) {}

DispatchProfiler::~DispatchProfiler() = default;

void DispatchProfiler::start(VkCommandBuffer command_buffer) {
  labels_.clear();
  vkCmdResetQueryPool(command_buffer, pool_->handle(), 0, pool_->count());
  // BOTTOM_OF_PIPE: written once everything before it has finished, so
  // the difference between two is the work recorded between them.
  vkCmdWriteTimestamp(command_buffer, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, pool_->handle(), 0);
}

void DispatchProfiler::check_room(const std::string& what) const {
  if (labels_.size() + 1 >= pool_->count()) {
    throw Error(what + ": the dispatch profiler has room for " + std::to_string(pool_->count() - 1) +
                " dispatches, and this recording would have more than " +
                std::to_string(pool_->count() - 1) + " dispatches; make it with a larger max_dispatches");
  }
}

void DispatchProfiler::after_dispatch(VkCommandBuffer command_buffer, std::string label) {
  labels_.push_back(std::move(label));
  vkCmdWriteTimestamp(command_buffer, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, pool_->handle(),
                      std::uint32_t(labels_.size()));
}

std::vector<DispatchProfiler::Timing> DispatchProfiler::timings() const {
  std::vector<Timing> out;
  for (std::uint32_t i = 0; i < labels_.size(); ++i) {
    out.push_back({labels_[i], pool_->elapsed_ns(i, i + 1)});
  }
  return out;
}

double TimestampPool::elapsed_ns(std::uint32_t first, std::uint32_t second) const {
  std::uint64_t values[2] = {0, 0};
  vk_check(vkGetQueryPoolResults(device_.handle(), pool_, first, 1, sizeof(std::uint64_t), &values[0],
                                 sizeof(std::uint64_t), VK_QUERY_RESULT_64_BIT),
           "vkGetQueryPoolResults", "reading a timestamp");
  vk_check(vkGetQueryPoolResults(device_.handle(), pool_, second, 1, sizeof(std::uint64_t),
                                 &values[1], sizeof(std::uint64_t), VK_QUERY_RESULT_64_BIT),
           "vkGetQueryPoolResults", "reading a timestamp");
  return double(values[1] - values[0]) * device_.info().timestamp_period_ns;
}

}  // namespace vknn::vk
