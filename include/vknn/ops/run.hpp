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

#include "vknn/data/augmentation.hpp"
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

// The training step's augmented gather (op gather_augmented_batch) on host
// data: the dataset's pictures `samples[0]`, `samples[1]`, ... (indexes into
// a dataset of height x width x channels pictures given as uint8 `pixels`
// or as float `values`, the other empty), each transformed as the training
// step at optimizer step `step` transforms it, converted as the step
// converts it (/ 255 for pixels). Returns samples.size() pictures, NHWC.
std::vector<float> run_augmented_gather(const Augmentation& augmentation, int height, int width,
                                        int channels, std::span<const std::uint8_t> pixels,
                                        std::span<const float> values,
                                        std::span<const std::uint32_t> samples,
                                        std::uint32_t step, OpTarget target);

}  // namespace vknn
