// Float inputs (Samples::values): they stay float on the device, gathered
// as they are. Values that are k / 255 give the uint8 pixels' results
// (exactly when they are the correctly rounded floats of k / 255, which is
// what gather_batch computes from the pixel k); a dataset split over
// several device buffers gives the same results as one buffer; bad float
// inputs are refused with messages that name what is wrong.
#include <gtest/gtest.h>

#include <sys/mman.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "model/streamed_dataset.hpp"
#include "model/trainer.hpp"
#include "model/training_support.hpp"
#include "vknn/error.hpp"

namespace {

using namespace vknn;
using vknn_test::max_abs_difference;
using vknn_test::on;
using vknn_test::synthetic_images;

class FloatInputs : public vknn_test::VulkanTest {};

// Sets VKNN_FLOAT_DATASET_CHUNK_SAMPLES (the trainer's internal test hook)
// for one scope.
class ChunkSamples {
 public:
  explicit ChunkSamples(int samples) { setenv(kName, std::to_string(samples).c_str(), 1); }
  ~ChunkSamples() { unsetenv(kName); }

 private:
  static constexpr const char* kName = "VKNN_FLOAT_DATASET_CHUNK_SAMPLES";
};

std::vector<float> divided_by_255(const std::vector<std::uint8_t>& pixels) {
  std::vector<float> values(pixels.size());
  for (std::size_t i = 0; i < pixels.size(); ++i) values[i] = float(pixels[i]) / 255.0f;
  return values;
}

// What one run gives: the history, the weights, evaluate and predict.
struct Results {
  History history;
  std::vector<std::vector<float>> weights;
  Evaluation evaluation;
  std::vector<float> predictions;
};

Results run(BackendKind backend, const Samples& train, const std::vector<std::uint8_t>& labels,
            const Samples& test, const std::vector<std::uint8_t>& test_labels) {
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(Adam(0.01f), on(backend));
  Results r;
  FitOptions options{.epochs = 2, .batch_size = 16, .verbose = 0, .seed = 5};
  options.validation_data = ValidationData{test, test_labels};
  r.history = model.fit(train, labels, options);
  r.weights = model.get_weights();
  r.evaluation = model.evaluate(test, test_labels, {.batch_size = 16, .verbose = 0});
  r.predictions = model.predict(test, {.batch_size = 16, .verbose = 0});
  return r;
}

void expect_identical(const Results& a, const Results& b) {
  EXPECT_EQ(a.history.history, b.history.history);
  EXPECT_EQ(a.weights, b.weights);
  EXPECT_EQ(a.evaluation.loss, b.evaluation.loss);
  EXPECT_EQ(a.evaluation.accuracy, b.evaluation.accuracy);
  EXPECT_EQ(a.predictions, b.predictions);
}

TEST_F(FloatInputs, ValuesThatArePixelsOver255GiveThePixelsResultsExactly) {
  // 70 and 37 samples at batch 16: partial last batches in fit, validation,
  // evaluate and predict.
  const auto train = synthetic_images(70, 8, 4, 11);
  const auto test = synthetic_images(37, 8, 4, 12);
  const auto train_values = divided_by_255(train.pixels);
  const auto test_values = divided_by_255(test.pixels);
  for (BackendKind backend : {BackendKind::cpu, BackendKind::vulkan}) {
    SCOPED_TRACE(to_string(backend));
    const Results pixels = run(backend, train.samples(), train.labels, test.samples(), test.labels);
    const Results values =
        run(backend, Samples::of_values(train_values, train.count, {8, 8, 1}), train.labels,
            Samples::of_values(test_values, test.count, {8, 8, 1}), test.labels);
    expect_identical(pixels, values);
  }
}

TEST_F(FloatInputs, ValuesWithinRoundingOfPixelsGiveResultsWithinRounding) {
  // k * (1 / 255) differs from k / 255 in the last bit for some k: the
  // results stay within float rounding of the pixels' (the values are used
  // as given, not snapped back to pixels). SGD, whose update is linear in
  // the gradient, so a rounding difference stays a rounding difference.
  const auto train = synthetic_images(70, 8, 4, 13);
  std::vector<float> values(train.pixels.size());
  std::size_t differing = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    values[i] = float(train.pixels[i]) * (1.0f / 255.0f);
    differing += values[i] != float(train.pixels[i]) / 255.0f;
  }
  ASSERT_GT(differing, 0u) << "the test needs values that are not exactly k / 255";
  std::vector<std::vector<float>> weights[2];
  History history[2];
  for (int form = 0; form < 2; ++form) {
    Sequential model(vknn_test::small_cnn(8, 4));
    model.compile(SGD(0.05f, 0.9f), on(BackendKind::vulkan));
    const Samples x = form == 0 ? train.samples() : Samples::of_values(values, train.count, {8, 8, 1});
    history[form] = model.fit(x, train.labels, {.epochs = 2, .batch_size = 16, .verbose = 0});
    weights[form] = model.get_weights();
  }
  EXPECT_NE(weights[0], weights[1]) << "the float values were re-quantised to pixels";
  EXPECT_LT(max_abs_difference(weights[0], weights[1]), 1e-5);
  for (int e = 0; e < 2; ++e) {
    EXPECT_NEAR(history[0].history["loss"][e], history[1].history["loss"][e], 1e-5);
  }
}

