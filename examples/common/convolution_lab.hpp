// The course's "exploring convolutions" lab (Course 1, week 3, lab 2) as
// functions: a 3x3 filter passed over a grayscale picture, the result
// clipped to 0..255, then a 2x2 max pool.
//
// Units and edges follow the notebook's loop: pixels stay in 0..255 (no
// division by 255), the filter is applied only where all 8 neighbours exist
// (valid padding, so the output is 2 pixels smaller each way), each sum is
// multiplied by `weight`, and values below 0 become 0 and above 255 become
// 255. The pool keeps the largest of each 2x2 block; an odd last row or
// column is dropped (floor), as MaxPooling2D does.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "common/image_io.hpp"
#include "vknn/ops/run.hpp"

namespace vknn::examples {

// Row-major: taps[3*row + col] multiplies pixel (x - 1 + col, y - 1 + row).
using Filter3x3 = std::array<float, 9>;

// laplacian, horizontal, vertical (the notebook's three), by name.
std::optional<Filter3x3> builtin_filter(const std::string& name);
std::vector<std::string> builtin_filter_names();

// "a,b,c,d,e,f,g,h,i" (nine numbers, row by row); throws UsageError
// naming `flag` when the text is not that.
Filter3x3 parse_filter(const std::string& flag, const std::string& text);

// A stand-in for scipy's "ascent" (stairs, lines and circles), size x size,
// values 0..255 whole numbers: the notebook's picture is not ours to ship.
GrayImage synthetic_test_picture(int size = 512);

struct FilteredAndPooled {
  GrayImage filtered;  // (w-2) x (h-2), clipped to 0..255
  GrayImage pooled;    // floor((w-2)/2) x floor((h-2)/2)
};

// Runs the filter through vknn::run_conv2d and the pool through
// vknn::run_maxpool2d on `target`. The picture must be at least 4x4 (so
// that something is left to pool); throws std::runtime_error otherwise.
FilteredAndPooled filter_and_pool(const GrayImage& picture, const Filter3x3& filter, float weight,
                                  OpTarget target);

}  // namespace vknn::examples
