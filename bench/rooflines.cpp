#include "rooflines.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

#include "ops/vulkan/fma_peak_shader.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::bench {

PeakKernel::PeakKernel(vk::Device& device, const char* name) : device_(&device) {
  recording_ = std::make_unique<vk::Recording>(device, name);
  if (device.info().timestamps_supported) {
    timestamps_ = std::make_unique<vk::TimestampPool>(device, 2);
    recording_->reset_timestamps(*timestamps_);
    recording_->timestamp(*timestamps_, 0);
  }
}

PeakKernel PeakKernel::fma(vk::Device& device, bool quick) {
  // 16 chains of vec4 per invocation keep the FMA units busy rather than
  // waiting on latency; 1024 groups of 64 give every core or compute unit
  // work on any device vknn meets.
  constexpr std::uint32_t kWorkgroup = 64, kChains = 16;
  const std::uint32_t groups = quick ? 16 : 1024, iterations = quick ? 64 : 4096;
  PeakKernel k(device, "fma peak");
  k.destination_ = std::make_unique<vk::Buffer>(device, std::uint64_t(groups) * kWorkgroup * 4,
                                                "fma peak output");
  vk::PipelineDesc desc;
  desc.shader = "fma_peak";
  desc.push_constant_bytes = sizeof(std::uint32_t);
  desc.workgroup = {kWorkgroup, 1, 1};
  desc.constants = {kChains};
  k.recording_->dispatch(device.pipeline(desc), {k.destination_.get()}, iterations, {groups, 1, 1});
  if (k.timestamps_) k.recording_->timestamp(*k.timestamps_, 1);
  k.recording_->finish();
  k.flops_ = double(groups) * kWorkgroup * iterations * kChains * 4 * 2;
  k.bytes_ = double(groups) * kWorkgroup * 4;
  return k;
}

PeakKernel PeakKernel::copy(vk::Device& device, std::uint32_t mebibytes) {
  constexpr std::uint32_t kWorkgroup = 64;
  const std::uint64_t bytes = std::uint64_t(mebibytes) << 20;
  const std::uint32_t vec4s = std::uint32_t(bytes / 16);
  // Enough groups to fill a large GPU; the loop strides over the rest.
  const std::uint32_t groups = std::min<std::uint32_t>(4096, (vec4s + kWorkgroup - 1) / kWorkgroup);
  PeakKernel k(device, "bandwidth peak");
  k.source_ = std::make_unique<vk::Buffer>(device, bytes, "bandwidth peak source");
  k.destination_ = std::make_unique<vk::Buffer>(device, bytes, "bandwidth peak destination");
  // Touch both once so the first timed run does not pay for page faults.
  k.source_->fill_zero();
  k.destination_->fill_zero();
  vk::PipelineDesc desc;
  desc.shader = "bandwidth_peak";
  desc.push_constant_bytes = sizeof(vk::ops::BandwidthPeakPush);
  desc.workgroup = {kWorkgroup, 1, 1};
  k.recording_->dispatch(device.pipeline(desc), {k.source_.get(), k.destination_.get()},
                         vk::ops::BandwidthPeakPush{vec4s}, {groups, 1, 1});
  if (k.timestamps_) k.recording_->timestamp(*k.timestamps_, 1);
  k.recording_->finish();
  k.bytes_ = 2.0 * double(bytes);
  return k;
}

double PeakKernel::run(double* wall_seconds) {
  const auto start = std::chrono::steady_clock::now();
  vk::submit(*device_, *recording_).wait();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (wall_seconds) *wall_seconds = wall;
  return timestamps_ ? timestamps_->elapsed_ns(0, 1) * 1e-9 : wall;
}

namespace {

double best_seconds(PeakKernel& kernel, int runs) {
  kernel.run();  // warm-up: pipeline compilation, first touch
  double best = 1e30;
  for (int i = 0; i < runs; ++i) best = std::min(best, kernel.run());
  return best;
}

}  // namespace

Rooflines measure_rooflines(vk::Device& device, bool quick) {
  Rooflines r;
  PeakKernel fma = PeakKernel::fma(device, quick);
  r.flops_per_second = fma.flops() / best_seconds(fma, quick ? 2 : 5);
  std::vector<std::uint32_t> sizes(std::begin(kCopyMebibytes), std::end(kCopyMebibytes));
  if (quick) sizes = {kQuickCopyMebibytes};
  for (std::uint32_t mib : sizes) {
    PeakKernel copy = PeakKernel::copy(device, mib);
    r.bytes_per_second = std::max(r.bytes_per_second, copy.bytes() / best_seconds(copy, quick ? 2 : 5));
  }
  return r;
}

}  // namespace vknn::bench
