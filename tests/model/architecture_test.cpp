// Architecture::build: shapes, names, geometries and parameter specs of the
// course models, and every layer-list error a user can make.
#include "model/architecture.hpp"
#include "model/summary.hpp"

#include <gtest/gtest.h>

#include "model_test_support.hpp"

namespace vknn::model {
namespace {

using testing::course_model;
using testing::expect_error;
using testing::one_conv_model;

TEST(Architecture, CourseModelShapesNamesAndParams) {
  const Architecture arch = Architecture::build(course_model(64));
  ASSERT_EQ(arch.size(), 7u);

  struct Row {
    const char* name;
    const char* type;
    LayerKind kind;
    Shape in, out;
    std::int64_t params;
    Activation activation;
  };
  const Row rows[] = {
      {"conv2d", "Conv2D", LayerKind::conv2d, {28, 28, 1}, {26, 26, 64}, 640, Activation::relu},
      {"max_pooling2d", "MaxPooling2D", LayerKind::max_pooling2d, {26, 26, 64}, {13, 13, 64}, 0,
       Activation::linear},
      {"conv2d_1", "Conv2D", LayerKind::conv2d, {13, 13, 64}, {11, 11, 64}, 36928,
       Activation::relu},
      {"max_pooling2d_1", "MaxPooling2D", LayerKind::max_pooling2d, {11, 11, 64}, {5, 5, 64}, 0,
       Activation::linear},
      {"flatten", "Flatten", LayerKind::flatten, {5, 5, 64}, {1600}, 0, Activation::linear},
      {"dense", "Dense", LayerKind::dense, {1600}, {128}, 204928, Activation::relu},
      {"dense_1", "Dense", LayerKind::dense, {128}, {10}, 1290, Activation::softmax},
  };
  for (std::size_t i = 0; i < arch.size(); ++i) {
    SCOPED_TRACE(rows[i].name);
    const LayerInfo& l = arch[i];
    EXPECT_EQ(l.name, rows[i].name);
    EXPECT_STREQ(l.type_name(), rows[i].type);
    EXPECT_EQ(l.kind, rows[i].kind);
    EXPECT_EQ(l.input_shape, rows[i].in);
    EXPECT_EQ(l.output_shape, rows[i].out);
    EXPECT_EQ(l.params, rows[i].params);
    EXPECT_EQ(l.activation, rows[i].activation);
  }
  EXPECT_EQ(arch.total_params(), 243786);
  EXPECT_EQ(arch.trainable_params(), 243786);
  EXPECT_EQ(arch.non_trainable_params(), 0);
  EXPECT_EQ(arch.input_shape(), (Shape{28, 28, 1}));
  EXPECT_EQ(arch.output_shape(), (Shape{10}));
}

TEST(Architecture, SixteenFilterParams) {
  const Architecture arch = Architecture::build(course_model(16));
  const std::int64_t expected[] = {160, 0, 2320, 0, 0, 51328, 1290};
  for (std::size_t i = 0; i < arch.size(); ++i) EXPECT_EQ(arch[i].params, expected[i]) << i;
  EXPECT_EQ(arch.total_params(), 55098);
}

// One Conv2D + MaxPooling2D, counted by hand:
//   conv2d        3*3*1*64 + 64         = 640
//   max_pooling2d 26x26x64 -> 13x13x64  = 0
//   flatten       13*13*64 = 10816      = 0
//   dense         10816*128 + 128       = 1,384,576
//   dense_1       128*10 + 10           = 1,290
//   total                                 1,386,506
// and with 16 filters: 160 + (2704*128 + 128 = 346,240) + 1,290 = 347,690.
TEST(Architecture, OneConvVariantParams) {
  const Architecture a64 = Architecture::build(one_conv_model(64));
  EXPECT_EQ(a64[2].output_shape, (Shape{10816}));
  EXPECT_EQ(a64[3].params, 1384576);
  EXPECT_EQ(a64.total_params(), 1386506);
  const Architecture a16 = Architecture::build(one_conv_model(16));
  EXPECT_EQ(a16[2].output_shape, (Shape{2704}));
  EXPECT_EQ(a16.total_params(), 347690);
}

TEST(Architecture, GeometriesHaveBatchOneAndTheLayerConfig) {
  const Architecture arch = Architecture::build(course_model(64));
  const Conv2DGeometry* c = arch[2].conv2d();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->batch, 1);
  EXPECT_EQ(c->in_h, 13);
  EXPECT_EQ(c->in_w, 13);
  EXPECT_EQ(c->in_c, 64);
  EXPECT_EQ(c->out_c, 64);
  EXPECT_EQ(c->kernel_h, 3);
  EXPECT_EQ(c->stride_h, 1);
  EXPECT_EQ(c->padding, Padding::valid);
  EXPECT_EQ(arch[2].pool2d(), nullptr);

