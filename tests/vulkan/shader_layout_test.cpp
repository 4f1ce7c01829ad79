// Every shader's interface as the C++ dispatchers see it, against what
// glslang compiled: the push-constant block's size and each member's offset
// (matched by name, so a field reordered on either side fails), and the
// specialization constant ids the C++ names. A new shader fails the first
// test until it has a row in the table below.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backend/op.hpp"
#include "support/error_text.hpp"
#include "support/vulkan_fixture.hpp"
#include "vknn/error.hpp"
#include "vulkan/axpy_pipeline.hpp"
#include "ops/vulkan/activations_shaders.hpp"
#include "ops/vulkan/augmented_gather_shaders.hpp"
#include "ops/vulkan/conv2d_shaders.hpp"
#include "ops/vulkan/conv2d_relu_maxpool2d_shaders.hpp"
#include "ops/vulkan/dense_shaders.hpp"
#include "ops/vulkan/sum_slices.hpp"
#include "ops/vulkan/elementwise.hpp"
#include "ops/vulkan/fma_peak_shader.hpp"
#include "ops/vulkan/maxpool2d_shaders.hpp"
#include "ops/vulkan/training_shaders.hpp"
#include "vulkan/pipeline.hpp"
#include "vulkan/shader_registry.hpp"
#include "vulkan/spirv_reflect.hpp"

