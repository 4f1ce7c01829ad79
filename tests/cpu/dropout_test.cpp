// Dropout's reference: the Philox4x32-10 generator against Random123's
// known-answer vectors, and the mask it draws: its keep rate, its scale,
// reproducible from (seed, step), new at each step.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "ops/philox.hpp"
#include "test_util.hpp"
#include "vknn/cpu/reference_ops.hpp"

namespace vknn {
namespace {

TEST(Philox, MatchesRandom123KnownAnswers) {
  using Words = std::array<std::uint32_t, 4>;
  EXPECT_EQ(philox4x32_10({0, 0, 0, 0}, {0, 0}),
            (Words{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}));
  EXPECT_EQ(philox4x32_10({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
                          {0xa4093822u, 0x299f31d0u}),
            (Words{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}));
}

std::vector<double> apply(const DropoutConfig& c, std::uint32_t step, const std::vector<double>& x) {
  std::vector<double> y(x.size(), -1.0);
  cpu::dropout_apply<double>(std::int64_t(x.size()), c, step, x.data(), y.data());
  return y;
}

TEST(Dropout, KeepsAboutOneMinusRateAndScalesTheRest) {
  const std::vector<double> x(20000, 1.0);
  for (float rate : {0.2f, 0.5f, 0.9f}) {
    const DropoutConfig c{rate, 42};
    const auto y = apply(c, 3, x);
    int kept = 0;
    for (double v : y) {
      if (v != 0.0) {
        ++kept;
        EXPECT_EQ(v, double(c.keep_scale()));
      }
    }
    // Binomial: 4 standard deviations of 20000 draws is under 0.015.
    EXPECT_NEAR(double(kept) / double(x.size()), 1.0 - rate, 0.015) << rate;
  }
}

TEST(Dropout, RateZeroIsTheIdentityAndTheMaskIsReproducible) {
  const std::vector<double> x{1, -2, 3, -4, 5};
  EXPECT_EQ(apply({0.0f, 9}, 0, x), x);
  const DropoutConfig c{0.5f, 7};
  EXPECT_EQ(apply(c, 5, x), apply(c, 5, x));
  // The mask of element i does not depend on how many elements there are.
  const auto longer = apply(c, 5, {1, -2, 3, -4, 5, 6, 7});
  EXPECT_EQ(std::vector<double>(longer.begin(), longer.begin() + 5), apply(c, 5, x));
}

// A data-parallel rank's slice draws the global batch's masks: an op whose
// counters start at first_element drops what the whole op drops there.
TEST(Dropout, ASliceFromFirstElementDrawsTheWholeBatchsMaskThere) {
  std::vector<double> x(1000);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = double(i) + 1.0;
  const DropoutConfig whole{0.5f, 11};
  const auto all = apply(whole, 4, x);
  for (std::uint32_t first : {0u, 1u, 333u, 999u}) {
    DropoutConfig slice = whole;
    slice.first_element = first;
    const std::vector<double> tail(x.begin() + first, x.end());
    EXPECT_EQ(apply(slice, 4, tail), std::vector<double>(all.begin() + first, all.end())) << first;
  }
  DropoutConfig shifted = whole;
  shifted.first_element = 1;
  EXPECT_NE(apply(shifted, 4, x), all);
}

TEST(Dropout, EachStepAndSeedDrawsANewMask) {
  const std::vector<double> x(256, 1.0);
  const DropoutConfig c{0.5f, 7};
  EXPECT_NE(apply(c, 1, x), apply(c, 2, x));
  EXPECT_NE(apply(c, 1, x), apply({0.5f, 8}, 1, x));
  EXPECT_NE(apply(c, 1, x), apply({0.5f, 7 + (std::uint64_t(1) << 32)}, 1, x));  // both key words
}

TEST(Dropout, RateMustBeBelowOne) {
  std::vector<float> x(4), y(4);
  for (float rate : {1.0f, -0.1f}) {
    EXPECT_TRUE(test::mentions(test::error_message([&] {
                                 cpu::dropout_apply<float>(4, {rate, 0}, 0, x.data(), y.data());
                               }),
                               {"dropout", "rate must be in [0, 1)"}));
  }
}

}  // namespace
}  // namespace vknn