  const Pool2DGeometry* p = arch[3].pool2d();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->batch, 1);
  EXPECT_EQ(p->in_h, 11);
  EXPECT_EQ(p->channels, 64);
  EXPECT_EQ(p->pool_h, 2);
  EXPECT_EQ(p->stride_h, 2);  // defaults to the pool size
  EXPECT_EQ(p->out_h(), 5);   // floor rounding

  EXPECT_TRUE(std::holds_alternative<std::monostate>(arch[4].geometry));

  const DenseGeometry* d = arch[5].dense();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->batch, 1);
  EXPECT_EQ(d->in_features, 1600);
  EXPECT_EQ(d->out_features, 128);
}

TEST(Architecture, ParameterSpecsUseKerasNamesAndLayouts) {
  const Architecture arch = Architecture::build(course_model(64));
  const std::vector<ParameterSpec> params = arch.parameters();
  ASSERT_EQ(params.size(), 8u);
  const std::vector<std::pair<std::string, Shape>> expected = {
      {"conv2d/kernel", {3, 3, 1, 64}},   {"conv2d/bias", {64}},
      {"conv2d_1/kernel", {3, 3, 64, 64}}, {"conv2d_1/bias", {64}},
      {"dense/kernel", {1600, 128}},       {"dense/bias", {128}},
      {"dense_1/kernel", {128, 10}},       {"dense_1/bias", {10}},
  };
  std::int64_t sum = 0;
  for (std::size_t i = 0; i < params.size(); ++i) {
    EXPECT_EQ(params[i].name, expected[i].first);
    EXPECT_EQ(params[i].shape, expected[i].second);
    EXPECT_EQ(params[i].role, i % 2 == 0 ? ParameterRole::kernel : ParameterRole::bias);
    sum += params[i].size();
  }
  EXPECT_EQ(sum, arch.total_params());

  const std::vector<TensorSpec> specs = arch.weight_specs();
  ASSERT_EQ(specs.size(), 8u);
  EXPECT_EQ(specs[2], (TensorSpec{"conv2d_1/kernel", {3, 3, 64, 64}}));
  EXPECT_TRUE(arch[1].parameters.empty());
  EXPECT_EQ(&arch.layer("dense"), &arch[5]);
  expect_error([&] { arch.layer("dense_7"); }, {"no layer named 'dense_7'", "conv2d, "});
}

TEST(Architecture, SamePaddingAndStrides) {
  Conv2D conv(8, {3, 3}, Activation::relu, Shape{28, 28, 3}, Padding::same, {2, 2});
  MaxPooling2D pool(Size2{3, 3}, Size2{2, 2}, Padding::same);
  const Architecture arch = Architecture::build({conv, pool, Flatten(), Dense(4)});
  EXPECT_EQ(arch[0].output_shape, (Shape{14, 14, 8}));
  EXPECT_EQ(arch[0].params, 3 * 3 * 3 * 8 + 8);
  EXPECT_EQ(arch[1].output_shape, (Shape{7, 7, 8}));
  EXPECT_EQ(arch[2].output_shape, (Shape{392}));
  EXPECT_EQ(arch[3].activation, Activation::linear);
}

TEST(Architecture, DenseOnlyModelAndFlattenOfRankTwo) {
  const Architecture mlp =
      Architecture::build({Flatten(Shape{28, 28}), Dense(128, Activation::relu), Dense(10)});
  EXPECT_EQ(mlp[0].output_shape, (Shape{784}));
  EXPECT_EQ(mlp.total_params(), 784 * 128 + 128 + 128 * 10 + 10);
  const Architecture one = Architecture::build({Dense(3, Activation::softmax, Shape{5})});
  EXPECT_EQ(one.total_params(), 18);
}

TEST(Architecture, UserNamesWinAndAutomaticNamesSkipThem) {
  Conv2D first(4, {3, 3}, Activation::relu, Shape{8, 8, 1});
  first.name = "features";
  Dense named(5);
  named.name = "dense_1";
  const Architecture arch =
      Architecture::build({first, Flatten(), Dense(6), named, Dense(7), Dense(2)});
  EXPECT_EQ(arch[0].name, "features");
  EXPECT_EQ(arch[1].name, "flatten");
  EXPECT_EQ(arch[2].name, "dense");
  EXPECT_EQ(arch[3].name, "dense_1");
  EXPECT_EQ(arch[4].name, "dense_2");
  EXPECT_EQ(arch[5].name, "dense_3");
  EXPECT_EQ(arch.parameters()[0].name, "features/kernel");
}

