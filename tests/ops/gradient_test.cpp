// The op table's finite-difference mode: every entry of gradient_entries.cpp,
// its CPU reference backward in double against central differences of its
// forward (op_table.hpp says how; tests/cpu/gradient_check.hpp why the
// bound is 1e-6). Cases are named op__shape__finite_difference, e.g.
//   OpTable/FiniteDifference.MatchesTheCpuBackward/conv2d_linear__b1_5x5x1_to_1_k3x3_s1x1_valid__finite_difference
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <vector>

#include "backend/op.hpp"
#include "cpu/gradient_check.hpp"
#include "ops/op_table.hpp"

namespace vknn_test::op_table {
namespace {

namespace test = vknn::test;

struct GradientTarget {
  const GradientCase* gradient_case;
};

// What ctest and gtest print for a case.
void PrintTo(const GradientTarget& target, std::ostream* out) {
  *out << target.gradient_case->id() << " on the CPU reference in double";
}

std::vector<GradientTarget> all_gradient_targets() {
  std::vector<GradientTarget> targets;
  for (const GradientCase& c : all_gradient_cases()) targets.push_back({&c});
  return targets;
}

// The inputs as the entry draws them, seeded by the input's position so a
// rerun draws the same.
std::vector<double> draw(const GradientInput& input, std::uint64_t seed) {
  switch (input.draw) {
    case GradientInput::Draw::distinct:
      return test::distinct_values(input.count, seed);
    case GradientInput::Draw::away_from_zero: {
      auto magnitude = test::random_values(input.count, seed, 0.1, 1.0);
      const auto sign = test::random_values(input.count, seed + 100);
      for (std::size_t i = 0; i < magnitude.size(); ++i) {
        if (sign[i] < 0) magnitude[i] = -magnitude[i];
      }
      return magnitude;
    }
    case GradientInput::Draw::uniform:
      break;
  }
  return test::random_values(input.count, seed, input.low, input.high);
}

class FiniteDifference : public ::testing::TestWithParam<GradientTarget> {};

TEST_P(FiniteDifference, MatchesTheCpuBackward) {
  const GradientCase& c = *GetParam().gradient_case;
  Values inputs;
  for (std::size_t i = 0; i < c.inputs.size(); ++i) inputs.push_back(draw(c.inputs[i], 1 + i));
  const std::vector<double> r =
      c.constant_weight != 0.0 ? std::vector<double>(std::size_t(c.output_count), c.constant_weight)
                               : test::random_values(c.output_count, 99);
  ASSERT_EQ(c.forward(inputs).size(), r.size()) << "the entry's output_count";
  const Values analytic = c.backward(inputs, r);
  ASSERT_EQ(analytic.size(), inputs.size()) << "one gradient per input";
  int checked = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!c.inputs[i].differentiated) continue;
    const auto objective = [&] { return test::weighted_sum(c.forward(inputs), r); };
    EXPECT_TRUE(test::matches_numeric_gradient(analytic[i], inputs[i], objective))
        << "d" << c.inputs[i].name << " of " << c.id();
    ++checked;
  }
  EXPECT_GT(checked, 0) << "an entry with nothing to differentiate";
}

INSTANTIATE_TEST_SUITE_P(OpTable, FiniteDifference, ::testing::ValuesIn(all_gradient_targets()),
                         [](const ::testing::TestParamInfo<GradientTarget>& info) {
                           return info.param.gradient_case->id();
                         });

