// The gradient-check table of the pooling ops (max and average), shared so
// both are checked on the same windows: overlapping and disjoint, 'valid'
// and 'same', square and not, 1 and 3 channels, batch 1 and 3.
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "vknn/ops/geometry.hpp"

namespace vknn::test {

struct PoolCase {
  int batch, h, w, channels, pool_h, pool_w, stride_h, stride_w;
  Padding padding;

  Pool2DGeometry geometry() const {
    return {batch, h, w, channels, pool_h, pool_w, stride_h, stride_w, padding};
  }
};

inline void PrintTo(const PoolCase& c, std::ostream* os) { *os << c.geometry().describe(); }

inline std::string pool_case_name(const ::testing::TestParamInfo<PoolCase>& info) {
  const PoolCase& c = info.param;
  return "b" + std::to_string(c.batch) + "_" + std::to_string(c.h) + "x" + std::to_string(c.w) +
         "x" + std::to_string(c.channels) + "_p" + std::to_string(c.pool_h) + "x" +
         std::to_string(c.pool_w) + "_s" + std::to_string(c.stride_h) + "x" +
         std::to_string(c.stride_w) + "_" + to_string(c.padding);
}

inline std::vector<PoolCase> pool_gradient_cases() {
  return {
      //       b  h  w  c ph pw sh sw
      PoolCase{1, 4, 4, 1, 2, 2, 2, 2, Padding::valid},
      PoolCase{3, 5, 5, 3, 2, 2, 2, 2, Padding::valid},
      PoolCase{1, 7, 7, 1, 2, 2, 2, 2, Padding::same},
      PoolCase{3, 7, 5, 3, 3, 3, 2, 2, Padding::same},
      PoolCase{1, 5, 5, 1, 3, 3, 1, 1, Padding::same},
      PoolCase{1, 7, 6, 3, 3, 3, 2, 2, Padding::valid},
      PoolCase{3, 5, 7, 1, 2, 3, 1, 2, Padding::same},
      PoolCase{1, 7, 5, 3, 3, 2, 3, 3, Padding::valid},
  };
}

}  // namespace vknn::test