TEST(Architecture, InputShapeOnALaterLayerMayRepeatTheInferredOne) {
  std::vector<Layer> layers = course_model(16);
  std::get<Dense>(layers[5]).input_shape = Shape{400};
  EXPECT_NO_THROW(Architecture::build(layers));
}

// ---- Errors -----------------------------------------------------------------

TEST(ArchitectureErrors, EmptyModel) {
  expect_error([] { Architecture::build({}); }, {"no layers", "input_shape"});
}

TEST(ArchitectureErrors, FirstLayerWithoutInputShape) {
  expect_error([] { Architecture::build({Conv2D(8, {3, 3}), Flatten(), Dense(2)}); },
               {"layer conv2d (Conv2D)", "needs an input_shape", "Shape{28, 28, 1}"});
}

TEST(ArchitectureErrors, BadFirstInputShape) {
  expect_error([] { Architecture::build({Dense(2, Activation::linear, Shape{})}); },
               {"layer dense (Dense)", "input_shape () is empty"});
  expect_error([] { Architecture::build({Flatten(Shape{28, 0, 1}), Dense(2)}); },
               {"layer flatten (Flatten)", "(28, 0, 1)", "must be positive"});
  expect_error([] { Architecture::build({Flatten(Shape{65536, 65536, 2}), Dense(2)}); },
               {"layer flatten (Flatten)", "more than 2147483647 elements"});
}

TEST(ArchitectureErrors, LaterInputShapeDisagrees) {
  std::vector<Layer> layers = course_model(64);
  std::get<Dense>(layers[5]).input_shape = Shape{1000};
  expect_error([&] { Architecture::build(layers); },
               {"layer dense (Dense)", "input_shape (1000)", "flatten (Flatten)", "(1600)",
                "only the first layer needs an input_shape"});
}

TEST(ArchitectureErrors, KernelDoesNotFit) {
  std::vector<Layer> layers = {
      Conv2D(64, {3, 3}, Activation::relu, Shape{8, 8, 1}), MaxPooling2D(Size2{2, 2}),
      Conv2D(64, {5, 5}, Activation::relu), Flatten(), Dense(10, Activation::softmax)};
  const std::string message = expect_error([&] { Architecture::build(layers); }, {});
  EXPECT_EQ(message,
            "layer conv2d_1 (Conv2D): kernel 5x5 does not fit its 3x3x64 input with padding "
            "'valid'; use padding 'same' or a kernel of at most 3x3");
  std::get<Conv2D>(layers[2]).padding = Padding::same;
  EXPECT_NO_THROW(Architecture::build(layers));
}

TEST(ArchitectureErrors, PoolDoesNotFit) {
  expect_error(
      [] {
        Architecture::build({Conv2D(4, {3, 3}, Activation::relu, Shape{4, 4, 1}),
                             MaxPooling2D(Size2{3, 3}), Flatten(), Dense(2)});
      },
      {"layer max_pooling2d (MaxPooling2D): pool 3x3 does not fit its 2x2x4 input",
       "use padding 'same' or a pool of at most 2x2"});
}

TEST(ArchitectureErrors, DenseOnImagesSuggestsFlatten) {
  std::vector<Layer> layers = course_model(64);
  layers.erase(layers.begin() + 4);  // drop Flatten
  const std::string message = expect_error([&] { Architecture::build(layers); }, {});
  EXPECT_EQ(message, "layer dense (Dense): input has shape (5, 5, 64); add Flatten() before Dense");
  expect_error([] { Architecture::build({Dense(2, Activation::linear, Shape{4, 4})}); },
               {"layer dense (Dense)", "(4, 4)", "rank-1", "Flatten()"});
}

TEST(ArchitectureErrors, ConvOrPoolOnFlatInput) {
  expect_error([] { Architecture::build({Conv2D(4, {3, 3}, Activation::relu, Shape{784})}); },
               {"layer conv2d (Conv2D)", "input has shape (784)", "rank-3",
                "(height, width, channels)"});
  expect_error([] { Architecture::build({Flatten(Shape{8, 8, 1}), MaxPooling2D()}); },
               {"layer max_pooling2d (MaxPooling2D)", "input has shape (64)", "rank-3"});
}

