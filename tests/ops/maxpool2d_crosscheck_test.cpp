// MaxPooling2D on Vulkan: argument errors. The cross-check against the CPU,
// forward and backward (with and without the fused relu mask, ties and
// all-negative windows), is in the op table (op_table_entries.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "ops/crosscheck.hpp"
#include "vknn/cpu/reference_ops.hpp"
#include "vknn/error.hpp"
#include "ops/vulkan/maxpool2d.hpp"

namespace {

using vknn::Padding;
using vknn::Pool2DGeometry;
using namespace vknn_test;

// ---- bad arguments ----------------------------------------------------------

class MaxPool2DArguments : public VulkanTest {};

TEST_F(MaxPool2DArguments, ABufferTooSmallIsRefusedNamingOpBufferAndBytes) {
  const Pool2DGeometry g{2, 4, 4, 3, 2, 2, 2, 2, Padding::valid};  // 96 in, 24 out
  vknn::vk::Buffer x(device(), 96 * 4, "x");
  vknn::vk::Buffer dy(device(), 23 * 4, "short dy");
  vknn::vk::Buffer dx(device(), 96 * 4, "dx");
  vknn::vk::Recording r(device(), "bad arguments", vknn::vk::RecordingUse::once);
  try {
    vknn::vk::ops::maxpool2d_backward(r, g, x, dy, dx);
    FAIL() << "expected vknn::Error";
  } catch (const vknn::Error& e) {
    const std::string message = e.what();
    for (const char* part : {"maxpool2d_backward", "'short dy'", "92 bytes", "96 bytes"}) {
      EXPECT_NE(message.find(part), std::string::npos) << message << " lacks " << part;
    }
  }
  EXPECT_THROW(vknn::vk::ops::maxpool2d_forward(r, g, x, dy), vknn::Error);  // y needs 24 floats
  EXPECT_EQ(r.dispatch_count(), 0u);
}

TEST_F(MaxPool2DArguments, AnInvalidGeometryIsRefused) {
  vknn::vk::Buffer b(device(), 1024, "b");
  vknn::vk::Recording r(device(), "bad geometry", vknn::vk::RecordingUse::once);
  // A 3x3 pool does not fit a 2x2 input without padding.
  EXPECT_THROW(vknn::vk::ops::maxpool2d_forward(
                   r, Pool2DGeometry{1, 2, 2, 1, 3, 3, 1, 1, Padding::valid}, b, b),
               vknn::Error);
  EXPECT_THROW(vknn::vk::ops::maxpool2d_forward(
                   r, Pool2DGeometry{1, 4, 4, 0, 2, 2, 2, 2, Padding::valid}, b, b),
               vknn::Error);
}

}  // namespace
