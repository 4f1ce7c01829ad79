// The execution plan: which tensors a step has and which fusions apply,
// decided once per (model, batch size). The trainer only follows it, so
// these tests pin the decisions themselves.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "model/architecture.hpp"
#include "model/plan.hpp"
#include "model/model_test_support.hpp"
#include "model/training_support.hpp"
#include "support/error_text.hpp"
#include "support/vulkan_fixture.hpp"
#include "vknn/model/sequential.hpp"

namespace vknn::model {
namespace {

using testing::course_model;

TEST(Plan, CourseModelFusesEachReluIntoThePoolingAfterIt) {
  const Architecture a = Architecture::build(course_model(16));
  const Plan plan = make_plan(a, 32);
  ASSERT_EQ(plan.layers.size(), 7u);
  // conv2d (relu) -> max_pooling2d: the pooling's backward applies the mask.
  EXPECT_EQ(plan.layers[0].linear_gradient_source, LinearGradientSource::next_layer);
  EXPECT_TRUE(plan.layers[1].applies_previous_relu_mask);
  EXPECT_EQ(plan.layers[1].input_gradient_target, plan.layers[0].linear_gradient);
  EXPECT_EQ(plan.layers[2].linear_gradient_source, LinearGradientSource::next_layer);
  EXPECT_TRUE(plan.layers[3].applies_previous_relu_mask);
  // dense (relu) after Flatten: a relu_backward of its own.
  EXPECT_EQ(plan.layers[5].linear_gradient_source, LinearGradientSource::relu_backward);
  // The last layer's gradient comes from the fused softmax + cross-entropy.
  EXPECT_EQ(plan.layers[6].linear_gradient_source, LinearGradientSource::loss);
  EXPECT_EQ(plan.layers[6].forward_activation, Activation::linear);
  EXPECT_EQ(plan.output_activation, Activation::softmax);
  EXPECT_EQ(plan.layers[6].user_output, plan.probabilities);
  EXPECT_EQ(plan.logits, plan.layers[6].output);
}

TEST(Plan, FirstLayerPassesNoGradientDown) {
  const Plan plan = make_plan(Architecture::build(course_model(16)), 4);
  EXPECT_FALSE(plan.layers[0].needs_input_gradient);
  EXPECT_EQ(plan.layers[0].input, plan.input);
  for (std::size_t l = 1; l < plan.layers.size(); ++l) {
    EXPECT_TRUE(plan.layers[l].needs_input_gradient) << l;
  }
}

TEST(Plan, FlattenAliasesTheTensorsOfTheLayerBefore) {
  const Plan plan = make_plan(Architecture::build(course_model(16)), 4);
  const LayerPlan& pool = plan.layers[3];
  const LayerPlan& flatten = plan.layers[4];
  EXPECT_EQ(flatten.output, pool.output);
  EXPECT_EQ(flatten.output_gradient, pool.output_gradient);
  EXPECT_EQ(flatten.linear_gradient_source, LinearGradientSource::none);
  // The Dense after the Flatten writes its input gradient into the pooling's.
  EXPECT_EQ(plan.layers[5].input_gradient_target, pool.output_gradient);
}

TEST(Plan, ParameterHandlesFollowTheArchitecturesParameterOrder) {
  const Architecture a = Architecture::build(course_model(16));
  const Plan plan = make_plan(a, 1);
  const auto specs = a.parameters();
  std::set<int> seen;
  for (const LayerPlan& lp : plan.layers) {
    if (lp.info->parameters.empty()) {
      EXPECT_FALSE(lp.parameters.any()) << lp.info->name;
      continue;
    }
    ASSERT_GE(lp.parameters.kernel, 0);
    ASSERT_GE(lp.parameters.bias, 0);
    EXPECT_EQ(specs[std::size_t(lp.parameters.kernel)].name, lp.info->name + "/kernel");
    EXPECT_EQ(specs[std::size_t(lp.parameters.bias)].name, lp.info->name + "/bias");
    seen.insert(lp.parameters.kernel);
    seen.insert(lp.parameters.bias);
  }
  EXPECT_EQ(seen.size(), specs.size());
}

TEST(Plan, LeadingPoolingGetsNoGradientTensors) {
  // Nothing below the first pooling has parameters, so no gradient flows
  // into it and none is planned for it.
  MaxPooling2D pool(Size2{2, 2});
  pool.input_shape = Shape{4, 4, 1};
  const Architecture a = Architecture::build({pool, Flatten(), Dense(3, Activation::softmax)});
  const Plan plan = make_plan(a, 2);
  EXPECT_EQ(plan.layers[0].output_gradient, kNoTensor);
  EXPECT_EQ(plan.layers[0].linear_gradient_source, LinearGradientSource::none);
  EXPECT_FALSE(plan.layers[2].needs_input_gradient);
  EXPECT_EQ(plan.layers[2].linear_gradient_source, LinearGradientSource::loss);
  // input, labels, pool output, dense output, its gradient, loss, correct,
  // sample weight, probabilities.
  EXPECT_EQ(plan.tensors.size(), 9u);
}

TEST(Plan, LinearHiddenLayerUsesItsOutputGradientDirectly) {
  const Architecture a = Architecture::build({
      Flatten(Shape{4, 4, 1}),
      Dense(8, Activation::linear),
      Dense(3, Activation::linear),
  });
  const Plan plan = make_plan(a, 2);
  EXPECT_EQ(plan.layers[1].linear_gradient_source, LinearGradientSource::output_gradient);
  EXPECT_EQ(plan.layers[1].linear_gradient, plan.layers[1].output_gradient);
  // A linear last layer: outputs are logits, no probabilities tensor.
  EXPECT_EQ(plan.output_activation, Activation::linear);
  EXPECT_EQ(plan.probabilities, kNoTensor);
  EXPECT_EQ(plan.layers[2].user_output, plan.layers[2].output);
  // Nothing below the first Dense has parameters: it passes no gradient.
  EXPECT_FALSE(plan.layers[1].needs_input_gradient);
  EXPECT_EQ(plan.layers[0].output_gradient, kNoTensor);
}

TEST(Plan, BytesCountEveryPlannedTensorButTheMapsOnlyLayerOutputsForms) {
  const Plan plan = make_plan(Architecture::build(course_model(64)), 32);
  std::uint64_t sum = 0;
  for (const auto& t : plan.tensors) {
    if (t.layer_outputs_only) continue;
    // u8 (the fused pool's winners) packed four to a word.
    sum += t.type == backend::ElementType::u8 ? (std::uint64_t(t.count) + 3) / 4 * 4
                                              : std::uint64_t(t.count) * 4;
  }
  EXPECT_EQ(plan.bytes(), sum);
  // conv2d output at batch 32: 32 x 26 x 26 x 64 floats, and the tensors
  // are named after their layers. The first conv fuses its pooling, so its
  // own map is formed only where layer_outputs asks for it.
  const PlannedTensor& conv1 = plan.tensor(plan.layers[0].output);
  EXPECT_EQ(conv1.count, 32 * 26 * 26 * 64);
  EXPECT_EQ(conv1.name, "conv2d output");
  EXPECT_TRUE(conv1.layer_outputs_only);
  EXPECT_EQ(plan.layer_outputs_bytes(), conv1.bytes());
  EXPECT_FALSE(plan.tensor(plan.layers[2].output).layer_outputs_only);  // conv2: not fused
}

TEST(Plan, RejectsANonPositiveBatch) {
  const Architecture a = Architecture::build(course_model(16));
  EXPECT_NE(vknn_test::error_of([&] { make_plan(a, 0); }).find("batch size must be positive"),
            std::string::npos);
}

// A model that does not fit the device is refused before any allocation,
// naming the bytes it needs and the device's heap.
class DeviceMemory : public vknn_test::VulkanTest {};

TEST_F(DeviceMemory, ModelTooBigForTheHeapIsRefusedWithTheBytes) {
  // 784 x 200,000 floats = 627 MB of kernel; with its gradient and Adam's two
  // moments 2.5 GB, over lavapipe's 2 GiB heap (and any heap under 2.5 GB).
  const std::uint64_t heap = vknn_test::largest_device_local_heap();
  if (heap > 2'400'000'000ull) GTEST_SKIP() << "this device's heap holds the model";
  Sequential model({Flatten(Shape{28, 28, 1}), Dense(200000, Activation::relu),
                    Dense(10, Activation::softmax)});
  CompileOptions options;
  options.context = vknn_test::shared_context();
  const std::string message = vknn_test::error_of([&] { model.compile(Adam(), options); });
  EXPECT_NE(message.find("not enough device memory"), std::string::npos) << message;
  EXPECT_NE(message.find("bytes"), std::string::npos) << message;
  EXPECT_NE(message.find(std::to_string(heap)), std::string::npos) << message;
  EXPECT_FALSE(model.compiled());

}

TEST_F(DeviceMemory, BatchTooBigForTheHeapTrainsInMicroBatches) {
  // The parameters (0.6 M) fit; a batch of 8192 does not: the hidden
  // layer's output, its gradient and its pre-activation gradient take
  // 3 x 8192 x 50,000 x 4 bytes = 4.9 GB. Keras's semantics stay: the
  // batch trains as micro-batches that fit, in one step (one update).
  Sequential model({Flatten(Shape{1, 1, 1}), Dense(50000, Activation::relu),
                    Dense(2, Activation::softmax)});
  CompileOptions options;
  options.context = vknn_test::shared_context();
  model.compile(SGD(0.01f), options);
  for (const auto& h : vknn_test::context().device_info().memory_heaps) {
    if (h.device_local && h.size > 5'000'000'000ull) GTEST_SKIP() << "this device holds the batch";
  }
  const int count = 8192;
  std::vector<std::uint8_t> pixels(count, 7), labels(count, 1);
  Samples x{pixels, count, {1, 1, 1}};
  const History h = model.fit(x, labels, {.batch_size = count, .verbose = 0});
  ASSERT_EQ(h.epoch.size(), 1u);
  const double loss = h.history.at("loss")[0];
  EXPECT_TRUE(std::isfinite(loss)) << loss;
  // One step from Keras's initial weights: every sample is the same, so
  // the loss is the first step's loss of any one of them, -log(p[1]) with
  // p about uniform over the 2 classes.
  EXPECT_NEAR(loss, std::log(2.0), 0.5);
}

}  // namespace
}  // namespace vknn::model
