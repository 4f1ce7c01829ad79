// Cross-check of the loss and metric ops (src/ops/vulkan/loss.hpp) against
// the CPU reference, plus the device-only behaviour the reference cannot
// have: running totals that accumulate across replays of one recording,
// and out-of-range labels that must not touch memory out of bounds.
//
// Tolerances (normalised max error, tests/ops/crosscheck.hpp):
// - softmax_cross_entropy, loss and dlogits: 1e-5. The reference computes
//   in double; the shader in float with exp(), which Vulkan bounds at
//   3 + 2|x| ULP (about 1.5e-6 relative for the |x| < 10 that carry the
//   weight of a row); sums of up to `classes` floats and two divisions add
//   a few ULP more. Logits of +-80 put tiny probabilities at |x| up to 160
//   (2e-5 relative) but they are below 1e-60 of the row's largest term.
//   The scale has a floor of 1e-12: the reference forms p - 1 and
//   logsumexp - logit in double, which round to exactly 0 once a row's
//   logit gap passes ~37, while the shader keeps the tiny true values
//   (1e-33 at gaps of 75); below the reference's own resolution there is
//   nothing to compare.
// - cross_entropy_from_probabilities: 1e-6. One log, computed without
//   Vulkan's 2^-21 absolute log error near 1 (accurate_math.glsl).
// - count_correct: exact (it is a comparison).
// Measured on lavapipe: loss 1.5e-7, dlogits 1.0e-7, probabilities' loss
// 1e-7 or less, totals 1e-8 relative.
// - metric totals: 1e-6 relative on the summed loss (float sums of up to a
//   few thousand values, Kahan-compensated across batches), exact counts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "ops/crosscheck.hpp"
#include "vknn/cpu/reference_ops.hpp"
#include "vknn/error.hpp"
#include "vulkan/buffer.hpp"
#include "vulkan/command.hpp"
#include "ops/vulkan/loss.hpp"

namespace {

using vknn::ClassesGeometry;
using vknn::vk::Buffer;
using vknn::vk::Recording;
namespace ops = vknn::vk::ops;
using namespace vknn_test;

constexpr double kSoftmaxCrossEntropyTolerance = 1e-5;
constexpr double kProbabilityLossTolerance = 1e-6;
constexpr double kTotalsTolerance = 1e-6;
constexpr double kReferenceResolution = 1e-12;

// expect_close with the scale floored at the reference's resolution.
void expect_close_floored(const std::vector<float>& gpu, const std::vector<float>& cpu,
                          double tolerance, const std::string& what) {
  double scale = kReferenceResolution, worst = 0;
  std::size_t worst_index = 0;
  for (float v : cpu) scale = std::max(scale, std::fabs(double(v)));
  ASSERT_EQ(gpu.size(), cpu.size()) << what;
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    double diff = std::fabs(double(gpu[i]) - double(cpu[i]));
    if (std::isnan(gpu[i]) != std::isnan(cpu[i])) diff = INFINITY;
    if (!(diff <= worst)) {
      worst = diff;
      worst_index = i;
    }
  }
  EXPECT_LE(worst / scale, tolerance)
      << what << ": normalised error " << worst / scale << " at element " << worst_index
      << " (vulkan " << gpu[worst_index] << ", cpu " << cpu[worst_index] << ")";
}

struct LossCase {
  int batch;
  int classes;
  float logit_range;  // logits uniform in [-range, range]; 0: small integers, many ties
};

std::string describe(const LossCase& c) {
  return "batch " + std::to_string(c.batch) + ", classes " + std::to_string(c.classes) +
         ", logits " + (c.logit_range == 0 ? std::string("integer ties") :
                                             "+-" + std::to_string(int(c.logit_range)));
}

std::vector<LossCase> loss_cases() {
  std::vector<LossCase> cases;
  for (int batch : {1, 3, 32}) {
    for (int classes : {1, 2, 10}) {
      for (float range : {1.0f, 80.0f, 0.0f}) cases.push_back({batch, classes, range});
    }
  }
  cases.push_back({7, 37, 5.0f});    // odd sizes, more classes
  cases.push_back({200, 10, 10.0f});  // more rows than one workgroup
  return cases;
}

std::vector<float> make_logits(const LossCase& c, std::uint32_t seed) {
  const std::size_t size = std::size_t(c.batch) * c.classes;
  if (c.logit_range > 0) return random_floats(size, seed, -c.logit_range, c.logit_range);
  std::vector<float> logits = random_floats(size, seed, -2.0f, 2.0f);
  for (float& v : logits) v = std::round(v);
  return logits;
}

