// Cross-check of the batch gather (src/ops/vulkan/gather.hpp) and of the
// step state it reads (src/ops/vulkan/step_state.hpp), as a replayed
// training step uses them: one recording (gather, then advance_step)
// replayed walks through consecutive batches of the epoch's permutation,
// and the partial last batch has its own recording.
//
// Tolerance: 3e-7 normalised (x is in [0, 1], so 2.5 ULP of 1.0, Vulkan's
// bound for a float division). The reference divides by 255 in float,
// which is correctly rounded; a device whose division is too (lavapipe)
// gives the same bits, which the test also reports. Labels are exact.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "ops/crosscheck.hpp"
#include "vknn/cpu/reference_ops.hpp"
#include "vknn/error.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "ops/vulkan/gather.hpp"
#include "ops/vulkan/step_state.hpp"

namespace {

using vknn::vk::Buffer;
using vknn::vk::Recording;
namespace ops = vknn::vk::ops;
using namespace vknn_test;

constexpr double kGatherTolerance = 3e-7;
constexpr std::uint32_t kInvalidLabel = 0xffffffffu;

class GatherCrosscheck : public VulkanTest {};

struct Dataset {
  std::uint32_t samples;
  std::uint32_t sample_size;
  std::vector<std::uint8_t> images;
  std::vector<std::uint8_t> labels;
  std::vector<std::uint32_t> order;  // a shuffled permutation
};

Dataset make_dataset(std::uint32_t samples, std::uint32_t sample_size, std::uint32_t seed) {
  Dataset d{samples, sample_size, {}, {}, {}};
  std::mt19937 rng(seed);
  d.images.resize(std::size_t(samples) * sample_size);
  for (auto& b : d.images) b = std::uint8_t(rng());
  // Every byte value somewhere, 0 and 255 included.
  for (std::size_t i = 0; i < std::min<std::size_t>(d.images.size(), 256); ++i) {
    d.images[i] = std::uint8_t(i);
  }
  d.labels.resize(samples);
  for (auto& l : d.labels) l = std::uint8_t(rng() % 10);
  d.order.resize(samples);
  std::iota(d.order.begin(), d.order.end(), 0u);
  std::shuffle(d.order.begin(), d.order.end(), rng);
  return d;
}

struct Gathered {
  std::vector<float> x;
  std::vector<std::uint32_t> labels;
};

Gathered reference_gather(const Dataset& d, std::int64_t first, std::int64_t count) {
  Gathered g{std::vector<float>(std::size_t(count) * d.sample_size),
             std::vector<std::uint32_t>(count)};
  vknn::cpu::gather_batch<float>(d.sample_size, d.images.data(), d.labels.data(), d.order.data(),
                                 first, count, g.x.data(), g.labels.data());
  return g;
}

// The epoch of `d` in batches of `batch_size`: the full-batch recording
// replayed for every full batch, then the partial batch's own recording.
void walk_epoch(const Dataset& d, std::uint32_t batch_size) {
  const std::uint32_t full_batches = d.samples / batch_size;
  const std::uint32_t remainder = d.samples % batch_size;
  const std::uint32_t batches = full_batches + (remainder ? 1 : 0);

  Buffer images = ops::upload_packed_bytes(device(), d.images, "images");
  Buffer labels = ops::upload_packed_bytes(device(), d.labels, "labels");
  auto order = to_device(d.order, "order");
  ops::StepState initial;
  initial.batches_per_epoch = batches;
  Buffer state = ops::make_step_state_buffer(device(), initial);
  auto x = device_output<float>(std::size_t(batch_size) * d.sample_size, "x");
  auto labels_out = device_output<std::uint32_t>(batch_size, "labels out");

  auto record = [&](const std::string& name, std::uint32_t count) {
    auto r = std::make_unique<Recording>(device(), name);
    ops::gather_batch(*r, d.sample_size, batch_size, count, images, labels, *order, state, *x,
                      *labels_out);
    ops::advance_step(*r, state);
    r->host_read_barrier();
    r->finish();
    return r;
  };
  auto full = record("full batch step", batch_size);
  std::unique_ptr<Recording> partial;
  if (remainder) partial = record("partial batch step", remainder);

  bool bit_exact = true;
  for (std::uint32_t b = 0; b < batches; ++b) {
    const bool last_partial = remainder && b == full_batches;
    const std::uint32_t count = last_partial ? remainder : batch_size;
    vknn::vk::submit(device(), last_partial ? *partial : *full).wait();
    const Gathered expected = reference_gather(d, std::int64_t(b) * batch_size, count);
    const auto gpu_x = from_device<float>(*x, expected.x.size());
    const std::string what = "batch " + std::to_string(b) + " of " + std::to_string(batches);
    expect_close(gpu_x, expected.x, kGatherTolerance, "x, " + what);
    bit_exact = bit_exact && gpu_x == expected.x;
    EXPECT_EQ(from_device<std::uint32_t>(*labels_out, count), expected.labels) << what;
  }
  if (!bit_exact) std::printf("[ note     ] gather: x within tolerance but not bit-exact\n");

  // The epoch wrapped: the next step starts the next epoch at batch 0.
  const ops::StepState after = ops::read_step_state(state);
  EXPECT_EQ(after.batch_index, 0u);
  EXPECT_EQ(after.epoch, 1u);
  EXPECT_EQ(after.iterations, batches);
}

TEST_F(GatherCrosscheck, ReplaysWalkThroughTheEpoch) {
  struct Case {
    std::uint32_t samples, sample_size, batch_size;
  };
  // Sample sizes not a multiple of 4 put samples across word boundaries
  // (the scalar path), multiples of 4 take the vec4 path; batch sizes 1, 3
  // and 32, with and without a partial last batch; the last case has more
  // work than one pass of the grid on lavapipe (64 groups of 64).
  for (const Case& c : {Case{10, 784, 3}, Case{7, 5, 1}, Case{100, 13, 32}, Case{64, 1, 32},
                        Case{50, 6, 7}, Case{33, 3, 32}, Case{300, 784, 32}}) {
    SCOPED_TRACE("samples " + std::to_string(c.samples) + ", sample_size " +
                 std::to_string(c.sample_size) + ", batch_size " + std::to_string(c.batch_size));
    walk_epoch(make_dataset(c.samples, c.sample_size, c.samples * 31 + c.sample_size),
               c.batch_size);
  }
}

// A new permutation for the next epoch, uploaded between submissions, is
// what the same recording gathers next.
TEST_F(GatherCrosscheck, NextEpochUsesTheNewOrder) {
  Dataset d = make_dataset(12, 9, 77);
  const std::uint32_t batch_size = 4;
  Buffer images = ops::upload_packed_bytes(device(), d.images, "images");
  Buffer labels = ops::upload_packed_bytes(device(), d.labels, "labels");
  auto order = to_device(d.order, "order");
  ops::StepState initial;
  initial.batches_per_epoch = 3;
  Buffer state = ops::make_step_state_buffer(device(), initial);
  auto x = device_output<float>(batch_size * 9, "x");
  auto labels_out = device_output<std::uint32_t>(batch_size, "labels out");
  Recording step(device(), "gather step");
  ops::gather_batch(step, 9, batch_size, batch_size, images, labels, *order, state, *x,
                    *labels_out);
  ops::advance_step(step, state);
  step.host_read_barrier();
  step.finish();

  for (int epoch = 0; epoch < 2; ++epoch) {
    if (epoch == 1) {
      std::mt19937 rng(5);
      std::shuffle(d.order.begin(), d.order.end(), rng);
      order->upload(d.order.data(), d.order.size() * 4);
    }
    for (std::uint32_t b = 0; b < 3; ++b) {
      vknn::vk::submit(device(), step).wait();
      const Gathered expected = reference_gather(d, b * batch_size, batch_size);
      expect_close(from_device<float>(*x, expected.x.size()), expected.x, kGatherTolerance,
                   "epoch " + std::to_string(epoch) + " batch " + std::to_string(b));
      EXPECT_EQ(from_device<std::uint32_t>(*labels_out, batch_size), expected.labels);
    }
  }
  EXPECT_EQ(ops::read_step_state(state).epoch, 2u);
}

// Indexes the buffers cannot serve read nothing: an order entry past the
// dataset, and a batch_index past the end of order.
TEST_F(GatherCrosscheck, OutOfRangeIndexesStayInBounds) {
  Dataset d = make_dataset(6, 7, 9);
  d.order = {2, 1000, 5, 0xffffffffu, 0, 3};  // two entries point past the 6 samples
  Buffer images = ops::upload_packed_bytes(device(), d.images, "images");
  Buffer labels = ops::upload_packed_bytes(device(), d.labels, "labels");
  auto order = to_device(d.order, "order");
  Buffer state = ops::make_step_state_buffer(device(), {});
  auto x = device_output<float>(4 * 7, "x");
  auto labels_out = device_output<std::uint32_t>(4, "labels out");
  Recording step(device(), "gather step");
  ops::gather_batch(step, 7, 4, 4, images, labels, *order, state, *x, *labels_out);
  ops::advance_step(step, state);
  step.host_read_barrier();
  step.finish();

  // Batch 0: order entries 2, 1000, 5, 0xffffffff.
  vknn::vk::submit(device(), step).wait();
  auto gpu_x = from_device<float>(*x, 28);
  auto gpu_labels = from_device<std::uint32_t>(*labels_out, 4);
  for (int i : {0, 2}) {
    const std::uint32_t s = d.order[i];
    EXPECT_EQ(gpu_labels[i], d.labels[s]);
    for (int j = 0; j < 7; ++j) EXPECT_FLOAT_EQ(gpu_x[i * 7 + j], d.images[s * 7 + j] / 255.0f);
  }
  for (int i : {1, 3}) {
    EXPECT_EQ(gpu_labels[i], kInvalidLabel) << "row " << i;
    for (int j = 0; j < 7; ++j) EXPECT_EQ(gpu_x[i * 7 + j], 0.0f) << "row " << i;
  }
  // Batch 1 holds positions 4, 5 and then two past the end of order.
  vknn::vk::submit(device(), step).wait();
  gpu_labels = from_device<std::uint32_t>(*labels_out, 4);
  EXPECT_EQ(gpu_labels[0], d.labels[0]);
  EXPECT_EQ(gpu_labels[1], d.labels[3]);
  EXPECT_EQ(gpu_labels[2], kInvalidLabel);
  EXPECT_EQ(gpu_labels[3], kInvalidLabel);
  // A runaway batch_index (never reset by the host) reads nothing at all.
  ops::StepState runaway;
  runaway.batch_index = 0x40000001u;  // * 4 wraps around to 4 in 32 bits
  ops::write_step_state(state, runaway);
  vknn::vk::submit(device(), step).wait();
  gpu_labels = from_device<std::uint32_t>(*labels_out, 4);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(gpu_labels[i], kInvalidLabel) << "row " << i;
}

TEST_F(GatherCrosscheck, PackedBytesArePaddedLittleEndianWords) {
  EXPECT_EQ(ops::packed_bytes_size(0), 4u);
  EXPECT_EQ(ops::packed_bytes_size(5), 8u);
  EXPECT_EQ(ops::packed_bytes_size(8), 8u);
  const std::vector<std::uint8_t> bytes{1, 2, 3, 4, 0xff};
  Buffer packed = ops::upload_packed_bytes(device(), bytes, "packed");
  ASSERT_EQ(packed.size(), 8u);
  const auto words = from_device<std::uint32_t>(packed, 2);
  EXPECT_EQ(words[0], 0x04030201u);
  EXPECT_EQ(words[1], 0x000000ffu);
}

TEST_F(GatherCrosscheck, AdvanceStepWithoutWrapCountsOn) {
  ops::StepState initial;
  initial.batch_index = 5;
  initial.iterations = 41;
  initial.learning_rate = 0.25f;
  Buffer state = ops::make_step_state_buffer(device(), initial);
  Recording step(device(), "advance");
  ops::advance_step(step, state);
  step.host_read_barrier();
  step.finish();
  for (int i = 0; i < 3; ++i) vknn::vk::submit(device(), step).wait();
  const ops::StepState after = ops::read_step_state(state);
  EXPECT_EQ(after.batch_index, 8u);
  EXPECT_EQ(after.iterations, 44u);
  EXPECT_EQ(after.learning_rate, 0.25f);
  EXPECT_EQ(after.epoch, 0u);
}

using vknn_test::expect_error_mentions;

TEST_F(GatherCrosscheck, BadArgumentsNameTheOpAndBuffer) {
  Buffer images(device(), 800, "images");
  Buffer labels(device(), 4, "labels");
  Buffer order(device(), 40, "order");
  Buffer state = ops::make_step_state_buffer(device(), {});
  Buffer x(device(), 100, "small x");
  Buffer labels_out(device(), 16, "labels out");
  Recording r(device(), "bad arguments", vknn::vk::RecordingUse::once);
  expect_error_mentions(
      [&] { ops::gather_batch(r, 784, 4, 4, images, labels, order, state, x, labels_out); },
      {"gather_batch", "small x", "100", "12544"});
  expect_error_mentions(
      [&] { ops::gather_batch(r, 784, 4, 5, images, labels, order, state, x, labels_out); },
      {"gather_batch", "count"});
  expect_error_mentions(
      [&] { ops::gather_batch(r, 0, 4, 4, images, labels, order, state, x, labels_out); },
      {"gather_batch", "sample_size"});
  expect_error_mentions(
      [&] { ops::gather_batch(r, 784, 4, 1, images, labels, order, labels, x, labels_out); },
      {"gather_batch", "step state", "'labels'", "4", "32"});
}

// The float gather's guard: chunks of 2 samples, the last one partial (5
// samples in 3 chunks); order entries past the 5 samples, including ones
// that fall in the last chunk's unused room, read nothing.
TEST_F(GatherCrosscheck, FloatGatherReadsWholeChunksAndGuardsTheEnd) {
  const std::uint32_t sample_size = 3;
  std::vector<float> values(5 * sample_size);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = -2.5f + 0.37f * float(i);
  std::vector<std::unique_ptr<Buffer>> chunks;
  for (std::uint32_t first = 0; first < 5; first += 2) {
    const std::uint32_t n = std::min(2u, 5u - first);
    chunks.push_back(to_device(std::vector<float>(values.begin() + first * sample_size,
                                                  values.begin() + (first + n) * sample_size),
                               "chunk " + std::to_string(first / 2)));
  }
  const std::vector<const Buffer*> chunk_list{chunks[0].get(), chunks[1].get(), chunks[2].get()};
  const std::vector<std::uint8_t> label_bytes{0, 1, 2, 3, 4};
  Buffer labels = ops::upload_packed_bytes(device(), label_bytes, "labels");
  auto order = to_device(std::vector<std::uint32_t>{4, 5, 1, 2, 0xffffffffu, 3}, "order");
  Buffer state = ops::make_step_state_buffer(device(), {});
  auto x = device_output<float>(6 * sample_size, "x");
  auto labels_out = device_output<std::uint32_t>(6, "labels out");
  Recording step(device(), "float gather step", vknn::vk::RecordingUse::once);
  ops::gather_float_batch(step, sample_size, 6, 6, chunk_list, 2, labels, *order, state, *x,
                          *labels_out);
  step.host_read_barrier();
  step.finish();
  vknn::vk::submit(device(), step).wait();
  const auto gpu_x = from_device<float>(*x, 6 * sample_size);
  const auto gpu_labels = from_device<std::uint32_t>(*labels_out, 6);
  const std::uint32_t order_values[] = {4, 5, 1, 2, 0xffffffffu, 3};
  for (std::uint32_t i = 0; i < 6; ++i) {
    const std::uint32_t s = order_values[i];
    if (s < 5) {
      EXPECT_EQ(gpu_labels[i], s) << "row " << i;
      for (std::uint32_t j = 0; j < sample_size; ++j) {
        EXPECT_EQ(gpu_x[i * sample_size + j], values[s * sample_size + j]) << "row " << i;
      }
    } else {
      EXPECT_EQ(gpu_labels[i], kInvalidLabel) << "row " << i;
      for (std::uint32_t j = 0; j < sample_size; ++j) EXPECT_EQ(gpu_x[i * sample_size + j], 0.0f);
    }
  }
}

TEST_F(GatherCrosscheck, FloatGatherBadArgumentsNameTheOpAndChunk) {
  Buffer full(device(), 2 * 3 * 4, "full chunk");
  Buffer short_chunk(device(), 3 * 4, "short chunk");
  Buffer labels(device(), 4, "labels");
  Buffer order(device(), 16, "order");
  Buffer state = ops::make_step_state_buffer(device(), {});
  Buffer x(device(), 4 * 3 * 4, "x");
  Buffer labels_out(device(), 16, "labels out");
  Recording r(device(), "bad arguments", vknn::vk::RecordingUse::once);
  expect_error_mentions(
      [&] {
        ops::gather_float_batch(r, 3, 4, 4, {&short_chunk, &full}, 2, labels, order, state, x,
                                labels_out);
      },
      {"gather_float_batch", "chunk 0", "short chunk", "12 bytes", "24 bytes",
       "every chunk but the last is full"});
  const std::vector<const Buffer*> nine(9, &full);
  expect_error_mentions(
      [&] { ops::gather_float_batch(r, 3, 4, 4, nine, 2, labels, order, state, x, labels_out); },
      {"gather_float_batch", "1 to 8 chunk buffers", "9 chunks"});
  expect_error_mentions(
      [&] { ops::gather_float_batch(r, 3, 4, 4, {}, 2, labels, order, state, x, labels_out); },
      {"gather_float_batch", "0 chunks"});
  expect_error_mentions(
      [&] {
        ops::gather_float_batch(r, 3, 4, 4, {&full}, 0, labels, order, state, x, labels_out);
      },
      {"gather_float_batch", "samples_per_chunk must be positive"});
  // A chunk may hold at most the device's buffer range: one sample must fit.
  EXPECT_GT(ops::float_chunk_capacity(device(), 784), 40000u);  // 128 MiB / 3136 bytes on lavapipe
  expect_error_mentions([&] { ops::float_chunk_capacity(device(), 0xffffffffu); },
                        {"float dataset", "maxStorageBufferRange"});
}

}  // namespace