TEST(ArchitectureErrors, NonPositiveSizes) {
  const Shape in{8, 8, 1};
  expect_error([&] { Architecture::build({Conv2D(0, {3, 3}, Activation::relu, in)}); },
               {"layer conv2d (Conv2D)", "filters must be positive, got 0"});
  expect_error([&] { Architecture::build({Conv2D(-3, {3, 3}, Activation::relu, in)}); },
               {"filters must be positive, got -3"});
  expect_error([&] { Architecture::build({Conv2D(4, {0, 3}, Activation::relu, in)}); },
               {"kernel height must be positive"});
  expect_error(
      [&] {
        Architecture::build({Conv2D(4, {3, 3}, Activation::relu, in, Padding::valid, {1, 0})});
      },
      {"stride width must be positive"});
  expect_error([] { Architecture::build({Flatten(Shape{4}), Dense(0)}); },
               {"layer dense (Dense)", "units must be positive, got 0"});
  expect_error([] { Architecture::build({Flatten(Shape{4}), Dense(-1)}); },
               {"units must be positive, got -1"});
  expect_error(
      [&] {
        Architecture::build({Conv2D(4, {3, 3}, Activation::relu, in), MaxPooling2D(Size2{2, -2})});
      },
      {"layer max_pooling2d (MaxPooling2D)", "pool width must be positive, got -2"});
  expect_error(
      [&] {
        Architecture::build(
            {Conv2D(4, {3, 3}, Activation::relu, in), MaxPooling2D(Size2{2, 2}, Size2{0, 1})});
      },
      {"stride height must be positive, got 0"});
}

TEST(ArchitectureErrors, SoftmaxOnConv2D) {
  expect_error(
      [] {
        Architecture::build({Conv2D(4, {3, 3}, Activation::softmax, Shape{8, 8, 1})});
      },
      {"layer conv2d (Conv2D)", "activation 'softmax' is not supported", "'linear' or 'relu'"});
}

TEST(ArchitectureErrors, SoftmaxOnlyOnTheLastLayer) {
  const std::string message = expect_error(
      [] {
        Architecture::build(
            {Flatten(Shape{28, 28}), Dense(128, Activation::softmax), Dense(10)});
      },
      {"layer dense (Dense)", "softmax", "only on the last layer", "dense_1 (Dense)"});
  EXPECT_EQ(message.rfind("layer dense (Dense): ", 0), 0u) << message;
}

TEST(ArchitectureErrors, UnknownEnumValues) {
  expect_error(
      [] {
        Architecture::build({Flatten(Shape{4}), Dense(2, static_cast<Activation>(42))});
      },
      {"layer dense (Dense)", "unknown activation (value 42)"});
  expect_error(
      [] {
        Architecture::build({Conv2D(4, {3, 3}, Activation::relu, Shape{8, 8, 1},
                                    static_cast<Padding>(7))});
      },
      {"layer conv2d (Conv2D)", "padding has an unknown value (7)"});
}

TEST(ArchitectureErrors, DuplicateAndInvalidNames) {
  Dense a(4, Activation::relu, Shape{3});
  a.name = "head";
  Dense b(2);
  b.name = "head";
  expect_error([&] { Architecture::build({a, b}); },
               {"layer head (Dense)", "'head' is already used by layer 1 (Dense)", "unique"});
  b.name = "a/b";
  expect_error([&] { Architecture::build({a, b}); }, {"layer 2 (Dense)", "'a/b'", "'/'"});
  b.name = "tab\there";
  expect_error([&] { Architecture::build({a, b}); }, {"printable ASCII"});
}

TEST(Architecture, Formatting) {
  EXPECT_EQ(format_shape({5, 5, 64}), "(5, 5, 64)");
  EXPECT_EQ(format_shape({1600}), "(1600)");
  EXPECT_EQ(format_batched_shape({26, 26, 64}), "(None, 26, 26, 64)");
  EXPECT_EQ(format_batched_shape({1600}), "(None, 1600)");
  EXPECT_EQ(with_thousands(0), "0");
  EXPECT_EQ(with_thousands(999), "999");
  EXPECT_EQ(with_thousands(1000), "1,000");
  EXPECT_EQ(with_thousands(243786), "243,786");
  EXPECT_EQ(with_thousands(1386506), "1,386,506");
  EXPECT_EQ(with_thousands(-1234567), "-1,234,567");
  EXPECT_EQ(format_tensor_shape({}), "()");
  EXPECT_EQ(format_tensor_shape({3, 3, 64, 32}), "(3, 3, 64, 32)");
}

}  // namespace
}  // namespace vknn::model
