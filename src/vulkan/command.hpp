// Command recording and submission.
//
// A Recording is one command buffer plus the descriptor sets its dispatches
// bind. It is recorded once and, for RecordingUse::replay, submitted any
// number of times (several submissions may be in flight: it is recorded
// with SIMULTANEOUS_USE). This is how vknn runs a training step: record the
// whole step once, replay it for every batch.
//
// Every submission gets a fence; Submission::wait() waits with the device's
// finite timeout and throws vknn::Error naming what it waited for, instead
// of hanging forever on a lost device or a runaway shader.
#pragma once

#include <vulkan/vulkan.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

namespace vknn::vk {

class Buffer;
class ComputePipeline;
class Device;

enum class RecordingUse {
  once,    // submitted a single time
  replay,  // submitted again and again, possibly overlapping
};

// Descriptor sets for one recording, from pools that grow as needed and
// are freed with the recording.
class DescriptorArena {
 public:
  explicit DescriptorArena(Device& device);
  ~DescriptorArena();
  DescriptorArena(const DescriptorArena&) = delete;
  DescriptorArena& operator=(const DescriptorArena&) = delete;

  VkDescriptorSet allocate(VkDescriptorSetLayout layout, const std::string& what);

 private:
  void add_pool();
  Device& device_;
  std::vector<VkDescriptorPool> pools_;
};

class TimestampPool;
class DispatchProfiler;

class Recording {
 public:
  Recording(Device& device, std::string name, RecordingUse use = RecordingUse::replay);
  ~Recording();
  Recording(const Recording&) = delete;
  Recording& operator=(const Recording&) = delete;

  // Binds `buffers` to bindings 0..n-1 and dispatches `groups` workgroups.
  // The group count is checked against maxComputeWorkGroupCount.
  void dispatch(const ComputePipeline& pipeline, std::initializer_list<const Buffer*> buffers,
                const void* push_constants, std::uint32_t push_bytes,
                std::array<std::uint32_t, 3> groups);
  template <class Push>
  void dispatch(const ComputePipeline& pipeline, std::initializer_list<const Buffer*> buffers,
                const Push& push, std::array<std::uint32_t, 3> groups) {
    dispatch(pipeline, buffers, &push, sizeof(Push), groups);
  }

  // Makes writes by earlier dispatches and transfers visible to later ones.
  // Between two dependent compute dispatches a compute-to-compute barrier is
  // required; a transfer-only barrier would not order them.
  void barrier();
  // Makes device writes visible to host reads after the fence.
  void host_read_barrier();

  void copy(const Buffer& source, const Buffer& destination, VkDeviceSize bytes,
            VkDeviceSize source_offset = 0, VkDeviceSize destination_offset = 0);
  void fill(const Buffer& buffer, std::uint32_t value);
  // A device buffer that lives as long as this recording, for an op's
  // intermediate results (the partial sums of a split reduction): a
  // replayed step reuses it every time.
  const Buffer& scratch(VkDeviceSize bytes, const std::string& name);
  void reset_timestamps(TimestampPool& pool);
  void timestamp(TimestampPool& pool, std::uint32_t query);

  void finish();  // ends recording; the recording may then be submitted

  VkCommandBuffer handle() const { return command_buffer_; }
  const std::string& name() const { return name_; }
  Device& device() const { return device_; }  // ops record against this device
  bool finished() const { return finished_; }
  std::uint32_t dispatch_count() const { return dispatches_; }
  // Pipeline barriers recorded, host-read barriers and the one every
  // recording starts with included.
  std::uint32_t barrier_count() const { return barriers_; }

 private:
  void count_barrier();
  Device& device_;
  std::string name_;
  VkCommandBuffer command_buffer_ = VK_NULL_HANDLE;
  std::unique_ptr<DescriptorArena> descriptors_;
  std::vector<std::unique_ptr<Buffer>> scratch_;
  DispatchProfiler* profiler_ = nullptr;  // the device's, when one was attached at construction
  bool finished_ = false;
  std::uint32_t dispatches_ = 0;
  std::uint32_t barriers_ = 0;
};

// One submission in flight. Waiting is explicit; the destructor also waits
// (the fence must outlive the work), swallowing errors.
class Submission {
 public:
  Submission(Device& device, VkFence fence, std::string what);
  ~Submission();
  Submission(Submission&& other) noexcept;
  Submission& operator=(Submission&& other) noexcept;
  Submission(const Submission&) = delete;
  Submission& operator=(const Submission&) = delete;

  // Waits up to the device's timeout (or the given one); throws on timeout
  // or device loss.
  void wait();
  void wait(std::chrono::nanoseconds timeout);
  bool done() const;

 private:
  void release();
  Device* device_ = nullptr;
  VkFence fence_ = VK_NULL_HANDLE;
  std::string what_;
  bool waited_ = false;
};

Submission submit(Device& device, const Recording& recording);
// Queues the recording with no fence of its own: for steps the host never
// waits on individually (a later fenced submission or Device::wait_idle
// covers them, since the queue runs submissions in order).
void submit_unfenced(Device& device, const Recording& recording);

// GPU timestamps for measuring device time around recorded work.
class TimestampPool {
 public:
  TimestampPool(Device& device, std::uint32_t count);
  ~TimestampPool();
  TimestampPool(const TimestampPool&) = delete;
  TimestampPool& operator=(const TimestampPool&) = delete;

  VkQueryPool handle() const { return pool_; }
  std::uint32_t count() const { return count_; }
  // Nanoseconds between two written queries, after the submission that
  // wrote them has been waited for.
  double elapsed_ns(std::uint32_t first, std::uint32_t second) const;

 private:
  Device& device_;
  VkQueryPool pool_ = VK_NULL_HANDLE;
  std::uint32_t count_;
};

// Device time of every dispatch of a recording, in place: while attached
// to a device (Device::set_dispatch_profiler), each Recording made on it
// writes a timestamp when it starts and one after each dispatch, so one
// launch of the program gives each dispatch's time inside the real step
// (caches and neighbours as they are), not timed alone. For benchmarks:
// it adds a timestamp per dispatch. Attach it for one recording at a time.
class DispatchProfiler {
 public:
  struct Timing {
    std::string label;  // shader and workgroup counts, e.g. "relu [4326,1,1]"
    double ns = 0;      // from the previous timestamp (start or dispatch) to this one
  };

  DispatchProfiler(Device& device, std::uint32_t max_dispatches);
  ~DispatchProfiler();

  // After the profiled program's submission has been waited for.
  std::vector<Timing> timings() const;

 private:
  friend class Recording;
  void start(VkCommandBuffer command_buffer);
  void check_room(const std::string& what) const;  // throws when the pool is full
  void after_dispatch(VkCommandBuffer command_buffer, std::string label);

  std::unique_ptr<TimestampPool> pool_;
  std::vector<std::string> labels_;
};

}  // namespace vknn::vk