std::vector<std::uint32_t> make_labels(int batch, int classes, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint32_t> labels(batch);
  for (auto& l : labels) l = std::uint32_t(rng() % std::uint32_t(classes));
  return labels;
}

// Softmax probabilities of random logits, row by row (what a softmax output
// layer hands the loss).
std::vector<float> make_probabilities(const LossCase& c, std::uint32_t seed) {
  std::vector<float> logits = make_logits(c, seed);
  std::vector<float> probabilities(logits.size());
  vknn::cpu::softmax_forward<float>({c.batch, c.classes}, logits.data(), probabilities.data());
  return probabilities;
}

double max_relative_error(const std::vector<float>& gpu, const std::vector<float>& cpu) {
  double worst = 0;
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    const double diff = std::fabs(double(gpu[i]) - double(cpu[i]));
    worst = std::max(worst, cpu[i] == 0 ? diff : diff / std::fabs(double(cpu[i])));
  }
  return worst;
}

using vknn_test::expect_error_mentions;

class LossCrosscheck : public VulkanTest {};

TEST_F(LossCrosscheck, SoftmaxCrossEntropyMatchesReference) {
  std::uint32_t seed = 100;
  for (const LossCase& c : loss_cases()) {
    SCOPED_TRACE(describe(c));
    const ClassesGeometry g{c.batch, c.classes};
    const auto logits = make_logits(c, ++seed);
    const auto labels = make_labels(c.batch, c.classes, ++seed);
    const float divisor = float(c.batch);
    std::vector<float> loss(c.batch), dlogits(logits.size());
    vknn::cpu::softmax_cross_entropy<float>(g, logits.data(), labels.data(), divisor, loss.data(),
                                            dlogits.data());

    auto logits_d = to_device(logits, "logits");
    auto labels_d = to_device(labels, "labels");
    auto loss_d = device_output<float>(c.batch, "loss");
    auto dlogits_d = device_output<float>(logits.size(), "dlogits");
    run_on_device("softmax_cross_entropy", [&](Recording& r) {
      ops::softmax_cross_entropy(r, g, *logits_d, *labels_d, divisor, *loss_d, *dlogits_d);
    });
    expect_close_floored(from_device<float>(*loss_d, c.batch), loss,
                         kSoftmaxCrossEntropyTolerance, "loss");
    expect_close_floored(from_device<float>(*dlogits_d, logits.size()), dlogits,
                         kSoftmaxCrossEntropyTolerance, "dlogits");
  }
}

// A confident row's loss and gradient are tiny; the shader keeps their
// relative precision (no 1 - p, no log(1 + tiny)), element by element.
TEST_F(LossCrosscheck, ConfidentRowsKeepRelativePrecision) {
  const ClassesGeometry g{4, 10};
  std::vector<float> logits(40, 0.0f);
  const std::vector<std::uint32_t> labels{0, 3, 9, 5};
  const float margins[4] = {8.0f, 14.0f, 20.0f, 3.0f};
  for (int n = 0; n < 4; ++n) {
    for (int c = 0; c < 10; ++c) logits[n * 10 + c] = 0.1f * float(c);
    logits[n * 10 + labels[n]] = margins[n];
  }
  std::vector<float> loss(4), dlogits(40);
  vknn::cpu::softmax_cross_entropy<float>(g, logits.data(), labels.data(), 1.0f, loss.data(),
                                          dlogits.data());
  auto logits_d = to_device(logits, "logits");
  auto labels_d = to_device(labels, "labels");
  auto loss_d = device_output<float>(4, "loss");
  auto dlogits_d = device_output<float>(40, "dlogits");
  run_on_device("confident rows", [&](Recording& r) {
    ops::softmax_cross_entropy(r, g, *logits_d, *labels_d, 1.0f, *loss_d, *dlogits_d);
  });
  EXPECT_LE(max_relative_error(from_device<float>(*loss_d, 4), loss), 1e-5);
  EXPECT_LE(max_relative_error(from_device<float>(*dlogits_d, 40), dlogits), 1e-5);
  EXPECT_LT(loss[2], 1e-7f);  // the case is as extreme as intended
}

