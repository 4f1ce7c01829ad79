// Running a single op on host data, on either backend: for programs that
// want one convolution or pooling rather than a model (the course's
// "exploring convolutions" lab), and for checking a device against the CPU.
//
//   vknn::Context context;
//   auto y = vknn::run_conv2d(g, image, kernel, bias, vknn::Activation::linear,
//                             vknn::OpTarget::on(context));
//
// Each call uploads its inputs, runs the op, waits and reads the result
// back: simple, not fast. Models keep everything on the device instead.
#pragma once

#include <span>
#include <vector>

#include "vknn/device.hpp"
#include "vknn/ops/geometry.hpp"

namespace vknn {

// Where an op runs: a Vulkan context, or the CPU reference (context null).
struct OpTarget {
  Context* context = nullptr;
  static OpTarget cpu() { return {}; }
  static OpTarget on(Context& c) { return {&c}; }
};

// NHWC input, (kh, kw, in, out) kernel, (out) bias; returns NHWC output.
std::vector<float> run_conv2d(const Conv2DGeometry& g, std::span<const float> x,
                              std::span<const float> kernel, std::span<const float> bias,
                              Activation activation, OpTarget target);

std::vector<float> run_maxpool2d(const Pool2DGeometry& g, std::span<const float> x,
                                 OpTarget target);

}  // namespace vknn
