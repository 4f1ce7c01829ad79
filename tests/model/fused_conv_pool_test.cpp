// Conv2D (relu, at most 4 input channels) + MaxPooling2D recorded as one op
// (conv2d_relu_maxpool2d_forward, the pooling's backward from winners):
// which pairs the plan fuses, that training with the fused pair equals
// training the same computation unfused, and that layer_outputs still
// returns the conv layer's own map.
#include <gtest/gtest.h>

#include <algorithm>

#include "model/architecture.hpp"
#include "model/model_test_support.hpp"
#include "model/plan.hpp"
#include "model/trainer.hpp"
#include "model/training_support.hpp"
#include "support/vulkan_fixture.hpp"

namespace vknn::model {
namespace {

using testing::course_model;
using vknn_test::max_abs_difference;
using vknn_test::on;
using vknn_test::synthetic_images;

// A validation error during a test fails it (VulkanTest).
class FusedConvPool : public vknn_test::VulkanTest {};

TEST_F(FusedConvPool, PlanFusesTheCoursesFirstBlockOnly) {
  const Plan plan = make_plan(Architecture::build(course_model(16)), 32);
  EXPECT_TRUE(plan.layers[0].fuses_next_pool);
  EXPECT_TRUE(plan.layers[1].fused_into_previous);
  // One winner byte per pooled element: 32 x 13 x 13 x 16.
  ASSERT_NE(plan.layers[0].pool_winners, kNoTensor);
  EXPECT_EQ(plan.tensor(plan.layers[0].pool_winners).count, 32 * 13 * 13 * 16);
  EXPECT_EQ(plan.tensor(plan.layers[0].pool_winners).type, backend::ElementType::u8);
  // The pooling's backward still writes conv1's linear gradient, which the
  // conv's kernel and bias gradients read.
  EXPECT_EQ(plan.layers[1].input_gradient_target, plan.layers[0].linear_gradient);
  // conv2 reads 16 channels: not fused.
  EXPECT_FALSE(plan.layers[2].fuses_next_pool);
  EXPECT_FALSE(plan.layers[3].fused_into_previous);
  EXPECT_EQ(plan.layers[2].pool_winners, kNoTensor);
}

TEST_F(FusedConvPool, PairsTheKernelDoesNotCoverStayUnfused) {
  auto fuses = [](std::vector<Layer> layers) {
    return make_plan(Architecture::build(layers), 2).layers[0].fuses_next_pool;
  };
  const Shape in{10, 10, 1};
  const auto head = [] { return std::vector<Layer>{Flatten(), Dense(3, Activation::softmax)}; };
  auto model = [&](Conv2D conv, MaxPooling2D pool) {
    std::vector<Layer> layers{conv, pool};
    for (auto& l : head()) layers.push_back(l);
    return layers;
  };
  EXPECT_TRUE(fuses(model(Conv2D(4, {3, 3}, Activation::relu, in), MaxPooling2D(Size2{2, 2}))));
  // Overlapping windows, a padded pool, a linear conv, five input channels,
  // a kernel of more rows (9x9x4 = 324) than the fused op holds.
  EXPECT_FALSE(fuses(model(Conv2D(4, {3, 3}, Activation::relu, in),
                           MaxPooling2D(Size2{2, 2}, Size2{1, 1}))));
  EXPECT_FALSE(fuses(model(Conv2D(4, {3, 3}, Activation::relu, in),
                           MaxPooling2D(Size2{2, 2}, std::nullopt, Padding::same))));
  EXPECT_FALSE(fuses(model(Conv2D(4, {3, 3}, Activation::linear, in), MaxPooling2D(Size2{2, 2}))));
  EXPECT_FALSE(fuses(model(Conv2D(4, {3, 3}, Activation::relu, Shape{10, 10, 5}),
                           MaxPooling2D(Size2{2, 2}))));
  EXPECT_FALSE(fuses(model(Conv2D(4, {9, 9}, Activation::relu, Shape{12, 12, 4}),
                           MaxPooling2D(Size2{2, 2}))));
}

TEST_F(FusedConvPool, PlanFusesAnRgbModelsFirstBlockOnly) {
  // Cats vs dogs (Course 2): 150x150x3, Conv2D 16/32/64 each with a 2x2 pool.
  std::vector<Layer> layers{Conv2D(16, {3, 3}, Activation::relu, Shape{150, 150, 3}),
                            MaxPooling2D(2, 2),
                            Conv2D(32, {3, 3}, Activation::relu),
                            MaxPooling2D(2, 2),
                            Conv2D(64, {3, 3}, Activation::relu),
                            MaxPooling2D(2, 2),
                            Flatten(),
                            Dense(512, Activation::relu),
                            Dense(1, Activation::sigmoid)};
  const Plan plan = make_plan(Architecture::build(layers), 32);
  EXPECT_TRUE(plan.layers[0].fuses_next_pool);
  EXPECT_TRUE(plan.layers[1].fused_into_previous);
  // The first layer: its kernel and bias gradients come from the winners,
  // and neither of its gradient maps (148x148x16 each) is planned.
  EXPECT_TRUE(plan.layers[0].parameter_gradients_from_pool);
  EXPECT_EQ(plan.layers[0].linear_gradient, kNoTensor);
  EXPECT_EQ(plan.layers[0].output_gradient, kNoTensor);
  ASSERT_NE(plan.layers[0].pool_winners, kNoTensor);
  EXPECT_EQ(plan.tensor(plan.layers[0].pool_winners).count, 32 * 74 * 74 * 16);
  for (std::size_t l : {2u, 4u}) {  // 16 and 32 input channels: unfused
    EXPECT_FALSE(plan.layers[l].fuses_next_pool) << l;
    EXPECT_EQ(plan.layers[l].pool_winners, kNoTensor) << l;
  }
}

// The same computation, fused and not: on an 8x8 map a 2x2 pool with
// 'same' padding has no padded taps, so it equals the 'valid' one, but the
// plan fuses only the 'valid' one.
std::vector<Layer> pooled_cnn(Padding pool_padding, int channels = 1) {
  return {Conv2D(4, {3, 3}, Activation::relu, Shape{10, 10, channels}),
          MaxPooling2D(Size2{2, 2}, std::nullopt, pool_padding), Flatten(),
          Dense(16, Activation::relu), Dense(4, Activation::softmax)};
}

class FusedConvPoolChannels : public vknn_test::VulkanTest, public ::testing::WithParamInterface<int> {};

TEST_P(FusedConvPoolChannels, TrainsLikeTheUnfusedPair) {
  const int channels = GetParam();
  ASSERT_TRUE(make_plan(Architecture::build(pooled_cnn(Padding::valid, channels)), 32)
                  .layers[0]
                  .fuses_next_pool);
  ASSERT_FALSE(make_plan(Architecture::build(pooled_cnn(Padding::same, channels)), 32)
                   .layers[0]
                   .fuses_next_pool);
  // 70: a partial last batch.
  const auto data = synthetic_images(70, 10, 4, 11, channels);
  for (BackendKind kind : {BackendKind::cpu, BackendKind::vulkan}) {
    std::vector<std::vector<float>> weights[2];
    int i = 0;
    for (Padding padding : {Padding::valid, Padding::same}) {
      Sequential model(pooled_cnn(padding, channels));
      model.compile(SGD(0.05f, 0.9f), on(kind));
      model.fit(data.samples(), data.labels, {.epochs = 2, .batch_size = 32, .verbose = 0, .seed = 3});
      weights[i++] = model.get_weights();
    }
    // The CPU reference computes the fused pair as the unfused ops: equal
    // bit for bit. On Vulkan the conv sums are rounded in another order.
    if (kind == BackendKind::cpu) {
      EXPECT_EQ(weights[0], weights[1]);
    } else {
      EXPECT_LT(max_abs_difference(weights[0], weights[1]), 1e-5);
    }
  }
}

// One channel (the course's first block), RGB, RGBA.
INSTANTIATE_TEST_SUITE_P(InputChannels, FusedConvPoolChannels, ::testing::Values(1, 3, 4));

TEST_F(FusedConvPool, LayerOutputsKeepTheConvMapAndPredictAgrees) {
  const auto data = synthetic_images(3, 10, 4, 12);
  Sequential model(pooled_cnn(Padding::valid));
  model.compile(Adam(), on(BackendKind::vulkan));
  const auto outputs = model.layer_outputs(data.samples());
  const auto& conv = outputs[0];    // (3, 8, 8, 4), relu
  const auto& pooled = outputs[1];  // (3, 4, 4, 4)
  ASSERT_EQ(conv.size(), 3u * 8 * 8 * 4);
  ASSERT_EQ(pooled.size(), 3u * 4 * 4 * 4);
  EXPECT_GT(*std::max_element(conv.begin(), conv.end()), 0.0f);
  for (int n = 0; n < 3; ++n) {
    for (int oy = 0; oy < 4; ++oy) {
      for (int ox = 0; ox < 4; ++ox) {
        for (int c = 0; c < 4; ++c) {
          float best = 0.0f;
          for (int k = 0; k < 4; ++k) {
            const int y = 2 * oy + k / 2, x = 2 * ox + k % 2;
            best = std::max(best, conv[std::size_t(((n * 8 + y) * 8 + x) * 4 + c)]);
          }
          ASSERT_EQ(pooled[std::size_t(((n * 4 + oy) * 4 + ox) * 4 + c)], best);
        }
      }
    }
  }
  // predict runs the fused op; layer_outputs' last entry the unfused pair.
  const auto probabilities = model.predict(data.samples());
  ASSERT_EQ(probabilities.size(), outputs.back().size());
  for (std::size_t i = 0; i < probabilities.size(); ++i) {
    EXPECT_NEAR(probabilities[i], outputs.back()[i], 1e-6);
  }
}

TEST_F(FusedConvPool, TheConvMapIsFormedOnlyForLayerOutputs) {
  // Training, evaluate and predict write the pooled map straight from the
  // fused op: their workspaces hold a placeholder for the conv's own map
  // (182 MB at the horses-or-humans model's batch 32), layer_outputs' the map.
  const Architecture architecture = Architecture::build(pooled_cnn(Padding::valid));
  Trainer trainer(architecture, Adam(), on(BackendKind::vulkan));
  const std::uint64_t before = trainer.device_bytes();
  Workspace& ws = trainer.workspace(3);
  const LayerPlan& conv = ws.plan.layers[0];
  ASSERT_TRUE(conv.fuses_next_pool);
  EXPECT_EQ(ws[conv.output].count(), 1);
  EXPECT_EQ(trainer.device_bytes(), before + ws.plan.bytes());
  Workspace& same = trainer.unsplit_workspace(3);
  EXPECT_EQ(&same, &ws);
  EXPECT_EQ(ws[conv.output].count(), 3 * 8 * 8 * 4);
  EXPECT_EQ(trainer.device_bytes(), before + ws.plan.bytes() + ws.plan.layer_outputs_bytes());
  trainer.unsplit_workspace(3);  // once
  EXPECT_EQ(trainer.device_bytes(), before + ws.plan.bytes() + ws.plan.layer_outputs_bytes());
}

TEST_F(FusedConvPool, LayerOutputsAfterPredictAtTheSameBatchFormTheConvMap) {
  const auto data = synthetic_images(3, 10, 4, 12);
  Sequential model(pooled_cnn(Padding::valid));
  model.compile(Adam(), on(BackendKind::vulkan));
  const auto probabilities = model.predict(data.samples());  // the workspace at batch 3 first
  const auto outputs = model.layer_outputs(data.samples());
  const auto& conv = outputs[0];
  ASSERT_EQ(conv.size(), 3u * 8 * 8 * 4);
  EXPECT_GT(*std::max_element(conv.begin(), conv.end()), 0.0f);
  for (std::size_t i = 0; i < probabilities.size(); ++i) {
    EXPECT_NEAR(probabilities[i], outputs.back()[i], 1e-6);
  }
}

}  // namespace
}  // namespace vknn::model