TEST_F(LossCrosscheck, CrossEntropyFromProbabilitiesMatchesReference) {
  std::uint32_t seed = 300;
  for (const LossCase& c : loss_cases()) {
    SCOPED_TRACE(describe(c));
    const ClassesGeometry g{c.batch, c.classes};
    const auto probabilities = make_probabilities(c, ++seed);
    const auto labels = make_labels(c.batch, c.classes, ++seed);
    std::vector<float> loss(c.batch);
    vknn::cpu::cross_entropy_from_probabilities<float>(g, probabilities.data(), labels.data(),
                                                       loss.data());
    auto probabilities_d = to_device(probabilities, "probabilities");
    auto labels_d = to_device(labels, "labels");
    auto loss_d = device_output<float>(c.batch, "loss");
    run_on_device("cross_entropy_from_probabilities", [&](Recording& r) {
      ops::cross_entropy_from_probabilities(r, g, *probabilities_d, *labels_d, *loss_d);
    });
    expect_close(from_device<float>(*loss_d, c.batch), loss, kProbabilityLossTolerance, "loss");
  }
}

// The clip at both ends, and probabilities just below 1 where a float log
// loses its relative precision.
TEST_F(LossCrosscheck, CrossEntropyFromProbabilitiesAtTheClips) {
  const std::vector<float> probabilities{0.0f,       1e-9f,       1e-7f,      2e-7f,
                                         0.5f,       0.999f,      0.9999999f, 0.99999994f,
                                         1.0f,       0.99999988f, 0.25f,      0.75f};
  const int batch = int(probabilities.size());
  const ClassesGeometry g{batch, 1};
  const std::vector<std::uint32_t> labels(batch, 0);
  std::vector<float> loss(batch);
  vknn::cpu::cross_entropy_from_probabilities<float>(g, probabilities.data(), labels.data(),
                                                     loss.data());
  auto probabilities_d = to_device(probabilities, "probabilities");
  auto labels_d = to_device(labels, "labels");
  auto loss_d = device_output<float>(batch, "loss");
  run_on_device("clips", [&](Recording& r) {
    ops::cross_entropy_from_probabilities(r, g, *probabilities_d, *labels_d, *loss_d);
  });
  const auto gpu = from_device<float>(*loss_d, batch);
  for (int n = 0; n < batch; ++n) {
    EXPECT_NEAR(gpu[n], loss[n], 1e-6 * std::fabs(loss[n]) + 1e-6f * 1e-7f)
        << "probability " << probabilities[n];
  }
}

TEST_F(LossCrosscheck, CountCorrectMatchesReferenceExactly) {
  std::uint32_t seed = 500;
  for (const LossCase& c : loss_cases()) {
    SCOPED_TRACE(describe(c));
    const ClassesGeometry g{c.batch, c.classes};
    const auto scores = make_logits(c, ++seed);
    const auto labels = make_labels(c.batch, c.classes, ++seed);
    auto scores_d = to_device(scores, "scores");
    auto labels_d = to_device(labels, "labels");
    auto correct_d = device_output<std::uint32_t>(c.batch, "correct", 7u);
    run_on_device("count_correct", [&](Recording& r) {
      ops::count_correct(r, g, *scores_d, *labels_d, *correct_d);
    });
    const auto flags = from_device<std::uint32_t>(*correct_d, c.batch);
    // Row by row against the reference on one-row slices, then the sum.
    for (int n = 0; n < c.batch; ++n) {
      const std::int64_t expected = vknn::cpu::count_correct<float>(
          {1, c.classes}, scores.data() + std::size_t(n) * c.classes, labels.data() + n);
      EXPECT_EQ(std::int64_t(flags[n]), expected) << "row " << n;
    }
    EXPECT_EQ(std::accumulate(flags.begin(), flags.end(), std::int64_t(0)),
              vknn::cpu::count_correct<float>(g, scores.data(), labels.data()));
  }
}

