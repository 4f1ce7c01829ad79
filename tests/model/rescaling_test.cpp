// Rescaling as a model layer (an elementwise function, op::Rescale): its
// summary rows against Keras's, shape and errors, its output and learning
// through it. What every elementwise layer shares (both backends agree, the
// .keras round trip) is elementwise_layers_test.cpp's.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "model/architecture.hpp"
#include "model/training_support.hpp"
#include "support/error_text.hpp"

namespace {

using namespace vknn;
using vknn::model::Architecture;
using vknn_test::on;
using vknn_test::synthetic_images;

// A leading Rescaling (no input gradient) and one between layers (its
// backward feeds the conv below).
std::vector<Layer> rescaled_model(int side, int classes) {
  // vknn sees uint8 pixels as p / 255; the first layer maps them to [-1, 1].
  return {Rescaling(2.0f, -1.0f, Shape{side, side, 1}),
          Conv2D(4, {3, 3}, Activation::relu),
          Rescaling(-2.0f, 0.25f),
          MaxPooling2D(2, 2),
          Flatten(),
          Dense(classes, Activation::softmax)};
}

TEST(RescalingLayer, SummaryRowIsKeras) {
  const std::string summary = Architecture::build(rescaled_model(10, 3)).summary();
  for (const char* row : {" rescaling (Rescaling)       (None, 10, 10, 1)         0         \n",
                          " rescaling_1 (Rescaling)     (None, 8, 8, 4)           0         \n",
                          "Total params: 235\n"}) {
    EXPECT_NE(summary.find(row), std::string::npos) << row << "\n" << summary;
  }
}

TEST(RescalingLayer, KeepsAnyShapeAndNamesTheLayerInItsChecks) {
  const Architecture a =
      Architecture::build({Flatten(Shape{3, 2, 1}), Rescaling(2.0f), Dense(2, Activation::softmax)});
  EXPECT_EQ(a[1].output_shape, (Shape{6}));
  EXPECT_EQ(a[1].params, 0);
  const std::string message = vknn_test::error_of([] {
    Architecture::build({Rescaling(std::numeric_limits<float>::infinity(), 0.0f, Shape{4}), Dense(2)});
  });
  EXPECT_NE(message.find("layer rescaling (Rescaling): scale must be finite"), std::string::npos)
      << message;
}

class RescalingTraining : public vknn_test::VulkanTest {};

TEST_F(RescalingTraining, OutputIsTheScaledInputAndTheModelLearns) {
  const auto train = synthetic_images(512, 10, 3, 6);
  Sequential model(rescaled_model(10, 3));
  model.compile(Adam(0.02f), on(BackendKind::vulkan));
  const auto outputs = model.layer_outputs(train.samples());
  // rescaling_1 = conv2d * -2 + 0.25, element for element.
  const auto& conv = outputs[1];
  const auto& rescaled = outputs[2];
  ASSERT_EQ(conv.size(), rescaled.size());
  double worst = 0.0;
  for (std::size_t k = 0; k < conv.size(); ++k) {
    worst = std::max(worst, std::abs(double(rescaled[k]) - (double(conv[k]) * -2.0 + 0.25)));
  }
  EXPECT_LT(worst, 1e-5);
  model.fit(train.samples(), train.labels, {.epochs = 4, .batch_size = 32, .verbose = 0});
  const auto test = synthetic_images(256, 10, 3, 7);
  EXPECT_GT(model.evaluate(test.samples(), test.labels, {.verbose = 0}).accuracy, 0.8);
}

}  // namespace
