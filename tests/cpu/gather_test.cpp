// Batch gather reference: normalisation, the order buffer, the offset.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "test_util.hpp"
#include "vknn/cpu/reference_ops.hpp"

namespace vknn {
namespace {

using test::error_message;
using test::mentions;

// Three samples of two pixels; the epoch order is 2, 0, 1 and the batch
// starts at position 1 of it, so it holds samples 0 and 1.
TEST(GatherBatch, FollowsOrderFromFirstAndDividesBy255) {
  const std::vector<std::uint8_t> images{0, 255,  //
                                         51, 102,  //
                                         204, 1};
  const std::vector<std::uint8_t> labels{7, 8, 9};
  const std::vector<std::uint32_t> order{2, 0, 1};
  std::vector<double> x(4);
  std::vector<std::uint32_t> batch_labels(2);
  cpu::gather_batch<double>(2, images.data(), labels.data(), order.data(), 1, 2, x.data(),
                            batch_labels.data());
  EXPECT_EQ(x, (std::vector<double>{0.0, 1.0, 51.0 / 255.0, 102.0 / 255.0}));
  EXPECT_EQ(batch_labels, (std::vector<std::uint32_t>{7, 8}));

  std::vector<float> xf(6);
  std::vector<std::uint32_t> all_labels(3);
  cpu::gather_batch<float>(2, images.data(), labels.data(), order.data(), 0, 3, xf.data(),
                           all_labels.data());
  EXPECT_EQ(xf, (std::vector<float>{0.8f, 1.0f / 255.0f, 0.0f, 1.0f, 0.2f, 0.4f}));
  EXPECT_EQ(all_labels, (std::vector<std::uint32_t>{9, 7, 8}));
}

TEST(GatherBatch, BadArguments) {
  const std::vector<std::uint8_t> images(4), labels(2);
  const std::vector<std::uint32_t> order{0, 1};
  std::vector<float> x(4);
  std::vector<std::uint32_t> out(2);
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::gather_batch<float>(2, images.data(), labels.data(), order.data(),
                                                  -1, 2, x.data(), out.data());
                       }),
                       {"gather_batch", "first", ">= 0", "-1"}));
  EXPECT_TRUE(mentions(error_message([&] {
                         cpu::gather_batch<float>(2, images.data(), labels.data(), nullptr, 0, 2,
                                                  x.data(), out.data());
                       }),
                       {"gather_batch", "order is null", "2 sample indexes"}));
  EXPECT_NO_THROW(cpu::gather_batch<float>(2, nullptr, nullptr, nullptr, 0, 0, nullptr, nullptr));
}

}  // namespace
}  // namespace vknn
