// Sequential refuses bad input with messages that say what is wrong, and
// its weights files round-trip and fail safely.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <fstream>

#include "model/training_support.hpp"
#include "support/error_text.hpp"
#include "vknn/error.hpp"

namespace {

using namespace vknn;
using vknn_test::on;
using vknn_test::synthetic_images;
namespace fs = std::filesystem;

using vknn_test::error_of;

#define EXPECT_ERROR_MENTIONS(statement, text)                               \
  do {                                                                       \
    const std::string message_ = error_of([&] { statement; });               \
    EXPECT_NE(message_.find(text), std::string::npos) << "message: " << message_; \
  } while (0)

class SequentialErrors : public vknn_test::VulkanTest {
 protected:
  void SetUp() override {
    VulkanTest::SetUp();
    model_ = std::make_unique<Sequential>(vknn_test::small_cnn(8, 4));
    model_->compile(Adam(), on(BackendKind::vulkan));
  }
  std::unique_ptr<Sequential> model_;
  vknn_test::SyntheticImages data_ = synthetic_images(40, 8, 4, 1);
};

TEST_F(SequentialErrors, WrongInputShape) {
  const auto other = synthetic_images(10, 6, 4, 2);
  EXPECT_ERROR_MENTIONS(model_->fit(other.samples(), other.labels, {.verbose = 0}),
                        "samples have shape (6, 6, 1) but the model's input shape is (8, 8, 1)");
  EXPECT_ERROR_MENTIONS(model_->predict(other.samples()), "input shape is (8, 8, 1)");
}

TEST_F(SequentialErrors, LabelOutOfRange) {
  auto labels = data_.labels;
  labels[17] = 9;
  EXPECT_ERROR_MENTIONS(model_->fit(data_.samples(), labels, {.verbose = 0}),
                        "label 9 of sample 17 is out of range for a model with 4 classes");
  EXPECT_ERROR_MENTIONS(model_->evaluate(data_.samples(), labels, {.verbose = 0}), "label 9");
}

TEST_F(SequentialErrors, SampleAndLabelCountsDiffer) {
  std::vector<std::uint8_t> labels(data_.labels.begin(), data_.labels.end() - 1);
  EXPECT_ERROR_MENTIONS(model_->fit(data_.samples(), labels, {.verbose = 0}),
                        "40 samples but 39 labels");
}

TEST_F(SequentialErrors, PixelBufferTooShort) {
  Samples x = data_.samples();
  x.pixels = x.pixels.first(100);
  EXPECT_ERROR_MENTIONS(model_->predict(x), "need 2560 bytes but 100 were given");
}

TEST_F(SequentialErrors, BatchSizeZeroAndNegativeEpochs) {
  EXPECT_ERROR_MENTIONS(model_->fit(data_.samples(), data_.labels, {.batch_size = 0}),
                        "batch_size must be positive, got 0");
  EXPECT_ERROR_MENTIONS(model_->evaluate(data_.samples(), data_.labels, {.batch_size = -3}),
                        "batch_size must be positive, got -3");
  EXPECT_ERROR_MENTIONS(model_->fit(data_.samples(), data_.labels, {.epochs = -1}),
                        "epochs must be >= 0");
}

TEST(SequentialBuild, ALayerThatCannotFitItsInput) {
  EXPECT_ERROR_MENTIONS(
      Sequential({Conv2D(4, {5, 5}, Activation::relu, Shape{3, 3, 1}), Flatten(), Dense(2)}),
      "kernel 5x5 does not fit");
  EXPECT_ERROR_MENTIONS(Sequential({Dense(4, Activation::relu, Shape{8, 8, 1})}), "Flatten");
}

TEST(SequentialBuild, UsingAModelBeforeCompileIsAClearError) {
  Sequential model(vknn_test::small_cnn(8, 4));
  const auto data = synthetic_images(4, 8, 4, 3);
  EXPECT_ERROR_MENTIONS(model.fit(data.samples(), data.labels), "call compile() first");
  EXPECT_ERROR_MENTIONS(model.get_weights(), "call compile() first");
}

TEST(SequentialBuild, UnsupportedLossAndBadLearningRate) {
  Sequential model(vknn_test::small_cnn(8, 4));
  CompileOptions options = on(BackendKind::cpu);
  options.loss = "mse";
  EXPECT_ERROR_MENTIONS(model.compile(Adam(), options), "loss 'mse' is not supported");
  EXPECT_ERROR_MENTIONS(model.compile(Adam(-1.0f), on(BackendKind::cpu)), "learning rate");
}

// ---- weights files ---------------------------------------------------------

class WeightsFiles : public vknn_test::VulkanTest {
 protected:
  void SetUp() override {
    VulkanTest::SetUp();
    dir_ = fs::temp_directory_path() /
           ("vknn_weights_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    fs::remove_all(dir_);
    VulkanTest::TearDown();
  }

  // The small CNN compiled with Adam on `kind`, its weights saved as `name`
  // in the test's folder; returns the file.
  fs::path saved_small_cnn(Sequential& model, BackendKind kind, const char* name) {
    model.compile(Adam(), on(kind));
    const fs::path path = dir_ / name;
    model.save_weights(path);
    return path;
  }

  fs::path dir_;
};

TEST_F(WeightsFiles, SaveThenLoadIntoAFreshModelGivesTheSamePredictions) {
  const auto data = synthetic_images(64, 8, 4, 4);
  Sequential trained(vknn_test::small_cnn(8, 4));
  trained.compile(Adam(0.01f), on(BackendKind::vulkan));
  trained.fit(data.samples(), data.labels, {.epochs = 2, .verbose = 0});
  const fs::path path = dir_ / "model.safetensors";
  trained.save_weights(path);

  for (BackendKind kind : {BackendKind::vulkan, BackendKind::cpu}) {
    Sequential fresh(vknn_test::small_cnn(8, 4));
    fresh.compile(Adam(), on(kind, 999));
    fresh.load_weights(path);
    const auto a = trained.predict(data.samples());
    const auto b = fresh.predict(data.samples());
    for (std::size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-5) << to_string(kind);
  }
  // Keras names and layouts.
  const auto names = trained.weight_names();
  EXPECT_EQ(names.front(), "conv2d/kernel");
  EXPECT_EQ(names.back(), "dense_1/bias");
}

TEST_F(WeightsFiles, TruncatedCorruptOrForeignFilesAreRefused) {
  Sequential model(vknn_test::small_cnn(8, 4));
  const fs::path good = saved_small_cnn(model, BackendKind::vulkan, "good.safetensors");
  const auto size = fs::file_size(good);

  const fs::path truncated = dir_ / "truncated.safetensors";
  fs::copy_file(good, truncated);
  fs::resize_file(truncated, size - 10);
  EXPECT_ERROR_MENTIONS(model.load_weights(truncated), "truncated.safetensors");

  const fs::path corrupt = dir_ / "corrupt.safetensors";
  fs::copy_file(good, corrupt);
  {
    std::fstream f(corrupt, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(12);
    f.write("\x01\x02\x03", 3);
  }
  EXPECT_ERROR_MENTIONS(model.load_weights(corrupt), "corrupt.safetensors");

  Sequential other({Conv2D(8, {3, 3}, Activation::relu, Shape{8, 8, 1}), MaxPooling2D(2, 2),
                    Flatten(), Dense(16, Activation::relu), Dense(4, Activation::softmax)});
  other.compile(Adam(), on(BackendKind::cpu));
  const fs::path foreign = dir_ / "foreign.safetensors";
  other.save_weights(foreign);
  EXPECT_ERROR_MENTIONS(model.load_weights(foreign), "conv2d/kernel: file has shape (3, 3, 1, 8)");

  EXPECT_ERROR_MENTIONS(model.load_weights(dir_ / "missing.safetensors"), "missing.safetensors");
  // A failed load leaves the model as it was.
  EXPECT_NO_THROW(model.load_weights(good));
}

// A NaN or an infinity in a weights file is refused by default, naming the
// tensor and the first bad value, and leaves the model's weights as they
// were; LoadWeightsOptions::allow_non_finite loads them.
TEST_F(WeightsFiles, NonFiniteWeightsAreRefusedUnlessAllowed) {
  Sequential source(vknn_test::small_cnn(8, 4));
  source.compile(Adam(), on(BackendKind::cpu, 1));
  auto weights = source.get_weights();
  // conv2d/kernel (3, 3, 1, 4): flat 13 is (1, 0, 0, 1); dense_1/bias gets +Inf.
  weights[0][13] = std::numeric_limits<float>::quiet_NaN();
  weights[0][20] = -std::numeric_limits<float>::infinity();
  weights.back()[2] = std::numeric_limits<float>::infinity();
  source.set_weights(weights);
  const fs::path path = dir_ / "diverged.safetensors";
  source.save_weights(path);

  Sequential model(vknn_test::small_cnn(8, 4));
  model.compile(Adam(), on(BackendKind::cpu, 2));
  const auto before = model.get_weights();
  EXPECT_ERROR_MENTIONS(model.load_weights(path),
                        "diverged.safetensors: tensor 'conv2d/kernel': value 13 at index "
                        "(1, 0, 0, 1) of shape (3, 3, 1, 4) is NaN (2 of 36 values are not finite)");
  EXPECT_EQ(model.get_weights(), before) << "a refused file changes nothing";

  // Only the bias is bad: the message names it and its sign.
  weights[0][13] = 0.5f;
  weights[0][20] = 0.5f;
  source.set_weights(weights);
  source.save_weights(path);
  EXPECT_ERROR_MENTIONS(model.load_weights(path),
                        "tensor 'dense_1/bias': value 2 at index (2) of shape (4) is +Inf");

  model.load_weights(path, {.allow_non_finite = true});
  EXPECT_TRUE(std::isinf(model.get_weights().back()[2]));
  EXPECT_EQ(model.get_weights()[0], weights[0]);
}

TEST_F(WeightsFiles, AFailedSaveLeavesTheOldFileIntact) {
  Sequential model(vknn_test::small_cnn(8, 4));
  const fs::path path = saved_small_cnn(model, BackendKind::cpu, "weights.safetensors");
  const auto before = fs::file_size(path);
  // The target's folder vanishes: the save must fail without a partial file.
  EXPECT_THROW(model.save_weights(dir_ / "no_such_dir" / "weights.safetensors"), vknn::Error);
  // Saving onto a directory fails and leaves the directory alone.
  fs::create_directories(dir_ / "a_directory");
  EXPECT_THROW(model.save_weights(dir_ / "a_directory"), vknn::Error);
  EXPECT_TRUE(fs::is_directory(dir_ / "a_directory"));
  EXPECT_EQ(fs::file_size(path), before);
  for (const auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos)
        << "temporary file left behind: " << entry.path();
  }
}

}  // namespace

namespace {

TEST(SequentialBuild, LayersDescribeNamesShapesAndParameters) {
  using namespace vknn;
  Sequential model({Conv2D(64, {3, 3}, Activation::relu, Shape{28, 28, 1}), MaxPooling2D(2, 2),
                    Conv2D(64, {3, 3}, Activation::relu), MaxPooling2D(2, 2), Flatten(),
                    Dense(128, Activation::relu), Dense(10, Activation::softmax)});
  const auto layers = model.layers();
  ASSERT_EQ(layers.size(), 7u);
  EXPECT_EQ(layers[2].name, "conv2d_1");
  EXPECT_EQ(layers[2].type, "Conv2D");
  EXPECT_EQ(layers[2].output_shape, (Shape{11, 11, 64}));
  EXPECT_EQ(layers[2].params, 36928);
  EXPECT_EQ(layers[3].name, "max_pooling2d_1");
  EXPECT_EQ(layers[3].output_shape, (Shape{5, 5, 64}));
  EXPECT_EQ(layers[4].output_shape, (Shape{1600}));
  EXPECT_EQ(model.count_params(), 243786);
}

}  // namespace