// The host validates labels at upload; on the device a bad one must not
// read or write out of bounds. Its loss is NaN, its gradient row zero, and
// it is never correct; the other rows are unaffected.
TEST_F(LossCrosscheck, OutOfRangeLabelsStayInBounds) {
  const ClassesGeometry g{4, 3};
  const std::vector<float> logits = random_floats(12, 7, -2.0f, 2.0f);
  const std::vector<std::uint32_t> labels{1, 3, 0xffffffffu, 2};
  auto logits_d = to_device(logits, "logits");
  auto labels_d = to_device(labels, "labels");
  auto loss_d = device_output<float>(4, "loss");
  auto dlogits_d = device_output<float>(12, "dlogits");
  auto probability_loss_d = device_output<float>(4, "probability loss");
  auto correct_d = device_output<std::uint32_t>(4, "correct", 7u);
  run_on_device("bad labels", [&](Recording& r) {
    ops::softmax_cross_entropy(r, g, *logits_d, *labels_d, 4.0f, *loss_d, *dlogits_d);
    ops::cross_entropy_from_probabilities(r, g, *logits_d, *labels_d, *probability_loss_d);
    ops::count_correct(r, g, *logits_d, *labels_d, *correct_d);
  });
  const auto loss = from_device<float>(*loss_d, 4);
  const auto dlogits = from_device<float>(*dlogits_d, 12);
  const auto probability_loss = from_device<float>(*probability_loss_d, 4);
  const auto correct = from_device<std::uint32_t>(*correct_d, 4);
  for (int n : {1, 2}) {
    EXPECT_TRUE(std::isnan(loss[n])) << "row " << n;
    EXPECT_TRUE(std::isnan(probability_loss[n])) << "row " << n;
    EXPECT_EQ(correct[n], 0u) << "row " << n;
    for (int c = 0; c < 3; ++c) EXPECT_EQ(dlogits[n * 3 + c], 0.0f) << "row " << n;
  }
  // The valid rows match the reference computed on them alone.
  for (int n : {0, 3}) {
    float expected_loss;
    float expected_dlogits[3];
    vknn::cpu::softmax_cross_entropy<float>({1, 3}, logits.data() + n * 3, labels.data() + n,
                                            4.0f, &expected_loss, expected_dlogits);
    EXPECT_NEAR(loss[n], expected_loss, 1e-5 * std::fabs(expected_loss) + 1e-7);
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(dlogits[n * 3 + c], expected_dlogits[c], 1e-6);
  }
}

// One recording (loss, accuracy flags, accumulation) replayed over
// different batches: the totals on the device are the CPU's running sums.
TEST_F(LossCrosscheck, MetricsAccumulateAcrossReplays) {
  for (int batch : {1, 3, 32, 1000}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    const int classes = 10;
    const ClassesGeometry g{batch, classes};
    auto logits_d = device_output<float>(std::size_t(batch) * classes, "logits");
    auto labels_d = device_output<std::uint32_t>(batch, "labels");
    auto loss_d = device_output<float>(batch, "loss");
    auto dlogits_d = device_output<float>(std::size_t(batch) * classes, "dlogits");
    auto correct_d = device_output<std::uint32_t>(batch, "correct");
    Buffer totals(device(), ops::kMetricTotalsBytes, "totals");
    totals.fill_zero();

    Recording step(device(), "loss and metrics step");
    ops::softmax_cross_entropy(step, g, *logits_d, *labels_d, float(batch), *loss_d, *dlogits_d);
    ops::count_correct(step, g, *logits_d, *labels_d, *correct_d);
    ops::accumulate_metrics(step, std::uint32_t(batch), *loss_d, *correct_d, totals);
    step.host_read_barrier();
    step.finish();

    double expected_loss = 0;
    std::int64_t expected_correct = 0;
    for (int replay = 0; replay < 5; ++replay) {
      // A new batch between replays, while nothing is in flight.
      const auto logits = make_logits({batch, classes, 4.0f}, 900 + replay);
      const auto labels = make_labels(batch, classes, 950 + replay);
      logits_d->upload(logits.data(), logits.size() * sizeof(float));
      labels_d->upload(labels.data(), labels.size() * sizeof(std::uint32_t));
      vknn::vk::submit(device(), step).wait();

      std::vector<float> loss(batch), dlogits(logits.size());
      vknn::cpu::softmax_cross_entropy<float>(g, logits.data(), labels.data(), float(batch),
                                              loss.data(), dlogits.data());
      for (float l : loss) expected_loss += l;
      expected_correct += vknn::cpu::count_correct<float>(g, logits.data(), labels.data());

      const ops::MetricTotals t = ops::read_metric_totals(totals);
      EXPECT_EQ(t.samples, std::uint32_t(batch * (replay + 1))) << "replay " << replay;
      EXPECT_EQ(std::int64_t(t.correct), expected_correct) << "replay " << replay;
      EXPECT_NEAR(t.summed_loss(), expected_loss, kTotalsTolerance * expected_loss)
          << "replay " << replay;
    }
  }
}

