// Layers that apply one elementwise function (src/backend/op.hpp's
// ElementwiseFunctions) to every element and own no parameters: Rescaling,
// LeakyReLU. They are a family, handled through this table by shape
// inference (architecture.cpp: the output is the input's shape), the
// trainer (the function's ElementwiseForward and ElementwiseBackward ops),
// the .keras config (keras_config.cpp: one float per setting) and the Python
// binding (vknn::elementwise_layer, by Keras class name). A new member is its
// public struct (vknn/model/layers.hpp) and its ElementwiseLayer entry
// here, added to ElementwiseLayers; nothing else on the C++ side.
#pragma once

#include <array>
#include <cmath>
#include <string>
#include <type_traits>
#include <variant>

#include "backend/op.hpp"
#include "vknn/model/layers.hpp"

namespace vknn::model {

// One float setting of a member: its Keras config key (also the Python
// argument) and the member of the layer struct that holds it.
template <class L>
struct LayerSetting {
  const char* key;
  float L::*member;
};

// Per member: keras_class (the Keras class name: summary(), configs, the
// Python binding), name_prefix (Keras's automatic name), settings, make()
// (the layer at Keras's defaults, the settings then set one by one),
// function() (what it computes) and problem() (a message for settings it
// refuses beyond not being finite, or "").
template <class L>
struct ElementwiseLayer;

template <>
struct ElementwiseLayer<Rescaling> {
  static constexpr const char* keras_class = "Rescaling";
  static constexpr const char* name_prefix = "rescaling";
  static constexpr std::array<LayerSetting<Rescaling>, 2> settings{
      {{"scale", &Rescaling::scale}, {"offset", &Rescaling::offset}}};
  static Rescaling make() { return Rescaling(1.0f); }
  static backend::op::Rescale function(const Rescaling& l) {
    return {.scale = l.scale, .offset = l.offset};
  }
  static std::string problem(const Rescaling&) { return ""; }
};

template <>
struct ElementwiseLayer<LeakyReLU> {
  static constexpr const char* keras_class = "LeakyReLU";
  static constexpr const char* name_prefix = "leaky_re_lu";
  static constexpr std::array<LayerSetting<LeakyReLU>, 1> settings{
      {{"negative_slope", &LeakyReLU::negative_slope}}};
  static LeakyReLU make() { return LeakyReLU(); }
  static backend::op::LeakyRelu function(const LeakyReLU& l) { return {.negative_slope = l.negative_slope}; }
  static std::string problem(const LeakyReLU& l) {
    return l.negative_slope >= 0.0f ? "" : "negative_slope must be >= 0 (Keras refuses a negative one)";
  }
};

template <class... L>
struct LayerList {};
// Every member of the family.
using ElementwiseLayers = LayerList<Rescaling, LeakyReLU>;

template <class L>
concept ElementwiseLayerType = requires { ElementwiseLayer<L>::keras_class; };

// A member's function as a value of the architecture (LayerInfo's geometry),
// which the trainer visits to record the function's ops.
template <class Functions>
struct FunctionVariant;
template <class... F>
struct FunctionVariant<backend::op::FunctionList<F...>> {
  using type = std::variant<F...>;
};
struct ElementwiseGeometry {
  FunctionVariant<backend::op::ElementwiseFunctions>::type function;
};

// Calls f(ElementwiseLayer<L>{}, L-typed null pointer) for the member whose
// Keras class is `keras_class`; false when none is.
template <class F, class... L>
bool for_member_named(const std::string& keras_class, F&& f, LayerList<L...>) {
  return ((keras_class == ElementwiseLayer<L>::keras_class ? (f(static_cast<L*>(nullptr)), true)
                                                           : false) ||
          ...);
}

}  // namespace vknn::model
