// The augmented gather beyond the op table's Vulkan-vs-CPU comparison: the
// identity settings against the plain gather, transforms whose result is
// known by hand (a quarter turn is numpy's rot90, flips mirror, every fill
// mode on a shift, values Keras's apply_affine_transform gives through
// scipy 1.10), the draw (reproducible, in range, keyed by the sample and
// the step), and bad arguments. run_augmented_gather runs the op as the
// training step records it, on either backend.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <numeric>
#include <random>
#include <set>
#include <vector>

#include "support/error_text.hpp"
#include "support/vulkan_fixture.hpp"
#include "vknn/cpu/reference_ops.hpp"
#include "vknn/data/augmentation.hpp"
#include "vknn/error.hpp"
#include "vknn/ops/run.hpp"

namespace {

using namespace vknn;
using vknn_test::VulkanTest;

class AugmentedGather : public VulkanTest {};

std::vector<std::uint8_t> random_pixels(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> p(n);
  for (auto& b : p) b = std::uint8_t(rng());
  return p;
}

std::vector<OpTarget> targets() { return {OpTarget::cpu(), OpTarget::on(vknn_test::context())}; }

TEST_F(AugmentedGather, IdentitySettingsGiveThePlainGatherExactly) {
  // Settings at their defaults (with any seed and fill mode) transform
  // nothing: weights (1, 0) on exact coordinates give each pixel back, so
  // the result is gather_batch's, bit for bit, on both backends.
  const int h = 7, w = 5, c = 3, count = 6;
  const auto pixels = random_pixels(std::size_t(count) * h * w * c, 1);
  const std::vector<std::uint32_t> samples = {4, 0, 5, 2};
  std::vector<float> plain(samples.size() * h * w * c);
  std::vector<std::uint8_t> labels(count, 0);
  std::vector<std::uint32_t> labels_out(samples.size());
  cpu::gather_batch<float>(h * w * c, pixels.data(), labels.data(), samples.data(), 0,
                           std::int64_t(samples.size()), plain.data(), labels_out.data());
  std::vector<float> values(pixels.begin(), pixels.end());
  for (FillMode fill : {FillMode::nearest, FillMode::constant}) {
    const Augmentation identity{.fill_mode = fill, .seed = 99};
    for (OpTarget target : targets()) {
      EXPECT_EQ(run_augmented_gather(identity, h, w, c, pixels, {}, samples, 3, target), plain);
      const auto copied = run_augmented_gather(identity, h, w, c, {}, values, samples, 3, target);
      for (std::size_t i = 0; i < samples.size(); ++i) {
        EXPECT_TRUE(std::equal(copied.begin() + std::ptrdiff_t(i * h * w * c),
                               copied.begin() + std::ptrdiff_t((i + 1) * h * w * c),
                               values.begin() + std::ptrdiff_t(samples[i] * h * w * c)));
      }
    }
  }
}

TEST_F(AugmentedGather, AQuarterTurnIsRot90AndFlipsMirror) {
  // theta = 90 on a square picture: Keras's output (row, col) reads input
  // (col, n - 1 - row), numpy's rot90 (counter-clockwise). sin_cos_degrees
  // reduces 90 degrees to a quarter turn exactly, so the values are exact.
  const int n = 5, c = 2;
  std::vector<float> image(n * n * c);
  std::iota(image.begin(), image.end(), 0.0f);
  const auto at = [&](int r, int col, int ch) { return image[(r * n + col) * c + ch]; };
  const Augmentation fill{};
  const auto turned = apply_augmentation(fill, {.theta = 90.0f}, image, n, n, c);
  const auto mirrored = apply_augmentation(fill, {.flip_horizontal = true}, image, n, n, c);
  const auto upside_down = apply_augmentation(fill, {.flip_vertical = true}, image, n, n, c);
  for (int r = 0; r < n; ++r) {
    for (int col = 0; col < n; ++col) {
      for (int ch = 0; ch < c; ++ch) {
        const std::size_t k = std::size_t((r * n + col) * c + ch);
        EXPECT_EQ(turned[k], at(col, n - 1 - r, ch)) << r << "," << col;
        EXPECT_EQ(mirrored[k], at(r, n - 1 - col, ch));
        EXPECT_EQ(upside_down[k], at(n - 1 - r, col, ch));
      }
    }
  }
}

TEST_F(AugmentedGather, FillModesAreScipysOnAShift) {
  // Keras's apply_affine_transform(x, tx=-2.25, ty=0.5, fill_mode=m,
  // cval=-1) of the 4x4 picture 0..15, printed by keras-preprocessing 1.1.2
  // on scipy 1.10.1: tx moves columns (Keras's swapped axes), ty rows; every
  // value below is exact in float.
  std::vector<float> image(16);
  std::iota(image.begin(), image.end(), 0.0f);
  const AugmentationParameters shift{.tx = -2.25f, .ty = 0.5f};
  const struct {
    FillMode mode;
    std::vector<float> expected;
  } cases[] = {
      {FillMode::nearest, {2, 2, 2, 2.75f, 6, 6, 6, 6.75f, 10, 10, 10, 10.75f, 12, 12, 12, 12.75f}},
      {FillMode::reflect,
       {3.25f, 2.25f, 2, 2.75f, 7.25f, 6.25f, 6, 6.75f, 11.25f, 10.25f, 10, 10.75f, 13.25f, 12.25f,
        12, 12.75f}},
      {FillMode::wrap,
       {2.75f, 3.75f, 4.75f, 2.75f, 6.75f, 7.75f, 8.75f, 6.75f, 10.75f, 11.75f, 12.75f, 10.75f,
        2.75f, 3.75f, 4.75f, 2.75f}},
      {FillMode::constant,
       {-1, -1, -1, 2.75f, -1, -1, -1, 6.75f, -1, -1, -1, 10.75f, -1, -1, -1, -1}},
  };
  for (const auto& c : cases) {
    const Augmentation a{.fill_mode = c.mode, .cval = -1.0f};
    EXPECT_EQ(apply_augmentation(a, shift, image, 4, 4, 1), c.expected) << to_string(c.mode);
  }
  // One row (len 1 on the row axis): reflect and wrap map every row to 0.
  const std::vector<float> row = {0, 10, 20, 30};
  for (FillMode mode : {FillMode::reflect, FillMode::wrap, FillMode::nearest}) {
    EXPECT_EQ(apply_augmentation({.fill_mode = mode}, {.ty = 3.0f}, row, 1, 4, 1), row);
  }
  // A shift of 1.5 columns along a row, each mode's edge (hand-computed:
  // column 2 reads 3.5, column 3 reads 4.5).
  const std::vector<float> ramp = {0, 10, 20, 30};
  const struct {
    FillMode mode;
    std::vector<float> expected;
  } edges[] = {{FillMode::nearest, {15, 25, 30, 30}},
               {FillMode::reflect, {15, 25, 30, 25}},
               {FillMode::wrap, {15, 25, 5, 15}},  // scipy's period is len - 1
               {FillMode::constant, {15, 25, -1, -1}}};
  for (const auto& e : edges) {
    EXPECT_EQ(apply_augmentation({.fill_mode = e.mode, .cval = -1.0f}, {.tx = 1.5f}, ramp, 1, 4, 1),
              e.expected)
        << to_string(e.mode);
  }
}

TEST_F(AugmentedGather, DrawsAreKerasesRangesAndKeyedBySampleStepAndSeed) {
  const Augmentation a{.rotation_range = 40.0f,
                       .width_shift_range = {0.2f},
                       .height_shift_range = {3.0f, true},
                       .shear_range = 10.0f,
                       .zoom_range = {0.8f, 1.3f},
                       .horizontal_flip = true,
                       .seed = 5};
  const int h = 30, w = 20;
  int flips = 0, vertical = 0;
  std::set<float> tx_values;
  double theta_sum = 0;
  const int n = 2000;
  for (int s = 0; s < n; ++s) {
    const auto p = draw_augmentation(a, h, w, std::uint32_t(s), 11);
    EXPECT_TRUE(p.theta >= -40.0f && p.theta < 40.0f) << p.theta;
    EXPECT_TRUE(p.ty >= -0.2f * w && p.ty < 0.2f * w) << p.ty;  // width_shift * width
    EXPECT_TRUE(p.shear >= -10.0f && p.shear < 10.0f);
    EXPECT_TRUE(p.zx >= 0.8f && p.zx < 1.3f && p.zy >= 0.8f && p.zy < 1.3f);
    tx_values.insert(p.tx);
    flips += p.flip_horizontal;
    vertical += p.flip_vertical;
    theta_sum += p.theta;
  }
  // np.random.choice(3) * choice([-1, 1]): whole pixels -2..2.
  EXPECT_EQ(tx_values, (std::set<float>{-2, -1, 0, 1, 2}));
  EXPECT_NEAR(double(flips) / n, 0.5, 0.05);  // 4.5 standard deviations
  EXPECT_EQ(vertical, 0);                     // vertical_flip is off
  EXPECT_NEAR(theta_sum / n, 0.0, 2.5);       // mean of U(-40, 40): sd 23/sqrt(n) = 0.5

  const auto same = [](const AugmentationParameters& x, const AugmentationParameters& y) {
    return x.theta == y.theta && x.tx == y.tx && x.ty == y.ty && x.shear == y.shear &&
           x.zx == y.zx && x.zy == y.zy && x.flip_horizontal == y.flip_horizontal;
  };
  const auto base = draw_augmentation(a, h, w, 7, 11);
  EXPECT_TRUE(same(base, draw_augmentation(a, h, w, 7, 11)));
  EXPECT_FALSE(same(base, draw_augmentation(a, h, w, 7, 12)));  // the next step (epoch) draws anew
  EXPECT_FALSE(same(base, draw_augmentation(a, h, w, 8, 11)));
  Augmentation other = a;
  other.seed = 6;
  EXPECT_FALSE(same(base, draw_augmentation(other, h, w, 7, 11)));
  // Settings at 0 draw Keras's neutral values.
  const auto neutral = draw_augmentation(Augmentation{.seed = 5}, h, w, 7, 11);
  EXPECT_TRUE(same(neutral, AugmentationParameters{}));
}

TEST_F(AugmentedGather, TheDrawDependsOnTheSampleNotItsPositionInTheBatch) {
  // What makes a micro-batch (or a rank's slice) draw what the whole batch
  // draws: sample 3 gathered alone, or second of two, or fourth of four,
  // comes out the same, on both backends.
  const int h = 9, w = 7, c = 3;
  const auto pixels = random_pixels(std::size_t(6) * h * w * c, 2);
  const Augmentation a{.rotation_range = 30.0f, .zoom_range = Augmentation::zoom(0.3f),
                       .horizontal_flip = true, .fill_mode = FillMode::reflect, .seed = 17};
  const std::size_t size = std::size_t(h) * w * c;
  for (OpTarget target : targets()) {
    const auto whole = run_augmented_gather(a, h, w, c, pixels, {}, std::vector<std::uint32_t>{5, 1, 0, 3}, 4, target);
    const auto part = run_augmented_gather(a, h, w, c, pixels, {}, std::vector<std::uint32_t>{0, 3}, 4, target);
    EXPECT_TRUE(std::equal(part.begin(), part.end(), whole.begin() + std::ptrdiff_t(2 * size)));
  }
}

TEST_F(AugmentedGather, ApplyMatchesTheGatherForTheDrawnParameters) {
  // The public pair (draw_augmentation, apply_augmentation) is what the
  // Python API's get_random_transform / apply_transform stand on: for the
  // drawn parameters it gives the device gather's pixels (/ 255).
  const int h = 8, w = 8, c = 1;
  const auto pixels = random_pixels(std::size_t(3) * h * w * c, 3);
  const Augmentation a{.rotation_range = 45.0f, .width_shift_range = {0.25f},
                       .shear_range = 15.0f, .vertical_flip = true, .seed = 4};
  const std::vector<std::uint32_t> samples = {2, 0};
  const auto device = run_augmented_gather(a, h, w, c, pixels, {}, samples, 9,
                                           OpTarget::on(vknn_test::context()));
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const std::vector<float> image(pixels.begin() + std::ptrdiff_t(samples[i] * h * w * c),
                                   pixels.begin() + std::ptrdiff_t((samples[i] + 1) * h * w * c));
    const auto applied =
        apply_augmentation(a, draw_augmentation(a, h, w, samples[i], 9), image, h, w, c);
    for (std::size_t k = 0; k < applied.size(); ++k) {
      EXPECT_NEAR(device[i * applied.size() + k], applied[k] / 255.0f, 3e-7) << i << " " << k;
    }
  }
}

