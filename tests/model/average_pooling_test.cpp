// AveragePooling2D and GlobalAveragePooling2D as model layers: shapes,
// Keras names and summary rows, errors, and training on both backends.
#include <gtest/gtest.h>

#include <cmath>

#include "model/architecture.hpp"
#include "model/training_support.hpp"
#include "support/error_text.hpp"

namespace {

using namespace vknn;
using vknn::model::Architecture;
using vknn_test::on;
using vknn_test::synthetic_images;

std::vector<Layer> pooled_model(int side, int classes) {
  return {Conv2D(4, {3, 3}, Activation::relu, Shape{side, side, 1}), AveragePooling2D(2, 2),
          Conv2D(8, {3, 3}, Activation::relu, std::nullopt, Padding::same),
          GlobalAveragePooling2D(), Dense(classes, Activation::softmax)};
}

// The rows Keras 2.9 - 2.12 prints for these layers (summary_test.cpp checks
// the table around them): long class names wrap inside the first column.
TEST(AveragePoolingLayers, SummaryRowsAreKeras) {
  const std::string summary =
      Architecture::build({Conv2D(16, {3, 3}, Activation::relu, Shape{28, 28, 1}),
                           AveragePooling2D(2, 2), Conv2D(32, {3, 3}, Activation::relu),
                           GlobalAveragePooling2D(), Dense(10, Activation::softmax)})
          .summary();
  for (const char* rows : {" average_pooling2d (AverageP  (None, 13, 13, 16)       0         \n"
                           " ooling2D)                                                       \n",
                           " global_average_pooling2d (G  (None, 32)               0         \n"
                           " lobalAveragePooling2D)                                          \n",
                           "Total params: 5,130\n"}) {
    EXPECT_NE(summary.find(rows), std::string::npos) << rows << "\n" << summary;
  }
}

TEST(AveragePoolingLayers, SamePaddingAndStridesFollowKeras) {
  AveragePooling2D pool({3, 3}, Size2{2, 2}, Padding::same);
  pool.input_shape = Shape{7, 5, 3};
  const Architecture a = Architecture::build({pool, Flatten(), Dense(2)});
  EXPECT_EQ(a[0].output_shape, (Shape{4, 3, 3}));  // ceil(7 / 2), ceil(5 / 2)
  EXPECT_EQ(a[0].params, 0);
  EXPECT_EQ(a[0].name, "average_pooling2d");
  // Strides default to the pool size; valid rounds down (11 -> 5).
  AveragePooling2D by_two(2);
  by_two.input_shape = Shape{11, 11, 1};
  EXPECT_EQ(Architecture::build({by_two, Flatten(), Dense(2)})[0].output_shape,
            (Shape{5, 5, 1}));
}

TEST(AveragePoolingLayers, GlobalAverageNeedsAnImageAndGivesChannels) {
  const Architecture a = Architecture::build(
      {GlobalAveragePooling2D(Shape{6, 5, 7}), Dense(3, Activation::softmax)});
  EXPECT_EQ(a[0].output_shape, (Shape{7}));
  EXPECT_EQ(a[0].name, "global_average_pooling2d");
  const std::string message = vknn_test::error_of([] {
    Architecture::build({Flatten(Shape{4, 4, 1}), GlobalAveragePooling2D(), Dense(2)});
  });
  EXPECT_NE(message.find("layer global_average_pooling2d (GlobalAveragePooling2D)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("rank-3 input"), std::string::npos) << message;
}

TEST(AveragePoolingLayers, APoolThatDoesNotFitIsRefused) {
  AveragePooling2D pool(5);
  pool.input_shape = Shape{4, 4, 1};
  const std::string message =
      vknn_test::error_of([&] { Architecture::build({pool, Flatten(), Dense(2)}); });
  EXPECT_NE(message.find("layer average_pooling2d (AveragePooling2D): pool 5x5 does not fit"),
            std::string::npos)
      << message;
}

class AveragePoolingTraining : public vknn_test::VulkanTest {};

// Same model, seed, data and order on both backends: the parameters agree
// after two epochs with a partial last batch (SGD with momentum, linear in
// the gradient; see sequential_training_test.cpp for why not Adam).
TEST_F(AveragePoolingTraining, VulkanAndCpuEndWithTheSameParameters) {
  EXPECT_LT(vknn_test::cpu_vulkan_parameter_difference(pooled_model(10, 4), synthetic_images(70, 10, 4, 5)),
            1e-5);
}

TEST_F(AveragePoolingTraining, LearnsTheSyntheticTask) {
  // Bright-quadrant classes survive a global average only through the
  // convolutions before it (a plain mean of the image carries no quadrant).
  const auto train = synthetic_images(512, 10, 4, 6);
  const auto test = synthetic_images(256, 10, 4, 7);
  Sequential model(pooled_model(10, 4));
  model.compile(Adam(0.02f), on(BackendKind::vulkan));
  model.fit(train.samples(), train.labels, {.epochs = 8, .batch_size = 32, .verbose = 0});
  EXPECT_GT(model.evaluate(test.samples(), test.labels, {.verbose = 0}).accuracy, 0.8);
}

TEST_F(AveragePoolingTraining, LayerOutputsAreTheWindowMeans) {
  const auto data = synthetic_images(2, 10, 4, 8);
  Sequential model(pooled_model(10, 4));
  model.compile(Adam(), on(BackendKind::vulkan));
  const auto outputs = model.layer_outputs(data.samples());
  // average_pooling2d output (2, 4, 4, 4) is the mean of conv2d's 2x2 windows.
  const auto& conv = outputs[0];  // (2, 8, 8, 4)
  const auto& pooled = outputs[1];
  ASSERT_EQ(pooled.size(), 2u * 4 * 4 * 4);
  auto at = [](int y, int x, int c) { return std::size_t((y * 8 + x) * 4 + c); };
  const double mean = (conv[at(2, 4, 3)] + conv[at(2, 5, 3)] + conv[at(3, 4, 3)] + conv[at(3, 5, 3)]) / 4.0;
  EXPECT_NEAR(pooled[std::size_t((1 * 4 + 2) * 4 + 3)], mean, 1e-6);
  // The softmax output's rows sum to 1.
  const auto& probabilities = outputs.back();
  EXPECT_NEAR(probabilities[0] + probabilities[1] + probabilities[2] + probabilities[3], 1.0, 1e-6);
}

}  // namespace
