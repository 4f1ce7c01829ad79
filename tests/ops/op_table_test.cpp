// The op-table harness: every entry of op_table_entries.cpp on the CPU
// reference backend and on the Vulkan backend (each kernel variant where
// the op has several), through the backend interface a model uses, so the
// adapters are tested along with the shaders. Cases are named
// op__shape/vulkan_variant, e.g.
//   OpTable/Crosscheck.MatchesTheCpuBackend/conv2d_backward_kernel__b32_28x28x1_to_64_k3x3_s1x1_valid__shared_tiled
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string_view>

#include "backend/backend.hpp"
#include "backend/op.hpp"
#include "ops/crosscheck.hpp"
#include "ops/op_table.hpp"
#include "ops/vulkan/conv2d_tiles.hpp"
#include "support/scoped_env.hpp"
#include "support/vulkan_fixture.hpp"

namespace vknn_test::op_table {
namespace {

using vknn::backend::Backend;
using vknn::backend::DeviceTensor;
using vknn::backend::ElementType;
using vknn::KernelVariant;

struct Target {
  const OpCase* op_case;
  KernelVariant kernels;
  std::string tiles = {};  // VKNN_CONV2D_TILES for the run; empty: unset
};

// What ctest and gtest print for a case.
void PrintTo(const Target& target, std::ostream* out) {
  *out << target.op_case->id() << " on Vulkan (" << vknn::variant_name(target.kernels)
       << " kernels" << (target.tiles.empty() ? "" : ", tiles " + target.tiles) << ")";
}

// conv2d's passes that run the tiled GEMM (the linear forward records what
// the relu one does but the activation).
bool runs_the_tiled_gemm(const OpCase& c) {
  return c.op == "conv2d_forward_relu" || c.op == "conv2d_backward_input" ||
         c.op == "conv2d_backward_kernel";
}

// Every configuration of the tuner's set, and for the kernel gradient two
// splits of its reduction: a few slices, and more slices than the small
// shapes have tile steps (empty slices must add nothing).
std::vector<std::string> tile_names(const OpCase& c) {
  std::vector<std::string> names;
  for (vknn::vk::ops::GemmTiles t : vknn::vk::ops::tile_set()) {
    names.push_back(t.name());
    if (c.op == "conv2d_backward_kernel" && (t.n == 64 || t.n == 4)) {
      t.split = t.n == 64 ? 4 : 64;
      names.push_back(t.name());
    }
  }
  return names;
}

std::vector<Target> all_targets() {
  std::vector<Target> targets;
  for (const OpCase& c : all_cases()) {
    if (c.has_kernel_variants) {
      targets.push_back({&c, KernelVariant::register_blocked});
      targets.push_back({&c, KernelVariant::shared_tiled});
      if (runs_the_tiled_gemm(c)) {
        for (const std::string& tiles : tile_names(c)) {
          targets.push_back({&c, KernelVariant::shared_tiled, tiles});
        }
      }
      if (c.has_winograd) targets.push_back({&c, KernelVariant::winograd});
    } else {
      targets.push_back({&c, KernelVariant::automatic});
    }
  }
  return targets;
}

std::string target_name(const ::testing::TestParamInfo<Target>& info) {
  return info.param.op_case->id() + "__" + vknn::variant_name(info.param.kernels) +
         (info.param.tiles.empty() ? "" : "_" + info.param.tiles);
}

std::size_t word_count(const TensorDesc& d) {
  return d.type == ElementType::u8 ? std::size_t(d.count + 3) / 4 : std::size_t(d.count);
}

// The initial contents of a tensor, as 32-bit words (u8 packed four to a
// word), seeded by the case and the tensor's position so both backends and
// every rerun get the same values.
std::vector<std::uint32_t> initial_words(const TensorDesc& d, std::uint32_t seed) {
  std::vector<std::uint32_t> words(word_count(d), 0u);
  std::mt19937 rng(seed);
  auto as_float = [&](std::size_t i, float v) { std::memcpy(&words[i], &v, 4); };
  switch (d.fill) {
    case Fill::uniform: {
      std::uniform_real_distribution<float> dist(d.low, d.high);
      for (std::size_t i = 0; i < words.size(); ++i) as_float(i, dist(rng));
      break;
    }
    case Fill::relu_output: {
      std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
      for (std::size_t i = 0; i < words.size(); ++i) as_float(i, std::max(0.0f, dist(rng)));
      break;
    }
    case Fill::levels:
    case Fill::negative_levels: {
      std::uniform_real_distribution<float> dist(0.0f, 1.0f);
      for (std::size_t i = 0; i < words.size(); ++i) {
        const float level = std::floor(dist(rng) * 4.0f) / 4.0f;  // 0, 0.25, 0.5, 0.75
        as_float(i, d.fill == Fill::levels ? 2.0f * level - 0.75f : -1.0f - level);
      }
      break;
    }
    case Fill::labels:
      if (d.type == ElementType::u8) {
        auto* bytes = reinterpret_cast<std::uint8_t*>(words.data());
        for (std::int64_t i = 0; i < d.count; ++i) bytes[i] = std::uint8_t(rng() % d.classes);
      } else {
        for (auto& w : words) w = rng() % std::uint32_t(d.classes);
      }
      break;
    case Fill::pixels: {
      auto* bytes = reinterpret_cast<std::uint8_t*>(words.data());
      for (std::int64_t i = 0; i < d.count; ++i) bytes[i] = std::uint8_t(rng());
      // Every byte value somewhere, 0 and 255 included.
      for (std::int64_t i = 0; i < std::min<std::int64_t>(d.count, 256); ++i) bytes[i] = std::uint8_t(i);
      break;
    }
    case Fill::identity:
      for (std::size_t i = 0; i < words.size(); ++i) words[i] = std::uint32_t(i);
      break;
    case Fill::reversed:
      for (std::size_t i = 0; i < words.size(); ++i) words[i] = std::uint32_t(words.size() - 1 - i);
      break;
    case Fill::step_state:
      std::memcpy(words.data(), &d.state, sizeof d.state);
      break;
    case Fill::zeros:
      break;
    case Fill::sentinel:
      for (std::size_t i = 0; i < words.size(); ++i) {
        if (d.type == ElementType::f32) {
          as_float(i, -12345.0f);
        } else {
          words[i] = 0xdeadbeefu;
        }
      }
      break;
  }
  return words;
}

// Runs the case on `backend` and returns every tensor's final words.
std::vector<std::vector<std::uint32_t>> run(Backend& backend, const OpCase& c) {
  std::vector<std::unique_ptr<DeviceTensor>> owned;
  Tensors tensors;
  for (std::size_t i = 0; i < c.tensors.size(); ++i) {
    const TensorDesc& d = c.tensors[i];
    owned.push_back(d.dataset_sample_size > 0
                        ? backend.float_dataset(d.name, d.dataset_sample_size,
                                                d.count / d.dataset_sample_size,
                                                d.max_chunk_samples)
                        : backend.tensor(d.name, d.type, d.count));
    const auto words = initial_words(d, std::uint32_t(std::hash<std::string>{}(c.id()) + i));
    backend.write(*owned.back(), words.data(), words.size() * 4);
    tensors.push_back(owned.back().get());
  }
  auto builder = backend.build(c.id());
  c.build(*builder, tensors);
  auto program = builder->finish();
  for (int launch = 0; launch < c.launches; ++launch) program->launch(launch + 1 == c.launches);
  backend.synchronize();
  std::vector<std::vector<std::uint32_t>> results;
  for (std::size_t i = 0; i < c.tensors.size(); ++i) {
    std::vector<std::uint32_t> words(word_count(c.tensors[i]));
    backend.read(*owned[i], words.data(), words.size() * 4);
    results.push_back(std::move(words));
  }
  return results;
}

std::vector<float> as_floats(const std::vector<std::uint32_t>& words) {
  std::vector<float> values(words.size());
  std::memcpy(values.data(), words.data(), words.size() * 4);
  return values;
}

void expect_same_totals(const std::vector<std::uint32_t>& vulkan,
                        const std::vector<std::uint32_t>& cpu, double tolerance,
                        const std::string& what) {
  vknn::MetricTotals v, c;
  std::memcpy(&v, vulkan.data(), sizeof v);
  std::memcpy(&c, cpu.data(), sizeof c);
  EXPECT_EQ(v.samples, c.samples) << what;
  EXPECT_EQ(v.correct, c.correct) << what;
  EXPECT_NEAR(v.summed_loss(), c.summed_loss(), tolerance * std::max(1.0, std::fabs(c.summed_loss())))
      << what;
  // Under sample weights: the weighted correct count and the weights' sum
  // (zero in both when unweighted).
  const auto kahan = [](float sum, float compensation) { return double(sum) - double(compensation); };
  const double v_correct = kahan(v.weighted_correct, v.weighted_correct_compensation);
  const double c_correct = kahan(c.weighted_correct, c.weighted_correct_compensation);
  const double v_weights = kahan(v.weight_sum, v.weight_compensation);
  const double c_weights = kahan(c.weight_sum, c.weight_compensation);
  EXPECT_NEAR(v_correct, c_correct, tolerance * std::max(1.0, std::fabs(c_correct))) << what;
  EXPECT_NEAR(v_weights, c_weights, tolerance * std::max(1.0, std::fabs(c_weights))) << what;
}

class Crosscheck : public VulkanTest, public ::testing::WithParamInterface<Target> {};

TEST_P(Crosscheck, MatchesTheCpuBackend) {
  const OpCase& c = *GetParam().op_case;
  const ScopedEnv tiles("VKNN_CONV2D_TILES",
                        GetParam().tiles.empty() ? nullptr : GetParam().tiles.c_str());
  auto cpu_backend = vknn::backend::make_cpu_backend();
  auto vulkan_backend = vknn::backend::make_vulkan_backend(context(), GetParam().kernels);
  const auto expected = run(*cpu_backend, c);
  const auto actual = run(*vulkan_backend, c);
  for (std::size_t i = 0; i < c.tensors.size(); ++i) {
    const TensorDesc& d = c.tensors[i];
    if (!d.output) continue;
    const std::string what = c.id() + " output '" + d.name + "'";
    if (d.metric_totals) {
      expect_same_totals(actual[i], expected[i], c.tolerance, what);
    } else if (d.type == ElementType::f32 && d.fill != Fill::step_state) {
      // The sentinel must be gone from the reference too, or the entry
      // declares an output the op does not write.
      expect_close(as_floats(actual[i]), as_floats(expected[i]), c.tolerance, what);
    } else {
      EXPECT_EQ(actual[i], expected[i]) << what;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(OpTable, Crosscheck, ::testing::ValuesIn(all_targets()), target_name);

// The names of the ops a case records, found by running its build on a
// builder that only notes them: nothing is allocated or executed, so this
// sees what the case really records, not what its label says.
std::set<std::string_view> recorded_ops(const OpCase& c) {
  class NameCollector final : public vknn::backend::ProgramBuilder {
   public:
    void record(const vknn::backend::Op& op) override { names.insert(vknn::backend::name_of(op)); }
    std::unique_ptr<vknn::backend::Program> finish() override { return nullptr; }
    std::set<std::string_view> names;
  };
  std::vector<std::unique_ptr<DeviceTensor>> placeholders;
  Tensors tensors;
  for (const TensorDesc& d : c.tensors) {
    placeholders.push_back(std::make_unique<DeviceTensor>(d.name, d.type, d.count));
    tensors.push_back(placeholders.back().get());
  }
  NameCollector collector;
  c.build(collector, tensors);
  return collector.names;
}

// Coverage from the variant: every alternative of Op (src/backend/op.hpp)
// is recorded by some case, so a new op without entries fails here.
TEST(OpTableEntries, CoverEveryOpOfTheVariant) {
  std::set<std::string_view> recorded;
  for (const OpCase& c : all_cases()) {
    const auto names = recorded_ops(c);
    EXPECT_FALSE(names.empty()) << c.id() << " records no op";
    recorded.insert(names.begin(), names.end());
  }
  for (std::string_view op : vknn::backend::kOpNames) {
    EXPECT_TRUE(recorded.count(op))
        << "no op-table entry records op::" << op
        << " (src/backend/op.hpp): add its cases in tests/ops/op_table_entries.cpp";
  }
}

// The table itself: case names are unique (gtest would refuse duplicates
// only at run time), every case compares something, and the entries reach
// each setting of an op that takes another path through its kernels (the
// variant says which ops exist; these labels say which settings of them).
TEST(OpTableEntries, CoverEveryOptionWithUniqueNames) {
  std::set<std::string> ids, ops;
  for (const OpCase& c : all_cases()) {
    EXPECT_TRUE(ids.insert(c.id()).second) << "duplicate case " << c.id();
    ops.insert(c.op);
    bool any_output = false;
    for (const auto& t : c.tensors) any_output |= t.output;
    EXPECT_TRUE(any_output) << c.id() << " compares nothing";
  }
  for (const char* op :
       {"conv2d_forward_linear", "conv2d_forward_relu", "dense_forward_linear", "dense_forward_relu",
        "maxpool2d_backward", "maxpool2d_backward_relu_mask",
        "conv2d_relu_maxpool2d_forward",     // no winners: prediction
        "conv2d_relu_maxpool2d_training",    // winners, then the backward from them
        "sgd_update", "sgd_update_momentum", "rmsprop_update", "rmsprop_update_momentum",
        "accumulate_metrics_weighted", "gather_augmented_batch_all_nearest",
        "gather_augmented_batch_all_reflect", "gather_augmented_batch_all_wrap",
        "gather_augmented_batch_all_constant"}) {
    EXPECT_TRUE(ops.count(op)) << "no op-table entry for " << op;
  }
}

}  // namespace
}  // namespace vknn_test::op_table
