// The device's two rooflines, each measured by a plain kernel that does
// nothing else: fma_peak (independent vec4 multiply-add chains: FLOP/s)
// and bandwidth_peak (a vec4 copy between two buffers: bytes/s). An op is
// judged by its rate divided by the roofline that bounds it.
#pragma once

#include <cstdint>
#include <memory>

#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "vulkan/device.hpp"

namespace vknn::bench {

// One peak kernel, recorded once with timestamps around it, run many times.
class PeakKernel {
 public:
  // FLOP/s roofline; `quick` makes it tiny (CI smoke runs).
  static PeakKernel fma(vk::Device& device, bool quick);
  // Bytes/s roofline: copies `mebibytes` MiB from one buffer to another.
  static PeakKernel copy(vk::Device& device, std::uint32_t mebibytes);

  // Submits, waits; returns the seconds it took (device time from
  // timestamps where the device has them, else wall time) and the host's
  // wall seconds for the submit and wait in `wall_seconds`.
  double run(double* wall_seconds = nullptr);
  double flops() const { return flops_; }  // per run
  double bytes() const { return bytes_; }  // per run, read + written

 private:
  PeakKernel(vk::Device& device, const char* name);
  vk::Device* device_;
  std::unique_ptr<vk::Buffer> source_, destination_;
  std::unique_ptr<vk::TimestampPool> timestamps_;
  std::unique_ptr<vk::Recording> recording_;
  double flops_ = 0, bytes_ = 0;
};

struct Rooflines {
  double flops_per_second = 0;  // fma_peak
  double bytes_per_second = 0;  // bandwidth_peak (the best of the copy sizes)
};

// Copy sizes bandwidth_peak runs at: one the size of the course model's
// largest tensors at batch 32 (a few MiB, in a CPU's L2 or L3), and one at
// 128 MiB, the largest storage buffer many devices allow
// (maxStorageBufferRange: lavapipe's and most GPUs' limit).
inline constexpr std::uint32_t kCopyMebibytes[] = {8, 128};
inline constexpr std::uint32_t kQuickCopyMebibytes = 1;

// Best of a few runs of each peak kernel (a roofline is what the device
// can do, so the best run, not the median). About a second on lavapipe.
Rooflines measure_rooflines(vk::Device& device, bool quick);

}  // namespace vknn::bench
