#include "ops/vulkan/conv2d_relu_maxpool2d.hpp"

#include <algorithm>
#include <cstdint>
#include <string>

#include "vulkan/device.hpp"
#include "ops/vulkan/conv2d_relu_maxpool2d_shaders.hpp"
#include "ops/vulkan/device_profile.hpp"
#include "ops/vulkan/dispatch.hpp"
#include "ops/vulkan/sum_slices.hpp"
#include "vulkan/pipeline.hpp"

namespace vknn::vk::ops {
namespace {

using namespace detail;  // the dispatch vocabulary, dispatch.hpp

// How the forward splits its work: channel groups of 4 and pool windows
// per invocation, and whether the channel count is fixed at pipeline
// creation (the shader's CHANNELS: every invocation computes every channel
// and loads the taps once at its top). See the shader's comment for why
// loads are what counts on lavapipe.
struct ForwardBlocking {
  std::uint32_t channel_vecs;
  std::uint32_t windows;
  std::uint32_t fixed_channels;  // 0: the push block's
};

// The most channels one invocation of the CPU drivers' blocking computes
// (its taps are held for the whole invocation: 9 vec4s per 4 channels for
// a 3x3 kernel on one input channel), and with several input channels the
// most kernel floats it holds (the course's 3x3 x 128: 1152; RGB 3x3 into
// 16 channels is 432, into 32 864).
constexpr int kMaxChannelsAtOnce = 128;
constexpr std::int64_t kMaxTapsAtOnce = 9 * kMaxChannelsAtOnce;

ForwardBlocking forward_blocking(const Device& device, const ConvReluPoolGeometry& g) {
  // CPU drivers: all channels, 4 windows per invocation (course conv1 +
  // pool1 at batch 32: 2.7 ms against 3.0 for 2 windows, 3.3 for 1; with
  // 16 channels, 2 windows and the taps loaded per item: 6.5-7.6 ms; cats'
  // RGB conv1 + pool1: 1, 2, 4 or 8 windows all within the noise).
  if (DeviceProfile::of(device.info()).cpu_like && g.conv.out_c <= kMaxChannelsAtOnce &&
      (g.conv.in_c == 1 || g.conv.kernel_size() <= kMaxTapsAtOnce)) {
    return {std::uint32_t(g.channel_groups()), 4, std::uint32_t(g.conv.out_c)};
  }
  // GPUs (never timed on one): with one input channel 16 channels share each
  // loaded input patch (16 floats for 3x3 / 2x2) and their 9 kernel vec4s
  // serve 2 windows. With more input channels the taps of 4 channels grow
  // by the input channel count (27 vec4s for RGB 3x3): fewer channels per
  // invocation, so that the taps held stay near the one-channel 36 vec4s.
  if (g.conv.in_c == 1) return {4, 2, 0};
  const std::int64_t vecs_per_group = std::int64_t(g.conv.kernel_h) * g.conv.kernel_w * g.conv.in_c;
  return {std::uint32_t(std::clamp<std::int64_t>(36 / vecs_per_group, 1, 4)), 2, 0};
}

std::uint32_t oc_vec4(const ConvReluPoolGeometry& g) { return g.conv.out_c % 4 == 0 ? 1 : 0; }

// The pool window, OC_VEC4, and the conv's kernel, stride and input
// channels: constants 3-9 and 14 of both shaders that compute the conv (the
// forward, the parameter gradients).
SpecConstants conv_and_pool_constants(const ConvReluPoolGeometry& g) {
  return {{ConvReluPoolSpec::pool_h, std::uint32_t(g.pool.pool_h)},
          {ConvReluPoolSpec::pool_w, std::uint32_t(g.pool.pool_w)},
          {ConvReluPoolSpec::oc_vec4, oc_vec4(g)},
          {ConvReluPoolSpec::kernel_h, std::uint32_t(g.conv.kernel_h)},
          {ConvReluPoolSpec::kernel_w, std::uint32_t(g.conv.kernel_w)},
          {ConvReluPoolSpec::conv_stride_h, std::uint32_t(g.conv.stride_h)},
          {ConvReluPoolSpec::conv_stride_w, std::uint32_t(g.conv.stride_w)},
          {ConvReluPoolSpec::in_c, std::uint32_t(g.conv.in_c)}};
}

// Whether some conv outputs lie in no pool window (floor rounding), so that
// the backward leaves them unwritten and dx must be cleared first.
bool map_has_gaps(const ConvReluPoolGeometry& g) {
  return g.pool.out_h() * g.pool.pool_h != g.pool.in_h ||
         g.pool.out_w() * g.pool.pool_w != g.pool.in_w;
}

void require_winners(const char* op, const Buffer& winners, const ConvReluPoolGeometry& g) {
  require_bytes(op, "winners", winners, std::uint64_t(g.winners_size()),
                std::to_string(g.winners_size()) + " winner bytes for " + g.describe());
}

}  // namespace

void conv2d_relu_maxpool2d_forward(Recording& recording, const ConvReluPoolGeometry& g,
                                   const Buffer& x, const Buffer& kernel, const Buffer& bias,
                                   const Buffer& y, const Buffer* winners) {
  const char* op = "conv2d_relu_maxpool2d_forward";
  g.validate();
  const std::string shapes = g.describe();
  require_floats(op, "x", x, g.conv.input_size(), shapes);
  require_floats(op, "kernel", kernel, g.conv.kernel_size(), shapes);
  require_floats(op, "bias", bias, g.conv.out_c, shapes);
  require_floats(op, "y", y, g.pool.output_size(), shapes);
  if (winners) require_winners(op, *winners, g);
  // The map is never stored, but its indices are computed in 32 bits.
  if (g.conv.output_size() > kMaxElements) {
    throw Error(std::string(op) + ": the conv map of " + shapes + " has " +
                std::to_string(g.conv.output_size()) +
                " elements; the shaders index with 32-bit integers; split the batch");
  }
  const ForwardBlocking blocking = forward_blocking(recording.device(), g);
  const std::uint32_t blocks =
      (std::uint32_t(g.channel_groups()) + blocking.channel_vecs - 1) / blocking.channel_vecs;
  const std::uint64_t windows = std::uint64_t(g.pool.batch) * g.pool.out_h() * g.pool.out_w();
  const std::uint64_t items = (windows + blocking.windows - 1) / blocking.windows * blocks;
  SpecConstants constants = conv_and_pool_constants(g);
  constants.set({{ConvReluPoolSpec::channel_vecs, blocking.channel_vecs},
                 {ConvReluPoolSpec::windows, blocking.windows},
                 {ConvReluPoolSpec::write_winners, winners ? 1u : 0u},
                 {ConvReluPoolSpec::channels, blocking.fixed_channels}});
  const PipelineDesc desc =
      read_inputs(pipeline_1d("conv2d_relu_maxpool2d_forward", sizeof(ConvReluPoolPush),
                              elementwise_width(recording.device()), std::move(constants)),
                  recording.device());
  // Prediction: the winners binding must still hold a buffer; y stands in,
  // and the shader specialised without WRITE_WINNERS never touches it.
  record_grid_stride(recording, desc, GridStrideOp::pooling, items,
                     {&x, &kernel, &bias, &y, winners ? winners : &y}, conv_relu_pool_push_of(g));
}

void maxpool2d_backward_from_winners(Recording& recording, const ConvReluPoolGeometry& g,
                                     const Buffer& dy, const Buffer& winners, const Buffer& dx) {
  const char* op = "maxpool2d_backward_from_winners";
  g.validate();
  const std::string shapes = g.describe();
  require_floats(op, "dy", dy, g.pool.output_size(), shapes);
  require_winners(op, winners, g);
  require_floats(op, "dx", dx, g.pool.input_size(), shapes);
  if (map_has_gaps(g)) {
    recording.fill(dx, 0);
    recording.barrier();
  }
  SpecConstants constants{{ConvReluPoolSpec::pool_h, std::uint32_t(g.pool.pool_h)},
                          {ConvReluPoolSpec::pool_w, std::uint32_t(g.pool.pool_w)},
                          {ConvReluPoolSpec::oc_vec4, oc_vec4(g)}};
  const PipelineDesc desc =
      read_inputs(pipeline_1d("maxpool2d_backward_from_winners", sizeof(ConvReluPoolPush),
                              elementwise_width(recording.device()), std::move(constants)),
                  recording.device());
  const std::uint64_t items =
      std::uint64_t(g.pool.batch) * g.pool.out_h() * g.pool.out_w() * g.channel_groups();
  record_grid_stride(recording, desc, GridStrideOp::pooling, items, {&dy, &winners, &dx},
                     conv_relu_pool_push_of(g));
}

void conv2d_relu_maxpool2d_backward_params(Recording& recording, const ConvReluPoolGeometry& g,
                                           const Buffer& x, const Buffer& dy,
                                           const Buffer& winners, const Buffer& dkernel,
                                           const Buffer& dbias) {
  const char* op = "conv2d_relu_maxpool2d_backward_params";
  g.validate();
  const std::string shapes = g.describe();
  require_floats(op, "x", x, g.conv.input_size(), shapes);
  require_floats(op, "dy", dy, g.pool.output_size(), shapes);
  require_winners(op, winners, g);
  require_floats(op, "dkernel", dkernel, g.conv.kernel_size(), shapes);
  require_floats(op, "dbias", dbias, g.conv.out_c, shapes);
  Device& device = recording.device();
  // Slices of about kWindowsPerSlice windows, at most kMaxSlices and at
  // most kMaxPartials floats of partial sums: enough invocations to fill
  // the device while the partial sums stay small (course conv1 at batch 32:
  // 338 slices, 0.9 MB where the map it replaces is 5.5 MB).
  constexpr std::int64_t kWindowsPerSlice = 16, kMaxSlices = 1024, kMaxPartials = 4 << 20;
  const std::int64_t taps = std::int64_t(g.conv.kernel_h) * g.conv.kernel_w * g.conv.in_c;
  const std::int64_t slice_size = (taps + 1) * g.conv.out_c;  // the kernel's taps, then the bias
  const std::int64_t windows = std::int64_t(g.pool.batch) * g.pool.out_h() * g.pool.out_w();
  const std::int64_t by_windows = (windows + kWindowsPerSlice - 1) / kWindowsPerSlice;
  const std::uint32_t slices = std::uint32_t(
      std::max<std::int64_t>(1, std::min({kMaxSlices, by_windows, kMaxPartials / slice_size})));
  const Buffer& partials = recording.scratch(std::uint64_t(slices * slice_size) * sizeof(float),
                                             std::string(op) + " partials");

  // The forward's blocking: all channels per invocation on CPU drivers.
  const ForwardBlocking blocking = forward_blocking(device, g);
  const std::uint32_t blocks =
      (std::uint32_t(g.channel_groups()) + blocking.channel_vecs - 1) / blocking.channel_vecs;
  using Spec = ConvReluPoolParamsSpec;
  SpecConstants constants = conv_and_pool_constants(g);
  constants.set({{Spec::channel_vecs, blocking.channel_vecs},
                 {Spec::slices, slices},
                 {Spec::channels, blocking.fixed_channels}});
  const std::uint32_t width = elementwise_width(device);
  const PipelineDesc partial_desc =
      read_inputs(pipeline_1d(op, sizeof(ConvReluPoolPush), width, std::move(constants)), device);
  record_grid_stride(recording, partial_desc, GridStrideOp::pooling, std::uint64_t(slices) * blocks,
                     {&x, &dy, &winners, &partials}, conv_relu_pool_push_of(g));

  // The kernel's sums and the bias's: independent, one barrier after both.
  const std::uint32_t kernel_sums = std::uint32_t(g.conv.kernel_size());
  record_sum_slices(recording, partials, dkernel, kernel_sums, slices, std::uint32_t(slice_size));
  record_sum_slices(recording, partials, dbias, std::uint32_t(g.conv.out_c), slices,
                    std::uint32_t(slice_size), kernel_sums);
  recording.barrier();
}

}  // namespace vknn::vk::ops