TEST_F(AugmentedGather, BadSettingsAndArgumentsAreNamed) {
  const auto expect_error_containing = [](const std::function<void()>& call, const std::string& fragment) {
    vknn_test::expect_error_mentions(call, {fragment});
  };
  const std::vector<std::uint8_t> pixels(2 * 4 * 4, 7);
  const std::vector<std::uint32_t> samples = {0};
  const auto run = [&](const Augmentation& a) {
    run_augmented_gather(a, 4, 4, 1, pixels, {}, samples, 0, OpTarget::cpu());
  };
  expect_error_containing([&] { run({.rotation_range = -5.0f}); }, "rotation_range must be a finite number >= 0");
  expect_error_containing([&] { run({.shear_range = NAN}); }, "shear_range");
  expect_error_containing([&] { run({.width_shift_range = {2.5f, true}}); },
                          "width_shift_range in whole pixels");
  expect_error_containing([&] { run({.zoom_range = {0.5f, INFINITY}}); }, "zoom_range must be two finite numbers");
  expect_error_containing([&] { run({.cval = NAN}); }, "cval must be a finite number");
  expect_error_containing([&] { fill_mode_from_string("mirror"); },
                          "fill_mode 'mirror' is not one of 'nearest', 'reflect', 'wrap', 'constant'");
  expect_error_containing(
      [&] { run_augmented_gather({}, 4, 4, 1, pixels, {}, std::vector<std::uint32_t>{2}, 0, OpTarget::cpu()); },
      "sample 2 is not below the 2 pictures");
  expect_error_containing(
      [&] { run_augmented_gather({}, 3, 4, 1, pixels, {}, samples, 0, OpTarget::cpu()); },
      "are not whole pictures of 3x4x1");
  expect_error_containing(
      [&] { apply_augmentation({}, {}, std::vector<float>(5), 2, 2, 1); },
      "the picture has 5 values but 2x2x1 needs 4");
}

}  // namespace
