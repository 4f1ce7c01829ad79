// The training step and the prediction step as op lists
// (Trainer::train_step_ops, predict_step_ops): what the plan's decisions
// (fusions, gradient routing, frozen layers) come to, op by op, pinned for
// the course model, so a lost fusion or a duplicated op shows by name.
#include <gtest/gtest.h>

#include <algorithm>
#include <string_view>
#include <vector>

#include "model/model_test_support.hpp"
#include "model/trainer.hpp"
#include "model/training_support.hpp"

namespace vknn::model {
namespace {

using testing::course_model;

std::vector<std::string_view> names(const OpList& ops) {
  std::vector<std::string_view> out;
  for (const backend::Op& op : ops) out.push_back(backend::name_of(op));
  return out;
}

struct CourseTrainer {
  Architecture architecture = Architecture::build(course_model(16));
  Trainer trainer{architecture, Adam(), vknn_test::on(BackendKind::cpu)};
  vknn_test::SyntheticImages images = vknn_test::synthetic_images(8, 28, 10, 1);
  DeviceDataset data = trainer.upload(images.samples(), images.labels, "data");
};

TEST(StepOps, CourseTrainingStepIsTheFusedListTheyPlanned) {
  CourseTrainer c;
  Workspace& ws = c.trainer.workspace(4);
  const std::vector<std::string_view> expected = {
      "gather_batch",
      // conv1 + relu + pool1 in one op; conv2 with its relu; pool2.
      "conv2d_relu_maxpool2d_forward", "conv2d_forward", "maxpool2d_forward",
      "dense_forward", "dense_forward",  // Flatten has no op
      "softmax_cross_entropy", "count_correct", "accumulate_metrics",
      // Backward: the last dense from the loss's gradient, then dense 1
      // through its own relu mask.
      "dense_backward_kernel", "dense_backward_bias", "dense_backward_input",
      "relu_backward", "dense_backward_kernel", "dense_backward_bias", "dense_backward_input",
      // pool2's backward applies conv2's relu mask; conv2's three gradients.
      "maxpool2d_backward", "conv2d_backward_kernel", "conv2d_backward_bias",
      "conv2d_backward_input",
      // conv1's gradients straight from pool1's gradient and the winners.
      "conv2d_relu_maxpool2d_backward_params",
      "adam_update", "adam_update", "adam_update", "adam_update", "adam_update", "adam_update",
      "adam_update", "adam_update", "advance_step"};
  EXPECT_EQ(names(c.trainer.train_step_ops(ws, c.data, 4, 4)), expected);
}

TEST(StepOps, AFrozenLayerKeepsItsBackwardButLosesItsUpdates) {
  CourseTrainer c;
  c.architecture.set_trainable(2, false);  // conv2d_1: its kernel and bias
  const auto ops = names(c.trainer.train_step_ops(c.trainer.workspace(4), c.data, 4, 4));
  EXPECT_EQ(std::count(ops.begin(), ops.end(), "adam_update"), 6);
  // Its gradients are still computed: conv1's need its input gradient.
  EXPECT_EQ(std::count(ops.begin(), ops.end(), "conv2d_backward_input"), 1);
  EXPECT_EQ(std::count(ops.begin(), ops.end(), "conv2d_relu_maxpool2d_backward_params"), 1);
}

TEST(StepOps, PredictionIsForwardThenProbabilitiesIntoTheirSlot) {
  CourseTrainer c;
  Workspace& ws = c.trainer.workspace(4);
  auto output = c.trainer.backend().tensor("output", backend::ElementType::f32, 8 * 10);
  const std::vector<std::string_view> expected = {
      "gather_batch",  "conv2d_relu_maxpool2d_forward", "conv2d_forward", "maxpool2d_forward",
      "dense_forward", "dense_forward", "softmax_forward", "store_batch", "advance_step"};
  EXPECT_EQ(names(c.trainer.predict_step_ops(ws, c.data, 4, 4, *output)), expected);
}

}  // namespace
}  // namespace vknn::model