namespace {

namespace ops = vknn::vk::ops;
using vknn_test::error_of;

struct Field {
  std::string_view name;  // the GLSL member's name
  std::size_t offset;     // offsetof in the C++ struct
};
#define VKNN_FIELD(Struct, member) Field{#member, offsetof(Struct, member)}

struct Expected {
  std::string_view shader;
  std::size_t push_size = 0;  // sizeof the C++ struct; 0: the shader has no push block
  std::vector<Field> fields;
  std::vector<std::uint32_t> spec_ids;  // the shader's own ids (>= 3) the C++ sets
};

std::vector<Field> conv2d_fields() {
  using P = ops::Conv2DPush;
  return {VKNN_FIELD(P, batch),    VKNN_FIELD(P, in_h),     VKNN_FIELD(P, in_w),
          VKNN_FIELD(P, in_c),     VKNN_FIELD(P, out_h),    VKNN_FIELD(P, out_w),
          VKNN_FIELD(P, out_c),    VKNN_FIELD(P, kernel_h), VKNN_FIELD(P, kernel_w),
          VKNN_FIELD(P, stride_h), VKNN_FIELD(P, stride_w), VKNN_FIELD(P, pad_top),
          VKNN_FIELD(P, pad_left), VKNN_FIELD(P, relu)};
}

std::vector<Field> pool_fields() {
  using P = ops::PoolPush;
  return {VKNN_FIELD(P, batch),    VKNN_FIELD(P, in_h),     VKNN_FIELD(P, in_w),
          VKNN_FIELD(P, channels), VKNN_FIELD(P, out_h),    VKNN_FIELD(P, out_w),
          VKNN_FIELD(P, pool_h),   VKNN_FIELD(P, pool_w),   VKNN_FIELD(P, stride_h),
          VKNN_FIELD(P, stride_w), VKNN_FIELD(P, pad_top),  VKNN_FIELD(P, pad_left)};
}

std::vector<Field> conv_relu_pool_fields() {
  using P = ops::ConvReluPoolPush;
  return {VKNN_FIELD(P, batch),  VKNN_FIELD(P, in_h),  VKNN_FIELD(P, in_w),
          VKNN_FIELD(P, channels), VKNN_FIELD(P, map_h), VKNN_FIELD(P, map_w),
          VKNN_FIELD(P, out_h), VKNN_FIELD(P, out_w), VKNN_FIELD(P, pad_top),
          VKNN_FIELD(P, pad_left)};
}

std::vector<Field> gemm_fields() {
  using P = ops::GemmPush;
  return {VKNN_FIELD(P, M), VKNN_FIELD(P, N), VKNN_FIELD(P, K)};
}

std::vector<Field> row_fields() {
  using P = ops::RowPush;
  return {VKNN_FIELD(P, batch), VKNN_FIELD(P, classes)};
}

std::vector<Field> softmax_fields() {
  using P = ops::SoftmaxPush;
  return {VKNN_FIELD(P, batch), VKNN_FIELD(P, classes)};
}

// Every elementwise function's shader (src/backend/op.hpp's list) shares
// elementwise.glsl's interface: its rows come from the list, not by hand.
std::vector<Expected> with_elementwise_functions(std::vector<Expected> rows) {
  using P = ops::ElementwisePush;
  for (std::string_view function : vknn::backend::kElementwiseFunctionNames) {
    rows.push_back({function,
                    sizeof(P),
                    {VKNN_FIELD(P, count), VKNN_FIELD(P, p0), VKNN_FIELD(P, p1), VKNN_FIELD(P, p2),
                     VKNN_FIELD(P, p3)},
                    {ops::ElementwiseSpec::backward}});
  }
  return rows;
}

const std::vector<Expected>& table() {
  using ops::Conv2DBackwardBiasSpec;
  using ops::Conv2DBackwardInputSpec;
  using ops::Conv2DBackwardKernelSpec;
  using ops::Conv2DForwardSpec;
  using ops::Conv2DTiledSpec;
  using ops::Conv2DWinogradSpec;
  using ops::Conv2DWinogradKernelGradSpec;
  using ops::GemmSpec;
  const std::vector<std::uint32_t> tiled = {
      Conv2DTiledSpec::tile_m,   Conv2DTiledSpec::tile_n,   Conv2DTiledSpec::tile_k,
      Conv2DTiledSpec::thread_m, Conv2DTiledSpec::thread_n, Conv2DTiledSpec::a_depth_fastest,
      Conv2DTiledSpec::split_k};
  const std::vector<std::uint32_t> gemm = {GemmSpec::transpose_a, GemmSpec::transpose_b,
                                           GemmSpec::has_bias, GemmSpec::relu};
  auto with = [](std::vector<std::uint32_t> a, std::vector<std::uint32_t> b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  constexpr std::size_t conv = sizeof(ops::Conv2DPush);
  static const std::vector<Expected> rows = with_elementwise_functions(std::vector<Expected>{
      {"accumulate_gradient",
       sizeof(ops::ElementCountPush),
       {VKNN_FIELD(ops::ElementCountPush, count)},
       {}},
      {"axpy",
       sizeof(vknn_test::AxpyPush),
       {VKNN_FIELD(vknn_test::AxpyPush, count), VKNN_FIELD(vknn_test::AxpyPush, alpha)},
       {}},
      {"bandwidth_peak",
       sizeof(ops::BandwidthPeakPush),
       {VKNN_FIELD(ops::BandwidthPeakPush, count)},
       {}},
      {"conv2d_relu_maxpool2d_forward", sizeof(ops::ConvReluPoolPush), conv_relu_pool_fields(),
       {ops::ConvReluPoolSpec::pool_h, ops::ConvReluPoolSpec::pool_w,
        ops::ConvReluPoolSpec::oc_vec4, ops::ConvReluPoolSpec::kernel_h,
        ops::ConvReluPoolSpec::kernel_w, ops::ConvReluPoolSpec::conv_stride_h,
        ops::ConvReluPoolSpec::conv_stride_w, ops::ConvReluPoolSpec::channel_vecs,
        ops::ConvReluPoolSpec::windows, ops::ConvReluPoolSpec::write_winners,
        ops::ConvReluPoolSpec::channels, ops::ConvReluPoolSpec::in_c}},
      {"conv2d_relu_maxpool2d_backward_params", sizeof(ops::ConvReluPoolPush),
       conv_relu_pool_fields(),
       {ops::ConvReluPoolSpec::pool_h, ops::ConvReluPoolSpec::pool_w,
        ops::ConvReluPoolSpec::oc_vec4, ops::ConvReluPoolSpec::kernel_h,
        ops::ConvReluPoolSpec::kernel_w, ops::ConvReluPoolSpec::conv_stride_h,
        ops::ConvReluPoolSpec::conv_stride_w, ops::ConvReluPoolParamsSpec::channel_vecs,
        ops::ConvReluPoolParamsSpec::slices, ops::ConvReluPoolParamsSpec::channels,
        ops::ConvReluPoolSpec::in_c}},
      {"maxpool2d_backward_from_winners", sizeof(ops::ConvReluPoolPush), conv_relu_pool_fields(),
       {ops::ConvReluPoolSpec::pool_h, ops::ConvReluPoolSpec::pool_w,
        ops::ConvReluPoolSpec::oc_vec4}},
      {"conv2d_forward", conv, conv2d_fields(),
       {Conv2DForwardSpec::pixels, Conv2DForwardSpec::channel_vecs, Conv2DForwardSpec::ic_vec4,
        Conv2DForwardSpec::oc_vec4, Conv2DForwardSpec::share_subgroup}},
      {"conv2d_backward_input", conv, conv2d_fields(),
       {Conv2DBackwardInputSpec::pixels, Conv2DBackwardInputSpec::channels,
        Conv2DBackwardInputSpec::oc_vec4, Conv2DBackwardInputSpec::share_subgroup,
        Conv2DBackwardInputSpec::unit_stride}},
      {"conv2d_backward_kernel", conv, conv2d_fields(),
       {Conv2DBackwardKernelSpec::rows, Conv2DBackwardKernelSpec::channel_vecs,
        Conv2DBackwardKernelSpec::row_vec4, Conv2DBackwardKernelSpec::oc_vec4,
        Conv2DBackwardKernelSpec::share_subgroup}},
      {"conv2d_winograd", conv, conv2d_fields(),
       {Conv2DWinogradSpec::tiles, Conv2DWinogradSpec::channel_vecs,
        Conv2DWinogradSpec::share_subgroup, Conv2DWinogradSpec::backward_input}},
      {"conv2d_winograd_backward_kernel", conv, conv2d_fields(),
       {Conv2DWinogradKernelGradSpec::channel_vecs, Conv2DWinogradKernelGradSpec::share_subgroup}},
      {"conv2d_backward_bias", conv, conv2d_fields(),
       {Conv2DBackwardBiasSpec::variant, Conv2DBackwardBiasSpec::oc_vec4,
        Conv2DBackwardBiasSpec::split}},
      {"avgpool2d_forward", sizeof(ops::PoolPush), pool_fields(), {}},
      {"avgpool2d_backward", sizeof(ops::PoolPush), pool_fields(), {}},
      {"conv2d_forward_tiled", conv, conv2d_fields(), tiled},
      {"conv2d_backward_input_tiled", conv, conv2d_fields(), tiled},
      {"conv2d_backward_kernel_tiled", conv, conv2d_fields(), tiled},
      {"dense_bias_grad",
       sizeof(ops::DenseBiasGradPush),
       {VKNN_FIELD(ops::DenseBiasGradPush, batch),
        VKNN_FIELD(ops::DenseBiasGradPush, out_features)},
       {}},
      {"dense_gemm_blocked", sizeof(ops::GemmPush), gemm_fields(),
       with(gemm, {ops::GemmBlockedSpec::rows, ops::GemmBlockedSpec::columns,
                   ops::GemmBlockedSpec::vec4_a, ops::GemmBlockedSpec::vec4_b,
                   ops::GemmBlockedSpec::vec4_c})},
      {"dense_gemm_shuffle", sizeof(ops::GemmPush), gemm_fields(),
       with(gemm, {ops::GemmShuffleSpec::rows, ops::GemmShuffleSpec::column_vecs,
                   ops::GemmShuffleSpec::vec4_a, ops::GemmShuffleSpec::vec4_b,
                   ops::GemmShuffleSpec::vec4_c, ops::GemmShuffleSpec::share_subgroup})},
      {"dense_gemm_tiled", sizeof(ops::GemmPush), gemm_fields(),
       with(gemm, {ops::GemmTiledSpec::tile_m, ops::GemmTiledSpec::tile_n,
                   ops::GemmTiledSpec::tile_k})},
      {"dropout",
       sizeof(ops::DropoutPush),
       {VKNN_FIELD(ops::DropoutPush, count), VKNN_FIELD(ops::DropoutPush, threshold),
        VKNN_FIELD(ops::DropoutPush, scale), VKNN_FIELD(ops::DropoutPush, seed_lo),
        VKNN_FIELD(ops::DropoutPush, seed_hi), VKNN_FIELD(ops::DropoutPush, first_element)},
       {}},
      {"fma_peak",
       sizeof(ops::FmaPeakPush),
       {VKNN_FIELD(ops::FmaPeakPush, iterations)},
       {ops::FmaPeakSpec::chains}},
      {"gather_batch",
       sizeof(ops::GatherPush),
       {VKNN_FIELD(ops::GatherPush, sample_size), VKNN_FIELD(ops::GatherPush, batch_size),
        VKNN_FIELD(ops::GatherPush, count), VKNN_FIELD(ops::GatherPush, sample_capacity),
        VKNN_FIELD(ops::GatherPush, order_length), VKNN_FIELD(ops::GatherPush, first)},
       {}},
      {"gather_augmented_batch",
       sizeof(ops::AugmentedGatherPush),
       {VKNN_FIELD(ops::AugmentedGatherPush, height), VKNN_FIELD(ops::AugmentedGatherPush, width),
        VKNN_FIELD(ops::AugmentedGatherPush, channels),
        VKNN_FIELD(ops::AugmentedGatherPush, batch_size), VKNN_FIELD(ops::AugmentedGatherPush, first),
        VKNN_FIELD(ops::AugmentedGatherPush, count),
        VKNN_FIELD(ops::AugmentedGatherPush, sample_capacity),
        VKNN_FIELD(ops::AugmentedGatherPush, order_length),
        VKNN_FIELD(ops::AugmentedGatherPush, samples_per_chunk),
        VKNN_FIELD(ops::AugmentedGatherPush, seed_lo), VKNN_FIELD(ops::AugmentedGatherPush, seed_hi),
        VKNN_FIELD(ops::AugmentedGatherPush, flags), VKNN_FIELD(ops::AugmentedGatherPush, fill_mode),
        VKNN_FIELD(ops::AugmentedGatherPush, rotation_range),
        VKNN_FIELD(ops::AugmentedGatherPush, width_shift),
        VKNN_FIELD(ops::AugmentedGatherPush, height_shift),
        VKNN_FIELD(ops::AugmentedGatherPush, shear_range),
        VKNN_FIELD(ops::AugmentedGatherPush, zoom_lo), VKNN_FIELD(ops::AugmentedGatherPush, zoom_hi),
        VKNN_FIELD(ops::AugmentedGatherPush, cval),
        VKNN_FIELD(ops::AugmentedGatherPush, inverse_rows),
        VKNN_FIELD(ops::AugmentedGatherPush, inverse_cols)},
       {ops::AugmentedGatherSpec::float_values}},
      {"gather_float_batch",
       sizeof(ops::GatherFloatPush),
       {VKNN_FIELD(ops::GatherFloatPush, sample_size), VKNN_FIELD(ops::GatherFloatPush, batch_size),
        VKNN_FIELD(ops::GatherFloatPush, count), VKNN_FIELD(ops::GatherFloatPush, sample_capacity),
        VKNN_FIELD(ops::GatherFloatPush, order_length),
        VKNN_FIELD(ops::GatherFloatPush, samples_per_chunk), VKNN_FIELD(ops::GatherFloatPush, first)},
       {}},
      {"loss_from_probabilities", sizeof(ops::RowPush), row_fields(), {}},
      {"loss_softmax_cross_entropy",
       sizeof(ops::SoftmaxCrossEntropyPush),
       {VKNN_FIELD(ops::SoftmaxCrossEntropyPush, batch),
        VKNN_FIELD(ops::SoftmaxCrossEntropyPush, classes),
        VKNN_FIELD(ops::SoftmaxCrossEntropyPush, gradient_divisor)},
       {}},
      {"loss_sigmoid_cross_entropy",
       sizeof(ops::SigmoidCrossEntropyPush),
       {VKNN_FIELD(ops::SigmoidCrossEntropyPush, batch),
        VKNN_FIELD(ops::SigmoidCrossEntropyPush, gradient_divisor)},
       {}},
      {"maxpool2d_forward", sizeof(ops::PoolPush), pool_fields(),
       {ops::PoolSpec::channel_width, ops::PoolSpec::relu_mask, ops::PoolSpec::winners}},
      {"maxpool2d_backward", sizeof(ops::PoolPush), pool_fields(), {ops::PoolSpec::relu_mask}},
      {"maxpool2d_backward_scatter", sizeof(ops::PoolPush), pool_fields(),
       {ops::PoolSpec::channel_width, ops::PoolSpec::relu_mask}},
      {"metrics_accumulate",
       sizeof(ops::AccumulatePush),
       {VKNN_FIELD(ops::AccumulatePush, count), VKNN_FIELD(ops::AccumulatePush, weighted)},
       {}},
      {"metrics_count_correct", sizeof(ops::RowPush), row_fields(), {}},
      {"metrics_count_correct_binary",
       sizeof(ops::ElementCountPush),
       {VKNN_FIELD(ops::ElementCountPush, count)},
       {}},
      {"optimizer_adam",
       sizeof(ops::AdamPush),
       {VKNN_FIELD(ops::AdamPush, count), VKNN_FIELD(ops::AdamPush, beta_1),
        VKNN_FIELD(ops::AdamPush, beta_2), VKNN_FIELD(ops::AdamPush, epsilon)},
       {}},
      {"optimizer_rmsprop",
       sizeof(ops::RmspropPush),
       {VKNN_FIELD(ops::RmspropPush, count), VKNN_FIELD(ops::RmspropPush, rho),
        VKNN_FIELD(ops::RmspropPush, one_minus_rho), VKNN_FIELD(ops::RmspropPush, momentum),
        VKNN_FIELD(ops::RmspropPush, epsilon)},
       {ops::RmspropSpec::has_momentum}},
      {"optimizer_sgd",
       sizeof(ops::SgdPush),
       {VKNN_FIELD(ops::SgdPush, count), VKNN_FIELD(ops::SgdPush, momentum)},
       {ops::SgdSpec::has_velocity}},
      {"relu", sizeof(ops::ReluPush), {VKNN_FIELD(ops::ReluPush, count)}, {ops::ReluSpec::backward}},
      {"sigmoid_forward",
       sizeof(ops::ElementCountPush),
       {VKNN_FIELD(ops::ElementCountPush, count)},
       {}},
      {"softmax_shared", sizeof(ops::SoftmaxPush), softmax_fields(), {ops::SoftmaxSpec::backward}},
      {"softmax_subgroup", sizeof(ops::SoftmaxPush), softmax_fields(),
       {ops::SoftmaxSpec::backward}},
      {"step_advance", 0, {}, {}},
      {"sum_slices",
       sizeof(ops::SumSlicesPush),
       {VKNN_FIELD(ops::SumSlicesPush, count), VKNN_FIELD(ops::SumSlicesPush, slices),
        VKNN_FIELD(ops::SumSlicesPush, slice_size), VKNN_FIELD(ops::SumSlicesPush, first)},
       {ops::SumSlicesSpec::vec4}},
      {"store_batch",
       sizeof(ops::StoreBatchPush),
       {VKNN_FIELD(ops::StoreBatchPush, count), VKNN_FIELD(ops::StoreBatchPush, stride),
        VKNN_FIELD(ops::StoreBatchPush, destination_count), VKNN_FIELD(ops::StoreBatchPush, first)},
       {}},
      {"weight_samples",
       sizeof(ops::WeightSamplesPush),
       {VKNN_FIELD(ops::WeightSamplesPush, batch_size), VKNN_FIELD(ops::WeightSamplesPush, count),
        VKNN_FIELD(ops::WeightSamplesPush, classes),
        VKNN_FIELD(ops::WeightSamplesPush, sample_capacity),
        VKNN_FIELD(ops::WeightSamplesPush, order_length), VKNN_FIELD(ops::WeightSamplesPush, first)},
       {}},
  });
  return rows;
}

const Expected* row_for(std::string_view shader) {
  // <name>_texel is <name> built to read through texels (texel_reads.glsl):
  // the same push block and constants.
  constexpr std::string_view kTexel = "_texel";
  if (shader.ends_with(kTexel)) shader.remove_suffix(kTexel.size());
  for (const Expected& row : table()) {
    if (row.shader == shader) return &row;
  }
  return nullptr;
}

TEST(ShaderLayout, EveryEmbeddedShaderHasARowAndEveryRowAShader) {
  const std::vector<std::string> names = vknn::vk::embedded_shader_names();
  for (const std::string& name : names) {
    EXPECT_NE(row_for(name), nullptr)
        << "shaders/" << name << ".comp has no row in shader_layout_test.cpp's table";
  }
  for (const Expected& row : table()) {
    EXPECT_NE(std::find(names.begin(), names.end(), row.shader), names.end())
        << "the table names " << row.shader << ", which is not an embedded shader";
  }
}

TEST(ShaderLayout, PushBlocksMatchTheCppStructsMemberByMember) {
  for (const Expected& row : table()) {
    SCOPED_TRACE("shaders/" + std::string(row.shader) + ".comp");
    const vknn::vk::ShaderInterface& shader = vknn::vk::embedded_shader_interface(row.shader);
    ASSERT_EQ(shader.has_push_constants, row.push_size > 0);
    if (!shader.has_push_constants) continue;
    const vknn::vk::PushConstantBlock& block = shader.push_constants;
    EXPECT_EQ(block.size, row.push_size) << "block " << block.type_name << " vs sizeof";
    ASSERT_EQ(block.members.size(), row.fields.size()) << "block " << block.type_name;
    for (const Field& field : row.fields) {
      const auto member =
          std::find_if(block.members.begin(), block.members.end(),
                       [&](const vknn::vk::PushConstantMember& m) { return m.name == field.name; });
      ASSERT_NE(member, block.members.end())
          << "the GLSL block " << block.type_name << " has no member '" << field.name << "'";
      EXPECT_EQ(member->offset, field.offset)
          << "member '" << field.name << "': GLSL offset " << member->offset
          << ", C++ offsetof " << field.offset;
    }
  }
}

TEST(ShaderLayout, SpecializationConstantIdsMatchTheNamedOnes) {
  for (const Expected& row : table()) {
    SCOPED_TRACE("shaders/" + std::string(row.shader) + ".comp");
    const vknn::vk::ShaderInterface& shader = vknn::vk::embedded_shader_interface(row.shader);
    // Every pipeline sets the workgroup size through ids 0, 1, 2.
    for (std::uint32_t id : {0u, 1u, 2u}) {
      EXPECT_TRUE(shader.declares_spec_constant(id)) << "workgroup size id " << id;
    }
    std::set<std::uint32_t> declared;
    for (std::uint32_t id : shader.spec_constant_ids) {
      if (id >= vknn::vk::kFirstShaderConstantId) declared.insert(id);
    }
    const std::set<std::uint32_t> named(row.spec_ids.begin(), row.spec_ids.end());
    EXPECT_EQ(named.size(), row.spec_ids.size()) << "an id is named twice";
    for (std::uint32_t id : named) {
      EXPECT_TRUE(declared.count(id)) << "the C++ names id " << id << ", the shader lacks it";
    }
    for (std::uint32_t id : declared) {
      EXPECT_TRUE(named.count(id)) << "the shader declares id " << id << ", the C++ names none";
    }
  }
}

// ---- descriptor bindings -------------------------------------------------
// The pipeline's descriptor layout and the dispatch's buffer count are read
// from these (pipeline.cpp), so what is checked here is that every shader
// declares what a dispatch can bind: set 0, bindings 0..n-1, each a storage
// buffer or a uniform texel buffer, and that each _texel build differs from
// its storage build only by the inputs it reads through texels.

using vknn::vk::DescriptorKind;

std::vector<DescriptorKind> kinds_of(std::string_view shader) {
  std::vector<DescriptorKind> kinds;
  for (const auto& b : vknn::vk::embedded_shader_interface(shader).bindings) {
    kinds.push_back(b.kind);
  }
  return kinds;
}

TEST(ShaderBindings, EveryShaderBindsSetZeroFromBindingZeroUp) {
  for (const std::string& name : vknn::vk::embedded_shader_names()) {
    SCOPED_TRACE("shaders/" + name + ".comp");
    const auto& bindings = vknn::vk::embedded_shader_interface(name).bindings;
    EXPECT_FALSE(bindings.empty());
    for (std::uint32_t i = 0; i < bindings.size(); ++i) {
      EXPECT_EQ(bindings[i].set, 0u);
      EXPECT_EQ(bindings[i].binding, i);
      EXPECT_NE(bindings[i].kind, DescriptorKind::uniform_buffer);
    }
  }
}

TEST(ShaderBindings, TexelBuildsReadSomeInputsThroughTexelsAndNothingElseDiffers) {
  constexpr std::string_view kTexel = "_texel";
  int texel_builds = 0;
  for (const std::string& name : vknn::vk::embedded_shader_names()) {
    SCOPED_TRACE("shaders/" + name + ".comp");
    const std::vector<DescriptorKind> kinds = kinds_of(name);
    const auto texel_count = std::count(kinds.begin(), kinds.end(),
                                        DescriptorKind::uniform_texel_buffer);
    if (!std::string_view(name).ends_with(kTexel)) {
      EXPECT_EQ(texel_count, 0) << "only the _texel builds declare texel buffers";
      continue;
    }
    ++texel_builds;
    const std::string base = name.substr(0, name.size() - kTexel.size());
    const std::vector<DescriptorKind> storage = kinds_of(base);
    ASSERT_EQ(kinds.size(), storage.size()) << "bindings of " << base;
    EXPECT_GE(texel_count, 1) << "a _texel build with no VKNN_INPUT";
    for (std::size_t i = 0; i < kinds.size(); ++i) {
      EXPECT_EQ(storage[i], DescriptorKind::storage_buffer) << "binding " << i;
    }
  }
  EXPECT_EQ(texel_builds, 10) << "the shaders that include texel_reads.glsl";
}

TEST(ShaderBindings, ReadsKindsAsTheGlslDeclaresThem) {
  using K = DescriptorKind;
  // axpy: two storage buffers. maxpool2d_forward: input x (VKNN_INPUT 0),
  // output y, winners; the storage build declares x as two aliasing blocks
  // (float and vec4 views), which are one binding.
  EXPECT_EQ(kinds_of("axpy"), (std::vector<K>{K::storage_buffer, K::storage_buffer}));
  EXPECT_EQ(kinds_of("maxpool2d_forward"),
            (std::vector<K>{K::storage_buffer, K::storage_buffer, K::storage_buffer}));
  EXPECT_EQ(kinds_of("maxpool2d_forward_texel"),
            (std::vector<K>{K::uniform_texel_buffer, K::storage_buffer, K::storage_buffer}));
  // dense_gemm_shuffle: a, b (VKNN_INPUT 0 and 1), bias, c.
  EXPECT_EQ(kinds_of("dense_gemm_shuffle_texel"),
            (std::vector<K>{K::uniform_texel_buffer, K::uniform_texel_buffer, K::storage_buffer,
                            K::storage_buffer}));
}

// `words` with every `OpDecorate <id> Binding from` changed to `to`.
std::vector<std::uint32_t> rebind(std::span<const std::uint32_t> code, std::uint32_t from,
                                  std::uint32_t to) {
  std::vector<std::uint32_t> words(code.begin(), code.end());
  constexpr std::uint32_t kOpDecorate = 71, kBinding = 33;
  for (std::size_t at = 5; at < words.size(); at += words[at] >> 16) {
    if ((words[at] & 0xffff) == kOpDecorate && (words[at] >> 16) == 4 &&
        words[at + 2] == kBinding && words[at + 3] == from) {
      words[at + 3] = to;
    }
  }
  return words;
}

TEST(SpirvReflect, VariablesAtOneBindingAreOneBindingOfOneKind) {
  // axpy's y moved onto x's binding: two storage blocks, one binding.
  const auto merged = vknn::vk::reflect_shader(rebind(vknn::vk::embedded_shader("axpy"), 1, 0),
                                               "axpy with y at binding 0");
  ASSERT_EQ(merged.bindings.size(), 1u);
  EXPECT_EQ(merged.bindings[0].kind, DescriptorKind::storage_buffer);
  // maxpool2d_forward_texel's output y moved onto the texel input's binding.
  const auto clash = rebind(vknn::vk::embedded_shader("maxpool2d_forward_texel"), 1, 0);
  const std::string message = error_of([&] { vknn::vk::reflect_shader(clash, "clash"); });
  EXPECT_NE(message.find("clash: set 0 binding 0 is declared both as a uniform texel buffer and "
                         "as a storage buffer"),
            std::string::npos)
      << message;
}

// ---- the reader itself -------------------------------------------------

TEST(SpirvReflect, RefusesWordsThatAreNotSpirv) {
  const std::vector<std::uint32_t> words = {1, 2, 3, 4, 5, 6};
  const std::string message = error_of([&] { vknn::vk::reflect_shader(words, "junk"); });
  EXPECT_NE(message.find("junk"), std::string::npos) << message;
  EXPECT_NE(message.find("not a SPIR-V module"), std::string::npos) << message;
  EXPECT_NE(error_of([&] { vknn::vk::reflect_shader({}, "empty"); }).find("0 words"),
            std::string::npos);
}

TEST(SpirvReflect, RefusesAnInstructionThatRunsPastTheEnd) {
  const auto code = vknn::vk::embedded_shader("relu");
  std::vector<std::uint32_t> words(code.begin(), code.begin() + 8);
  words[5] = (1000u << 16) | (words[5] & 0xffff);  // the first instruction claims 1000 words
  const std::string message = error_of([&] { vknn::vk::reflect_shader(words, "cut relu"); });
  EXPECT_NE(message.find("cut relu"), std::string::npos) << message;
  EXPECT_NE(message.find("claims 1000 words, 3 remain"), std::string::npos) << message;
}

TEST(SpirvReflect, ReadsMemberNamesOffsetsAndBlockName) {
  const vknn::vk::ShaderInterface& conv = vknn::vk::embedded_shader_interface("conv2d_forward");
  EXPECT_EQ(conv.push_constants.type_name, "Conv2DPush");
  ASSERT_EQ(conv.push_constants.members.size(), 14u);
  EXPECT_EQ(conv.push_constants.members[3].name, "in_c");
  EXPECT_EQ(conv.push_constants.members[3].offset, 12u);
  EXPECT_EQ(conv.push_constants.size, 56u);
}

// ---- what a pipeline refuses -------------------------------------------

class PipelineInterfaceTest : public vknn_test::VulkanTest {};

TEST_F(PipelineInterfaceTest, AConstantIdTheShaderLacksIsRefused) {
  vknn::vk::PipelineDesc desc = vknn_test::axpy_desc();
  desc.constants = {vknn::vk::SpecConstant{4, 1}};
  const std::string message = error_of([&] { vknn_test::device().pipeline(desc); });
  EXPECT_NE(message.find("id 4"), std::string::npos) << message;
  EXPECT_NE(message.find("shaders/axpy.comp does not declare"), std::string::npos) << message;
}

TEST_F(PipelineInterfaceTest, APushRangeShorterThanTheBlockIsRefused) {
  vknn::vk::PipelineDesc desc = vknn_test::axpy_desc();
  desc.push_constant_bytes = 4;
  const std::string message = error_of([&] { vknn_test::device().pipeline(desc); });
  EXPECT_NE(message.find("4 bytes of push constants"), std::string::npos) << message;
  EXPECT_NE(message.find("is 8 bytes"), std::string::npos) << message;
}

TEST(SpecConstants, RefuseWorkgroupIdsAndDuplicates) {
  vknn::vk::SpecConstants constants;
  EXPECT_NE(error_of([&] { constants.set(2, 1); }).find("reserved for the workgroup size"),
            std::string::npos);
  constants.set(5, 1);
  EXPECT_NE(error_of([&] { constants.set(5, 2); }).find("id 5 is set twice"), std::string::npos);
  const vknn::vk::SpecConstants in_order = {7u, 8u};
  ASSERT_EQ(in_order.entries().size(), 2u);
  EXPECT_EQ(in_order.entries()[1].id, 4u);
  EXPECT_EQ(in_order.entries()[1].value, 8u);
}

}  // namespace