// Zeroing inside a recording starts every replay from zero, and the
// reduction is deterministic: identical replays give identical bits.
TEST_F(LossCrosscheck, ZeroedTotalsAreDeterministic) {
  const int count = 777;
  const auto loss = random_floats(count, 42, 0.0f, 3.0f);
  std::vector<std::uint32_t> correct(count);
  for (int i = 0; i < count; ++i) correct[i] = (i * 7) % 3 == 0;
  auto loss_d = to_device(loss, "loss");
  auto correct_d = to_device(correct, "correct");
  Buffer totals(device(), ops::kMetricTotalsBytes, "totals");
  totals.fill_zero();

  Recording step(device(), "zero then accumulate");
  ops::zero_metric_totals(step, totals);
  ops::accumulate_metrics(step, count, *loss_d, *correct_d, totals);
  step.host_read_barrier();
  step.finish();

  vknn::vk::submit(device(), step).wait();
  const ops::MetricTotals first = ops::read_metric_totals(totals);
  for (int replay = 0; replay < 3; ++replay) {
    vknn::vk::submit(device(), step).wait();
    const ops::MetricTotals again = ops::read_metric_totals(totals);
    EXPECT_EQ(again.loss_sum, first.loss_sum);
    EXPECT_EQ(again.loss_compensation, first.loss_compensation);
    EXPECT_EQ(again.correct, first.correct);
    EXPECT_EQ(again.samples, std::uint32_t(count));
  }
  const double expected = std::accumulate(loss.begin(), loss.end(), 0.0);
  EXPECT_NEAR(first.summed_loss(), expected, kTotalsTolerance * expected);
  EXPECT_EQ(std::int64_t(first.correct),
            std::accumulate(correct.begin(), correct.end(), std::int64_t(0)));
}

// Several submissions of the accumulating recording in flight at once (as
// fit queues steps without waiting): each sees the one before it.
TEST_F(LossCrosscheck, OverlappingSubmissionsAccumulateInOrder) {
  const int count = 32;
  const auto loss = random_floats(count, 5, 0.0f, 2.0f);
  const std::vector<std::uint32_t> correct(count, 1u);
  auto loss_d = to_device(loss, "loss");
  auto correct_d = to_device(correct, "correct");
  Buffer totals(device(), ops::kMetricTotalsBytes, "totals");
  totals.fill_zero();
  Recording step(device(), "accumulate");
  ops::accumulate_metrics(step, count, *loss_d, *correct_d, totals);
  step.host_read_barrier();
  step.finish();
  std::vector<vknn::vk::Submission> in_flight;
  for (int i = 0; i < 10; ++i) in_flight.push_back(vknn::vk::submit(device(), step));
  for (auto& s : in_flight) s.wait();
  const ops::MetricTotals t = ops::read_metric_totals(totals);
  EXPECT_EQ(t.samples, 320u);
  EXPECT_EQ(t.correct, 320u);
  const double expected = 10.0 * std::accumulate(loss.begin(), loss.end(), 0.0);
  EXPECT_NEAR(t.summed_loss(), expected, kTotalsTolerance * expected);
}

TEST_F(LossCrosscheck, BadArgumentsNameTheOpAndBuffer) {
  const ClassesGeometry g{32, 10};
  Buffer logits(device(), 320 * 4, "logits");
  Buffer short_logits(device(), 100 * 4, "short logits");
  Buffer labels(device(), 32 * 4, "labels");
  Buffer loss(device(), 32 * 4, "loss");
  Buffer totals(device(), 8, "small totals");
  Recording r(device(), "bad arguments", vknn::vk::RecordingUse::once);
  expect_error_mentions(
      [&] { ops::softmax_cross_entropy(r, g, short_logits, labels, 32.0f, loss, logits); },
      {"softmax_cross_entropy", "short logits", "400", "1280"});
  expect_error_mentions(
      [&] { ops::softmax_cross_entropy(r, g, logits, labels, 0.0f, loss, logits); },
      {"softmax_cross_entropy", "gradient_divisor"});
  expect_error_mentions(
      [&] { ops::cross_entropy_from_probabilities(r, {0, 10}, logits, labels, loss); },
      {"cross_entropy_from_probabilities", "batch"});
  expect_error_mentions([&] { ops::count_correct(r, {33, 10}, logits, labels, loss); },
                        {"count_correct", "logits", "1280", "1320"});
  expect_error_mentions([&] { ops::accumulate_metrics(r, 32, loss, labels, totals); },
                        {"accumulate_metrics", "small totals", "8", std::to_string(ops::kMetricTotalsBytes)});
  expect_error_mentions([&] { ops::accumulate_metrics(r, 33, loss, labels, totals); },
                        {"accumulate_metrics", "'loss'", "128", "132"});
}

}  // namespace