TEST_F(FloatInputs, SeveralDeviceBuffersGiveTheSameResultsAsOne) {
  // 70 samples in buffers of 9 (8 buffers, the last holding 7) against one
  // buffer: the same samples reach the model, so the runs are identical.
  const auto train = synthetic_images(70, 8, 4, 14);
  const auto test = synthetic_images(37, 8, 4, 15);
  std::vector<float> train_values(train.pixels.size()), test_values(test.pixels.size());
  // Standardised values, as a user's (x - mean) / std: not pixels at all.
  for (std::size_t i = 0; i < train_values.size(); ++i) train_values[i] = (train.pixels[i] - 110.0f) / 60.0f;
  for (std::size_t i = 0; i < test_values.size(); ++i) test_values[i] = (test.pixels[i] - 110.0f) / 60.0f;
  const Samples train_x = Samples::of_values(train_values, train.count, {8, 8, 1});
  const Samples test_x = Samples::of_values(test_values, test.count, {8, 8, 1});
  const Results one = run(BackendKind::vulkan, train_x, train.labels, test_x, test.labels);
  Results several;
  {
    ChunkSamples chunks(9);
    several = run(BackendKind::vulkan, train_x, train.labels, test_x, test.labels);
  }
  expect_identical(one, several);
  const Results cpu = run(BackendKind::cpu, train_x, train.labels, test_x, test.labels);
  EXPECT_LT(max_abs_difference(one.weights, cpu.weights), 1e-3);
  // And it learns: standardised inputs train as well as pixels do.
  EXPECT_GT(one.evaluation.accuracy, 0.6);
}

TEST_F(FloatInputs, MoreBuffersThanTheGatherBindsAreRefusedWithTheCounts) {
  const auto train = synthetic_images(70, 8, 4, 16);
  const auto values = divided_by_255(train.pixels);
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(Adam(), on(BackendKind::vulkan));
  ChunkSamples chunks(2);  // 35 buffers
  try {
    model.fit(Samples::of_values(values, train.count, {8, 8, 1}), train.labels, {.verbose = 0});
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("70 samples of 64 floats need 35 storage buffers"), std::string::npos)
        << message;
    EXPECT_NE(message.find("at most 8"), std::string::npos) << message;
  }
}

TEST_F(FloatInputs, TheMemoryBudgetCountsFourBytesPerFloat) {
  // 700,000 samples of 784 floats: 2.2 GB as float32 (550 MB as pixels),
  // over lavapipe's 2 GiB heap. fit streams such data through a window
  // (model/streamed_dataset.hpp) instead of refusing it; the decision
  // counts the float bytes. The values are untouched anonymous pages
  // (zeros, no memory used).
  const std::uint64_t heap = vknn_test::largest_device_local_heap();
  constexpr std::int64_t count = 700000, sample = 784;
  const std::uint64_t value_bytes = std::uint64_t(count) * sample * sizeof(float);
  if (heap > value_bytes) GTEST_SKIP() << "this device's heap holds the float data";
  void* pages = mmap(nullptr, value_bytes, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                     -1, 0);
  ASSERT_NE(pages, MAP_FAILED);
  const std::span<const float> values(static_cast<const float*>(pages), std::size_t(count * sample));
  const model::Architecture architecture =
      model::Architecture::build({Flatten(Shape{28, 28, 1}), Dense(10, Activation::softmax)});
  model::Trainer trainer(architecture, Adam(), on(BackendKind::vulkan));
  const model::StreamingChoice choice =
      model::choose_streaming(trainer, Samples::of_values(values, count, {28, 28, 1}), false, 32, 32);
  munmap(pages, value_bytes);
  // Values, then one label byte and one uint32 order entry per sample.
  EXPECT_EQ(choice.data_bytes, value_bytes + count + 4 * count);
  EXPECT_GT(choice.window_batches, 0);
  // The window, with its labels and the whole order, fits what is left.
  EXPECT_LE(std::uint64_t(choice.window_batches) * 32 * (sample * 4 + 1) + 4 * count, choice.free_bytes);
  EXPECT_LT(choice.window_batches * 32, count);
}

TEST(FloatInputErrors, BothNeitherAndWrongSizesAreRefused) {
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(Adam(), on(BackendKind::cpu));
  const auto data = synthetic_images(4, 8, 4, 17);
  const auto values = divided_by_255(data.pixels);
  auto fit_error = [&](const Samples& x) -> std::string {
    try {
      model.fit(x, data.labels, {.verbose = 0});
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  Samples both = data.samples();
  both.values = values;
  EXPECT_NE(fit_error(both).find("exactly one of `pixels` (uint8) and `values` (float32), but both were given"),
            std::string::npos)
      << fit_error(both);
  Samples neither = data.samples();
  neither.pixels = {};
  EXPECT_NE(fit_error(neither).find("but neither was given"), std::string::npos) << fit_error(neither);
  const Samples short_values =
      Samples::of_values(std::span<const float>(values).first(values.size() - 1), 4, {8, 8, 1});
  EXPECT_NE(fit_error(short_values).find("need 256 floats but 255 were given"), std::string::npos)
      << fit_error(short_values);
}

TEST(FloatInputErrors, NaNAndInfinityAreRefusedNamingTheSampleAndElement) {
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(Adam(), on(BackendKind::cpu));
  const auto data = synthetic_images(4, 8, 4, 18);
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    auto values = divided_by_255(data.pixels);
    values[2 * 64 + 5] = bad;
    const Samples x = Samples::of_values(values, 4, {8, 8, 1});
    for (int call = 0; call < 3; ++call) {
      try {
        if (call == 0) model.fit(x, data.labels, {.verbose = 0});
        if (call == 1) model.evaluate(x, data.labels, {.verbose = 0});
        if (call == 2) model.predict(x, {.verbose = 0});
        ADD_FAILURE() << "no error for " << bad << " in call " << call;
      } catch (const Error& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("of sample 2 (element 5) is not finite"), std::string::npos)
            << message;
      }
    }
  }
}

}  // namespace
