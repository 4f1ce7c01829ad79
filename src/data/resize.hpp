// Resizing 8-bit pictures as TensorFlow's tf.image.resize does (the
// resize_bilinear / resize_nearest_neighbor kernels with half-pixel centres
// and no antialiasing, what Keras's image_dataset_from_directory calls):
//   source coordinate of output pixel o = (o + 0.5) * in / out - 0.5
//   bilinear: lower = max(floor(s), 0), upper = min(ceil(s), in - 1),
//             weight = s - floor(s); rows interpolated first (top, bottom),
//             then between them, in float
//   nearest:  min(floor((o + 0.5) * in / out), in - 1)
// The float result is rounded to the nearest integer (TensorFlow keeps the
// float). The same size is a plain copy (both kernels are the identity then).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "vknn/data/image_folder.hpp"

namespace vknn::data::detail {

// in: in_height x in_width x channels; out: out_height x out_width x channels.
void resize_picture(std::span<const std::uint8_t> in, int in_height, int in_width, int channels,
                    std::span<std::uint8_t> out, int out_height, int out_width,
                    Interpolation interpolation);

}  // namespace vknn::data::detail