// Which finite-difference entries check the gradient each op computes or
// belongs to, and the ops without one with the reason: the one place that
// says so. The cross-check compares the Vulkan backward with the CPU one,
// which is only worth something if the CPU one is the gradient.
const std::map<std::string_view, std::vector<std::string_view>> kGradientEntriesOf = {
    {"conv2d_forward", {"conv2d_linear", "conv2d_relu"}},
    {"conv2d_backward_input", {"conv2d_linear"}},
    {"conv2d_backward_kernel", {"conv2d_linear"}},
    {"conv2d_backward_bias", {"conv2d_linear"}},
    {"maxpool2d_forward", {"maxpool2d"}},
    // With relu_mask: the same mask as conv's fused relu.
    {"maxpool2d_backward", {"maxpool2d", "conv2d_relu"}},
    // The entry runs the forward with winners, the backward from them and
    // the parameter gradients from this op's CPU reference.
    {"conv2d_relu_maxpool2d_forward", {"conv2d_relu_maxpool2d"}},
    {"maxpool2d_backward_from_winners", {"conv2d_relu_maxpool2d"}},
    {"conv2d_relu_maxpool2d_backward_params", {"conv2d_relu_maxpool2d"}},
    {"avgpool2d_forward", {"avgpool2d"}},
    {"avgpool2d_backward", {"avgpool2d"}},
    {"dense_forward", {"dense"}},
    {"dense_backward_input", {"dense"}},
    {"dense_backward_kernel", {"dense"}},
    {"dense_backward_bias", {"dense"}},
    {"dropout", {"dropout"}},  // its own backward: the same mask on dy
    {"relu_backward", {"relu"}},
    {"softmax_forward", {"softmax"}},
    {"softmax_cross_entropy", {"softmax_cross_entropy"}},
    {"sigmoid_cross_entropy", {"sigmoid_cross_entropy"}},
};
const std::map<std::string_view, std::string_view> kNoGradient = {
    {"gather_batch", "reads the dataset: nothing upstream of a batch is trained"},
    {"gather_float_batch", "reads the dataset: nothing upstream of a batch is trained"},
    {"gather_augmented_batch", "reads the dataset: nothing upstream of a batch is trained"},
    {"sigmoid_forward",
     "the prediction's probabilities; training differentiates the fused sigmoid_cross_entropy"},
    {"count_correct", "an integer metric"},
    {"binary_count_correct", "an integer metric"},
    {"accumulate_metrics", "metric totals the host reads"},
    {"weight_samples", "multiplies the loss and its gradient by given constants (the op table checks it)"},
    {"adam_update", "an optimizer update consumes gradients"},
    {"rmsprop_update", "an optimizer update consumes gradients"},
    {"sgd_update", "an optimizer update consumes gradients"},
    {"accumulate_gradient", "sums gradients between the backward and the update (the op table checks it)"},
    {"store_batch", "copies a prediction into the output"},
    {"advance_step", "moves the step state on"},
};

// Coverage from the variant: every alternative of Op (src/backend/op.hpp)
// names its finite-difference entries or why it has none.
TEST(FiniteDifferenceTable, CoversEveryBackward) {
  std::set<std::string_view> checked;
  for (const GradientCase& c : all_gradient_cases()) checked.insert(c.op);
  // Each elementwise function's forward and backward are checked by the
  // function's own entries (gradient_entries.cpp's add_elementwise).
  auto entries_of = kGradientEntriesOf;
  [&]<class... F>(vknn::backend::op::FunctionList<F...>) {
    ((entries_of[vknn::backend::op::ElementwiseForward<F>::name] = {F::name},
      entries_of[vknn::backend::op::ElementwiseBackward<F>::name] = {F::name}),
     ...);
  }(vknn::backend::op::ElementwiseFunctions{});
  const auto& ops = vknn::backend::kOpNames;
  for (std::string_view op : ops) {
    const auto entries = entries_of.find(op);
    const bool exempt = kNoGradient.count(op) > 0;
    if (entries == entries_of.end()) {
      EXPECT_TRUE(exempt) << "op::" << op
                          << " has no finite-difference entry: add one in "
                             "tests/ops/gradient_entries.cpp and name it in kGradientEntriesOf, "
                             "or list the op in kNoGradient with the reason it has no gradient";
      continue;
    }
    EXPECT_FALSE(exempt) << "op::" << op << " is in both kGradientEntriesOf and kNoGradient";
    for (std::string_view entry : entries->second) {
      EXPECT_TRUE(checked.count(entry)) << op << " has no finite-difference entry " << entry;
    }
  }
  // Names of ops that no longer exist would hide a renamed one.
  const auto is_op = [&](std::string_view name) {
    return std::find(ops.begin(), ops.end(), name) != ops.end();
  };
  for (const auto& [op, entries] : kGradientEntriesOf) EXPECT_TRUE(is_op(op)) << op << " is not an op";
  for (const auto& [op, reason] : kNoGradient) EXPECT_TRUE(is_op(op)) << op << " is not an op";
}

}  // namespace
}  // namespace vknn_test::op_table
