// CSVLogger, LearningRateScheduler and ReduceLROnPlateau in C++, with
// Keras's semantics (the Python package has its own, tested in
// tests/python/test_callbacks*.py).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "model/training_support.hpp"
#include "support/error_text.hpp"
#include "support/temp_dir.hpp"
#include "vknn/error.hpp"
#include "vknn/model/callbacks.hpp"

namespace {

using namespace vknn;
using vknn_test::on;
using vknn_test::synthetic_images;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Records the learning rate each epoch trained with.
class RateRecorder : public Callback {
 public:
  std::vector<float> rates;
  void on_epoch_end(Sequential& model, int, const Logs&) override { rates.push_back(model.learning_rate()); }
};

TEST(CsvLogger, OneRowPerEpochWithTheHistorysNumbersAndAppend) {
  vknn_test::TempDir dir;
  const auto file = dir.path() / "log.csv";
  const auto data = synthetic_images(64, 8, 4, 1);
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(Adam(0.01f), on(BackendKind::vulkan));
  auto logger = std::make_shared<CSVLogger>(file);
  const History h = model.fit(data.samples(), data.labels,
                              {.epochs = 2, .batch_size = 32, .validation_data = ValidationData{data.samples(), data.labels},
                               .callbacks = {logger}, .verbose = 0});
  const std::string text = read_file(file);
  // Header: epoch, then the keys sorted; rows end in \r\n as Python's csv.
  const std::string header = "epoch,accuracy,loss,val_accuracy,val_loss\r\n";
  ASSERT_EQ(text.rfind(header, 0), 0u) << text;
  std::vector<std::string> rows;
  for (std::size_t at = header.size(), end; (end = text.find("\r\n", at)) != std::string::npos; at = end + 2) {
    rows.push_back(text.substr(at, end - at));
  }
  ASSERT_EQ(rows.size(), 2u) << text;
  for (int e = 0; e < 2; ++e) {
    std::vector<double> values;
    std::size_t at = rows[e].find(',') + 1;
    EXPECT_EQ(rows[e].substr(0, at - 1), std::to_string(e));
    while (at != 0) {
      const std::size_t comma = rows[e].find(',', at);
      values.push_back(std::stod(rows[e].substr(at, comma == std::string::npos ? std::string::npos : comma - at)));
      at = comma == std::string::npos ? 0 : comma + 1;
    }
    ASSERT_EQ(values.size(), 4u);
    // Exactly the History's doubles: the text reads back to the same bits.
    EXPECT_EQ(values[0], h.history.at("accuracy")[e]);
    EXPECT_EQ(values[1], h.history.at("loss")[e]);
    EXPECT_EQ(values[2], h.history.at("val_accuracy")[e]);
    EXPECT_EQ(values[3], h.history.at("val_loss")[e]);
  }
  // append: the rows of a second fit follow, without a second header.
  auto appending = std::make_shared<CSVLogger>(file, ',', true);
  model.fit(data.samples(), data.labels,
            {.epochs = 1, .batch_size = 32, .validation_data = ValidationData{data.samples(), data.labels},
             .callbacks = {appending}, .verbose = 0});
  const std::string appended = read_file(file);
  EXPECT_EQ(appended.rfind(text, 0), 0u);
  EXPECT_EQ(appended.find("epoch,", 1), std::string::npos) << appended;
  EXPECT_EQ(appended.substr(text.size(), 2), "0,");
  // Without append the file starts over.
  model.fit(data.samples(), data.labels, {.epochs = 1, .batch_size = 32, .callbacks = {logger}, .verbose = 0});
  EXPECT_EQ(read_file(file).rfind("epoch,accuracy,loss\r\n0,", 0), 0u) << read_file(file);
}

TEST(CsvLogger, AFolderThatCannotBeWrittenStopsFitBeforeItsFirstStep) {
  const auto data = synthetic_images(32, 8, 4, 1);
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(Adam(), on(BackendKind::cpu));
  auto logger = std::make_shared<CSVLogger>("/nonexistent-vknn-folder/log.csv");
  const std::string message = vknn_test::error_of([&] {
    model.fit(data.samples(), data.labels, {.epochs = 1, .callbacks = {logger}, .verbose = 0});
  });
  EXPECT_NE(message.find("/nonexistent-vknn-folder/log.csv"), std::string::npos) << message;
}

TEST(LearningRateScheduler, EachEpochTrainsWithTheScheduledRate) {
  const auto data = synthetic_images(64, 8, 4, 1);
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(SGD(0.1f), on(BackendKind::vulkan));
  auto recorder = std::make_shared<RateRecorder>();
  auto scheduler = std::make_shared<LearningRateScheduler>(
      [](int epoch, double lr) { return epoch == 0 ? lr : lr * 0.5; });
  model.fit(data.samples(), data.labels,
            {.epochs = 3, .batch_size = 32, .callbacks = {scheduler, recorder}, .verbose = 0});
  EXPECT_EQ(recorder->rates, (std::vector<float>{0.1f, 0.05f, 0.025f}));
  // The rate really is what the step uses: a schedule of 0 freezes the weights.
  const auto before = model.get_weights();
  auto frozen = std::make_shared<LearningRateScheduler>([](int, double) { return 0.0; });
  model.fit(data.samples(), data.labels, {.epochs = 1, .batch_size = 32, .callbacks = {frozen}, .verbose = 0});
  EXPECT_EQ(model.get_weights(), before);
}

TEST(LearningRateScheduler, ANanOrNegativeRateIsAnErrorNamingTheEpoch) {
  const auto data = synthetic_images(32, 8, 4, 1);
  for (double bad : {std::numeric_limits<double>::quiet_NaN(), -0.5,
                     std::numeric_limits<double>::infinity()}) {
    Sequential model(vknn_test::small_cnn(8, 4));
    model.compile(Adam(), on(BackendKind::cpu));
    auto scheduler = std::make_shared<LearningRateScheduler>(
        [bad](int epoch, double lr) { return epoch == 1 ? bad : lr; });
    const std::string message = vknn_test::error_of([&] {
      model.fit(data.samples(), data.labels, {.epochs = 3, .callbacks = {scheduler}, .verbose = 0});
    });
    EXPECT_NE(message.find("LearningRateScheduler: the schedule returned"), std::string::npos) << message;
    EXPECT_NE(message.find("for epoch 2"), std::string::npos) << message;
  }
}

TEST(ReduceLROnPlateau, ReducesAfterPatienceThenWaitsOutTheCooldownAndStopsAtMinLr) {
  // Driven directly with made-up val_loss values, as Keras's rules read.
  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(SGD(1.0f), on(BackendKind::cpu));
  ReduceLROnPlateau reduce({.monitor = "val_loss", .factor = 0.5, .patience = 2, .min_delta = 0.01,
                            .cooldown = 1, .min_lr = 0.2});
  reduce.on_train_begin(model);
  const double losses[] = {1.0, 0.995, 0.999, 0.998, 0.997, 0.996, 0.5, 0.6, 0.6, 0.6, 0.6};
  std::vector<float> rates;
  for (int epoch = 0; epoch < 11; ++epoch) {
    reduce.on_epoch_end(model, epoch, {{"val_loss", losses[epoch]}});
    rates.push_back(model.learning_rate());
  }
  // Keras's order: a cooldown epoch ends the cooldown and then counts as a
  // wait. Epochs 1-2 do not improve by 0.01: halved at 2; 3 (cooldown over)
  // and 4 wait: halved at 4; 5 and (after 0.5 improves at 6) 7, 8 wait:
  // 0.125 clamped to min_lr 0.2 at 8; at min_lr nothing changes any more.
  EXPECT_EQ(rates, (std::vector<float>{1.0f, 1.0f, 0.5f, 0.5f, 0.25f, 0.25f, 0.25f, 0.25f, 0.2f, 0.2f, 0.2f}));
}

TEST(ReduceLROnPlateau, RefusesAFactorOfOneOrMore) {
  const std::string message = vknn_test::error_of([] { ReduceLROnPlateau bad({.factor = 1.0}); });
  EXPECT_NE(message.find("factor must be in [0, 1)"), std::string::npos) << message;
}

}  // namespace
