// Every layer of the elementwise family (src/model/elementwise_layers.hpp),
// from its list, so a new member is tested without a line here: its shape,
// name and (absent) parameters, its checks, its output against its own
// function, training through it on both backends, and the .keras round trip.
// Each member is tried with settings 0.5, 0.75, 1.0, ... (its defaults where
// those are refused), so no setting is left at a value that hides it.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "model/architecture.hpp"
#include "model/elementwise_layers.hpp"
#include "model/training_support.hpp"
#include "support/error_text.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace vknn;
using vknn::model::Architecture;
using vknn::model::ElementwiseLayer;
using vknn_test::on;
using vknn_test::synthetic_images;

template <class List>
struct AsTypes;
template <class... L>
struct AsTypes<model::LayerList<L...>> {
  using type = ::testing::Types<L...>;
};
using Members = AsTypes<model::ElementwiseLayers>::type;

template <class L>
L example() {
  using Entry = ElementwiseLayer<L>;
  L layer = Entry::make();
  float value = 0.5f;
  for (const auto& s : Entry::settings) {
    layer.*s.member = value;
    value += 0.25f;
  }
  return Entry::problem(layer).empty() ? layer : Entry::make();
}

// Between a conv (so its backward feeds one) and a pooling.
template <class L>
std::vector<Layer> model_with(const L& layer) {
  return {Conv2D(4, {3, 3}, Activation::relu, Shape{10, 10, 1}), layer, MaxPooling2D(2, 2), Flatten(),
          Dense(3, Activation::softmax)};
}

template <class L>
class ElementwiseLayers : public vknn_test::VulkanTest {};
TYPED_TEST_SUITE(ElementwiseLayers, Members);

TYPED_TEST(ElementwiseLayers, KeepTheShapeOwnNoParametersAndNameThemselves) {
  const Architecture a = Architecture::build(model_with(example<TypeParam>()));
  EXPECT_EQ(a[1].output_shape, a[0].output_shape);
  EXPECT_EQ(a[1].params, 0);
  EXPECT_STREQ(a[1].type_name(), ElementwiseLayer<TypeParam>::keras_class);
  EXPECT_EQ(a[1].name, ElementwiseLayer<TypeParam>::name_prefix);
  const std::string row = std::string(" ") + ElementwiseLayer<TypeParam>::name_prefix + " (" +
                          ElementwiseLayer<TypeParam>::keras_class + ")";
  EXPECT_NE(a.summary().find(row), std::string::npos) << a.summary();
}

TYPED_TEST(ElementwiseLayers, RefuseSettingsThatAreNotFinite) {
  for (const auto& s : ElementwiseLayer<TypeParam>::settings) {
    TypeParam layer = example<TypeParam>();
    layer.*s.member = std::numeric_limits<float>::infinity();
    const std::string message = vknn_test::error_of([&] { Architecture::build(model_with(layer)); });
    EXPECT_NE(message.find(std::string(s.key) + " must be finite"), std::string::npos) << message;
  }
}

TYPED_TEST(ElementwiseLayers, VulkanAndCpuEndWithTheSameParameters) {
  EXPECT_LT(vknn_test::cpu_vulkan_parameter_difference(model_with(example<TypeParam>()),
                                                       synthetic_images(70, 10, 3, 5)),
            1e-5);
}

TYPED_TEST(ElementwiseLayers, OutputIsTheFunctionOfTheInput) {
  const TypeParam layer = example<TypeParam>();
  Sequential model(model_with(layer));
  model.compile(Adam(), on(BackendKind::vulkan));
  const auto outputs = model.layer_outputs(synthetic_images(4, 10, 3, 6).samples());
  const auto f = ElementwiseLayer<TypeParam>::function(layer);
  double worst = 0.0;
  for (std::size_t k = 0; k < outputs[0].size(); ++k) {
    const double expected = f.value(double(outputs[0][k]));
    worst = std::max(worst, std::abs(double(outputs[1][k]) - expected) / (1.0 + std::abs(expected)));
  }
  EXPECT_LT(worst, 1e-6);
}

TYPED_TEST(ElementwiseLayers, SaveAndLoadWithTheirSettings) {
  vknn_test::TempDir dir;
  Sequential model(model_with(example<TypeParam>()));
  model.compile(Adam(), on(BackendKind::cpu));
  model.save(dir / "m.keras");
  LoadModelOptions options;
  options.backend = BackendKind::cpu;
  Sequential loaded = load_model(dir / "m.keras", options);
  EXPECT_EQ(loaded.summary_text(), model.summary_text());
  const auto data = synthetic_images(3, 10, 3, 8);
  EXPECT_EQ(loaded.predict(data.samples()), model.predict(data.samples()));
}

TYPED_TEST(ElementwiseLayers, AreBuiltByTheirKerasNameWithTheirSettings) {
  std::map<std::string, float> settings;
  const TypeParam layer = example<TypeParam>();
  for (const auto& s : ElementwiseLayer<TypeParam>::settings) settings[s.key] = layer.*s.member;
  const Layer built = elementwise_layer(ElementwiseLayer<TypeParam>::keras_class, settings);
  ASSERT_TRUE(std::holds_alternative<TypeParam>(built));
  for (const auto& s : ElementwiseLayer<TypeParam>::settings) {
    EXPECT_EQ(std::get<TypeParam>(built).*s.member, layer.*s.member) << s.key;
  }
  const std::string message = vknn_test::error_of(
      [] { elementwise_layer(ElementwiseLayer<TypeParam>::keras_class, {{"no_such_key", 1.0f}}); });
  EXPECT_NE(message.find("no setting 'no_such_key'"), std::string::npos) << message;
}

TEST(ElementwiseLayerNames, AnUnknownClassIsRefused) {
  const std::string message = vknn_test::error_of([] { elementwise_layer("Conv2D", {}); });
  EXPECT_NE(message.find("'Conv2D' is not an elementwise layer"), std::string::npos) << message;
}

}  // namespace
