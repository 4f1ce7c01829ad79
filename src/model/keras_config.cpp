// config.json of a `.keras` file, written as Keras 3's serialize_keras_object
// writes a Sequential model and read back strictly (see keras_config.hpp).
#include "model/keras_config.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

#include <nlohmann/json.hpp>

#include "model/architecture.hpp"
#include "vknn/error.hpp"

namespace vknn::model {

namespace {

// Keras's key order, kept so the file reads like one Keras wrote.
using Json = nlohmann::ordered_json;

// ---- writing -------------------------------------------------------------------

Json object(const char* module, const char* class_name, Json config) {
  return Json{{"module", module},
              {"class_name", class_name},
              {"config", std::move(config)},
              {"registered_name", nullptr}};
}

Json dtype_policy() { return object("keras", "DTypePolicy", Json{{"name", "float32"}}); }

Json batched(const Shape& shape) {
  Json a = Json::array({nullptr});
  for (int d : shape) a.push_back(d);
  return a;
}

Json pair(int h, int w) { return Json::array({h, w}); }

const char* padding_name(Padding p) { return p == Padding::same ? "same" : "valid"; }

// The base of every layer's get_config: name, trainable, dtype.
Json layer_base(const LayerInfo& info) {
  return Json{{"name", info.name}, {"trainable", info.trainable}, {"dtype", dtype_policy()}};
}

// MaxPooling2D and AveragePooling2D share Keras' Pooling2D base, so their
// configs are the same four keys (strides default to the pool size).
template <class Pooling>
void add_pooling_config(Json& c, const Pooling& pool) {
  const Size2 strides = pool.strides.value_or(pool.pool_size);
  c["pool_size"] = pair(pool.pool_size.h, pool.pool_size.w);
  c["padding"] = padding_name(pool.padding);
  c["strides"] = pair(strides.h, strides.w);
  c["data_format"] = "channels_last";
}

Json kernel_and_bias_settings() {
  return Json{{"use_bias", true},
              {"kernel_initializer",
               object("keras.initializers", "GlorotUniform", Json{{"seed", nullptr}})},
              {"bias_initializer", object("keras.initializers", "Zeros", Json::object())}};
}

// An elementwise layer's settings, one float each; false for any other layer.
bool write_elementwise_settings(const Layer& layer, Json& c) {
  return std::visit(
      [&]<class L>(const L& l) {
        if constexpr (ElementwiseLayerType<L>) {
          for (const auto& s : ElementwiseLayer<L>::settings) c[s.key] = shortest_double(l.*s.member);
          return true;
        } else {
          return false;
        }
      },
      layer);
}

// "Rescaling, LeakyReLU": the elementwise family's Keras names, for messages.
template <class... L>
std::string elementwise_class_names(LayerList<L...>) {
  std::string names;
  ((names += (names.empty() ? "" : ", ") + std::string(ElementwiseLayer<L>::keras_class)), ...);
  return names;
}

Json layer_config(const Layer& layer, const LayerInfo& info, std::optional<std::uint64_t> seed) {
  Json c = layer_base(info);
  if (const auto* conv = std::get_if<Conv2D>(&layer)) {
    c["filters"] = conv->filters;
    c["kernel_size"] = pair(conv->kernel_size.h, conv->kernel_size.w);
    c["strides"] = pair(conv->strides.h, conv->strides.w);
    c["padding"] = padding_name(conv->padding);
    c["data_format"] = "channels_last";
    c["dilation_rate"] = pair(1, 1);
    c["groups"] = 1;
    c["activation"] = to_string(conv->activation);
    const Json settings = kernel_and_bias_settings();  // named: items() must not outlive it
    for (const auto& [k, v] : settings.items()) c[k] = v;
    for (const char* k : {"kernel_regularizer", "bias_regularizer", "activity_regularizer",
                          "kernel_constraint", "bias_constraint"}) {
      c[k] = nullptr;
    }
  } else if (const auto* pool = std::get_if<MaxPooling2D>(&layer)) {
    add_pooling_config(c, *pool);
  } else if (const auto* avg = std::get_if<AveragePooling2D>(&layer)) {
    add_pooling_config(c, *avg);
  } else if (std::holds_alternative<GlobalAveragePooling2D>(layer)) {
    c["data_format"] = "channels_last";
    c["keepdims"] = false;
  } else if (const auto* dropout = std::get_if<Dropout>(&layer)) {
    c["rate"] = shortest_double(dropout->rate);
    c["seed"] = seed ? Json(*seed) : Json(nullptr);
    c["noise_shape"] = nullptr;
  } else if (write_elementwise_settings(layer, c)) {
    // One float per setting (model/elementwise_layers.hpp).
  } else if (std::holds_alternative<Flatten>(layer)) {
    c["data_format"] = "channels_last";
  } else if (const auto* dense = std::get_if<Dense>(&layer)) {
    c["units"] = dense->units;
    c["activation"] = to_string(dense->activation);
    const Json settings = kernel_and_bias_settings();  // named: items() must not outlive it
    for (const auto& [k, v] : settings.items()) c[k] = v;
    for (const char* k : {"kernel_regularizer", "bias_regularizer", "kernel_constraint",
                          "bias_constraint"}) {
      c[k] = nullptr;
    }
  }
  Json serialized = object("keras.layers", info.type_name(), std::move(c));
  serialized["build_config"] = Json{{"input_shape", batched(info.input_shape)}};
  return serialized;
}

Json optimizer_json(const Optimizer& o) {
  const char* class_name = o.kind == Optimizer::Kind::adam      ? "Adam"
                           : o.kind == Optimizer::Kind::rmsprop ? "RMSprop"
                                                                : "SGD";
  const char* name = o.kind == Optimizer::Kind::adam      ? "adam"
                     : o.kind == Optimizer::Kind::rmsprop ? "rmsprop"
                                                          : "sgd";
  Json c{{"name", name},
         {"learning_rate", shortest_double(o.learning_rate())},
         {"weight_decay", nullptr},
         {"clipnorm", nullptr},
         {"global_clipnorm", nullptr},
         {"clipvalue", nullptr},
         {"use_ema", false},
         {"ema_momentum", 0.99},
         {"ema_overwrite_frequency", nullptr},
         {"loss_scale_factor", nullptr},
         {"gradient_accumulation_steps", nullptr}};
  if (o.kind == Optimizer::Kind::adam) {
    c["beta_1"] = shortest_double(o.adam.beta_1);
    c["beta_2"] = shortest_double(o.adam.beta_2);
    c["epsilon"] = shortest_double(o.adam.epsilon);
    c["amsgrad"] = false;
  } else if (o.kind == Optimizer::Kind::rmsprop) {
    c["rho"] = shortest_double(o.rmsprop.rho);
    c["momentum"] = shortest_double(o.rmsprop.momentum);
    c["epsilon"] = shortest_double(o.rmsprop.epsilon);
    c["centered"] = false;
  } else {
    c["momentum"] = shortest_double(o.sgd.momentum);
    c["nesterov"] = false;
  }
  return object("keras.optimizers", class_name, std::move(c));
}

// ---- reading -------------------------------------------------------------------

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& where, const std::string& problem) const {
    throw Error(source_ + ": " + (where.empty() ? "" : where + ": ") + problem);
  }

  const Json& member(const Json& object, const char* key, const std::string& where) const {
    if (!object.is_object() || !object.contains(key)) fail(where, std::string("has no \"") + key + "\"");
    return object.at(key);
  }
  std::string string(const Json& value, const std::string& where) const {
    if (!value.is_string()) fail(where, "must be a string, got " + value.dump());
    return value.get<std::string>();
  }
  int positive_int(const Json& value, const std::string& where) const {
    if (!value.is_number_integer() || value.get<std::int64_t>() <= 0 ||
        value.get<std::int64_t>() > (1 << 24)) {
      fail(where, "must be a positive integer, got " + value.dump());
    }
    return int(value.get<std::int64_t>());
  }
  float finite(const Json& value, const std::string& where) const {
    // Finite as a float too: vknn computes in float32.
    if (!value.is_number() || !std::isfinite(float(value.get<double>()))) {
      fail(where, "must be a finite float32 number, got " + value.dump());
    }
    return float(value.get<double>());
  }
  // Keras's int-or-tuple arguments: 3 or [3, 3].
  Size2 size2(const Json& value, const std::string& where) const {
    if (value.is_number_integer()) return Size2(positive_int(value, where));
    if (!value.is_array() || value.size() != 2) {
      fail(where, "must be an integer or a list of 2 integers, got " + value.dump());
    }
    return Size2(positive_int(value[0], where), positive_int(value[1], where));
  }
  Padding padding(const Json& value, const std::string& where) const {
    const std::string p = string(value, where);
    if (p == "valid") return Padding::valid;
    if (p == "same") return Padding::same;
    fail(where, "must be \"valid\" or \"same\", got \"" + p + "\"");
  }
  Activation activation(const Json& value, const std::string& where) const {
    if (value.is_null()) return Activation::linear;
    const std::string a = string(value, where);
    if (a == "linear") return Activation::linear;
    if (a == "relu") return Activation::relu;
    if (a == "softmax") return Activation::softmax;
    if (a == "sigmoid") return Activation::sigmoid;
    fail(where, "is \"" + a + "\"; vknn has the activations linear, relu, softmax and sigmoid");
  }
  // A per-sample shape from a Keras batch shape: [null, 28, 28, 1].
  Shape sample_shape(const Json& value, const std::string& where) const {
    if (!value.is_array() || value.size() < 2 || !value[0].is_null()) {
      fail(where, "must be a batch shape like [null, 28, 28, 1], got " + value.dump());
    }
    Shape shape;
    for (std::size_t i = 1; i < value.size(); ++i) shape.push_back(positive_int(value[i], where));
    return shape;
  }

 private:
  std::string source_;
};

// Checks a layer's or optimizer's config against what vknn honours:
// `settings` are handled by the caller; `fixed` must hold one of the values
// vknn implements (Keras's default first); any other key must be null.
struct KeySet {
  std::set<std::string> settings;
  std::vector<std::pair<std::string, std::vector<Json>>> fixed;
};

void check_keys(const Reader& r, const Json& config, const KeySet& keys, const std::string& where) {
  if (!config.is_object()) r.fail(where, "\"config\" must be an object, got " + config.dump());
  for (const auto& [key, value] : config.items()) {
    if (keys.settings.count(key)) continue;
    bool known = false;
    for (const auto& [name, allowed] : keys.fixed) {
      if (name != key) continue;
      known = true;
      bool ok = false;
      for (const auto& a : allowed) ok |= (a == value);
      if (!ok) {
        r.fail(where, "\"" + key + "\" is " + value.dump() + ", which vknn does not implement (it has only " +
                          allowed.front().dump() + ")");
      }
    }
    if (!known && !value.is_null()) {
      r.fail(where, "has the setting \"" + key + "\" = " + value.dump() +
                        ", which vknn does not know; it cannot load this layer as written");
    }
  }
}

// The dtype a layer computes in: Keras writes a DTypePolicy object (Keras 3)
// or a string; vknn computes in float32 only.
void check_dtype(const Reader& r, const Json& config, const std::string& where) {
  if (!config.contains("dtype") || config["dtype"].is_null()) return;
  const Json& d = config["dtype"];
  std::string name;
  if (d.is_string()) {
    name = d.get<std::string>();
  } else if (d.is_object() && d.contains("config") && d["config"].is_object() &&
             d["config"].contains("name") && d["config"]["name"].is_string()) {
    name = d["config"]["name"].get<std::string>();
  } else {
    r.fail(where, "\"dtype\" is " + d.dump() + "; vknn computes in float32");
  }
  if (name != "float32") r.fail(where, "\"dtype\" is \"" + name + "\"; vknn computes in float32 only");
}

const std::vector<Json> kChannelsLast = {"channels_last", nullptr};

KeySet layer_keys(std::set<std::string> settings, std::vector<std::pair<std::string, std::vector<Json>>> fixed) {
  settings.insert({"name", "trainable", "dtype"});
  return {std::move(settings), std::move(fixed)};
}

// What the layer's weights are made with does not matter once they are
// loaded; what changes the training (regularizers, constraints) does.
std::vector<std::pair<std::string, std::vector<Json>>> kernel_keys() {
  return {{"use_bias", {true}},
          {"kernel_regularizer", {nullptr}},
          {"bias_regularizer", {nullptr}},
          {"activity_regularizer", {nullptr}},
          {"kernel_constraint", {nullptr}},
          {"bias_constraint", {nullptr}}};
}

template <class Pool>
Pool read_pool(const Reader& r, const Json& c, const std::string& where) {
  check_keys(r, c, layer_keys({"pool_size", "strides", "padding"}, {{"data_format", kChannelsLast}}),
             where);
  Pool pool(c.contains("pool_size") ? r.size2(c["pool_size"], where + " pool_size") : Size2(2, 2));
  if (c.contains("strides") && !c["strides"].is_null()) pool.strides = r.size2(c["strides"], where + " strides");
  if (c.contains("padding")) pool.padding = r.padding(c["padding"], where + " padding");
  return pool;
}

// The elementwise layer of Keras class `class_name` (its settings, each a
// finite float; a missing one keeps Keras's default), or nothing when no
// member has that class.
std::optional<Layer> read_elementwise_layer(const Reader& r, const Json& c, const std::string& class_name,
                                            const std::string& where) {
  std::optional<Layer> layer;
  for_member_named(
      class_name,
      [&]<class L>(L*) {
        using Entry = ElementwiseLayer<L>;
        std::set<std::string> keys;
        for (const auto& s : Entry::settings) keys.insert(s.key);
        check_keys(r, c, layer_keys(keys, {}), where);
        L l = Entry::make();
        for (const auto& s : Entry::settings) {
          if (c.contains(s.key)) l.*s.member = r.finite(c[s.key], where + " " + s.key);
        }
        layer = l;
      },
      ElementwiseLayers{});
  return layer;
}

Layer read_layer(const Reader& r, const std::string& class_name, const Json& c, const std::string& where) {
  if (class_name == "Conv2D" || class_name == "Convolution2D") {
    auto keys = kernel_keys();
    keys.push_back({"data_format", kChannelsLast});
    keys.push_back({"dilation_rate", {Json::array({1, 1}), 1}});
    keys.push_back({"groups", {1}});
    check_keys(r, c, layer_keys({"filters", "kernel_size", "strides", "padding", "activation",
                                 "kernel_initializer", "bias_initializer"},
                                keys),
               where);
    Conv2D conv(r.positive_int(r.member(c, "filters", where), where + " filters"),
                r.size2(r.member(c, "kernel_size", where), where + " kernel_size"));
    if (c.contains("strides")) conv.strides = r.size2(c["strides"], where + " strides");
    if (c.contains("padding")) conv.padding = r.padding(c["padding"], where + " padding");
    if (c.contains("activation")) conv.activation = r.activation(c["activation"], where + " activation");
    return conv;
  }
  if (class_name == "MaxPooling2D" || class_name == "MaxPool2D") return read_pool<MaxPooling2D>(r, c, where);
  if (class_name == "AveragePooling2D" || class_name == "AvgPool2D") {
    return read_pool<AveragePooling2D>(r, c, where);
  }
  if (class_name == "GlobalAveragePooling2D" || class_name == "GlobalAvgPool2D") {
    check_keys(r, c, layer_keys({}, {{"data_format", kChannelsLast}, {"keepdims", {false}}}), where);
    return GlobalAveragePooling2D();
  }
  if (class_name == "Dropout") {
    check_keys(r, c, layer_keys({"rate", "seed"}, {{"noise_shape", {nullptr}}}), where);
    const float rate = r.finite(r.member(c, "rate", where), where + " rate");
    if (!(rate >= 0.0f && rate < 1.0f)) r.fail(where, "\"rate\" must be in [0, 1), got " + c["rate"].dump());
    Dropout dropout(rate);
    if (c.contains("seed") && !c["seed"].is_null()) {
      if (!c["seed"].is_number_unsigned()) r.fail(where, "\"seed\" must be null or an integer >= 0, got " + c["seed"].dump());
      dropout.seed = c["seed"].get<std::uint64_t>();
    }
    return dropout;
  }
  if (std::optional<Layer> layer = read_elementwise_layer(r, c, class_name, where)) return *layer;
  if (class_name == "Flatten") {
    check_keys(r, c, layer_keys({}, {{"data_format", kChannelsLast}}), where);
    return Flatten();
  }
  if (class_name == "Dense") {
    auto keys = kernel_keys();
    keys.push_back({"quantization_config", {nullptr}});
    check_keys(r, c, layer_keys({"units", "activation", "kernel_initializer", "bias_initializer"}, keys),
               where);
    Dense dense(r.positive_int(r.member(c, "units", where), where + " units"));
    if (c.contains("activation")) dense.activation = r.activation(c["activation"], where + " activation");
    return dense;
  }
  r.fail(where, "is a " + class_name + " layer, which vknn does not have (it has Conv2D, "
                "MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Dropout, " +
                    elementwise_class_names(ElementwiseLayers{}) +
                    ", Flatten and Dense, after an optional InputLayer)");
}

void set_name_and_shape(Layer& layer, std::string name, std::optional<Shape> input_shape) {
  std::visit(
      [&](auto& l) {
        l.name = std::move(name);
        if (input_shape) l.input_shape = std::move(*input_shape);
      },
      layer);
}

Optimizer read_optimizer(const Reader& r, const Json& value) {
  const std::string where = "compile_config optimizer";
  std::string kind;
  Json c = Json::object();
  if (value.is_string()) {
    kind = value.get<std::string>();
  } else {
    kind = r.string(r.member(value, "class_name", where), where + " class_name");
    c = r.member(value, "config", where);
  }
  for (auto& ch : kind) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  std::vector<std::pair<std::string, std::vector<Json>>> common = {
      {"weight_decay", {nullptr}}, {"clipnorm", {nullptr}},   {"global_clipnorm", {nullptr}},
      {"clipvalue", {nullptr}},    {"use_ema", {false}},      {"ema_overwrite_frequency", {nullptr}},
      {"loss_scale_factor", {nullptr}}, {"gradient_accumulation_steps", {nullptr}},
      {"is_legacy_optimizer", {false}}, {"jit_compile", {true, false}}};
  auto number = [&](const char* key, float fallback) {
    return c.contains(key) ? r.finite(c[key], where + " " + key) : fallback;
  };
  if (c.contains("learning_rate") && !c["learning_rate"].is_number()) {
    r.fail(where, "\"learning_rate\" is " + c["learning_rate"].dump() +
                      "; vknn takes a number (learning-rate schedules are not supported)");
  }
  Optimizer o;
  if (kind == "adam") {
    common.push_back({"amsgrad", {false}});
    check_keys(r, c, {{"name", "learning_rate", "beta_1", "beta_2", "epsilon", "ema_momentum"}, common}, where);
    o = Adam(number("learning_rate", 0.001f), number("beta_1", 0.9f), number("beta_2", 0.999f),
             number("epsilon", 1e-7f));
  } else if (kind == "sgd") {
    common.push_back({"nesterov", {false}});
    check_keys(r, c, {{"name", "learning_rate", "momentum", "ema_momentum"}, common}, where);
    o = SGD(number("learning_rate", 0.01f), number("momentum", 0.0f));
  } else if (kind == "rmsprop") {
    common.push_back({"centered", {false}});
    check_keys(r, c, {{"name", "learning_rate", "rho", "momentum", "epsilon", "ema_momentum"}, common},
               where);
    o = RMSprop(number("learning_rate", 0.001f), number("rho", 0.9f), number("momentum", 0.0f),
                number("epsilon", 1e-7f));
  } else {
    r.fail(where, "is \"" + kind + "\"; vknn has the optimizers Adam, SGD and RMSprop");
  }
  return o;
}

std::string read_loss(const Reader& r, const Json& value) {
  const std::string where = "compile_config loss";
  std::string name;
  if (value.is_string()) {
    name = value.get<std::string>();
  } else if (value.is_object()) {
    const std::string cls = r.string(r.member(value, "class_name", where), where + " class_name");
    const Json& c = r.member(value, "config", where);
    if (cls == "SparseCategoricalCrossentropy") name = "sparse_categorical_crossentropy";
    else if (cls == "BinaryCrossentropy") name = "binary_crossentropy";
    else name = cls;
    if (c.is_object() && c.contains("from_logits") && c["from_logits"] != false) {
      r.fail(where, "from_logits=true is not supported: vknn fuses the loss with the last layer's "
                    "softmax or sigmoid");
    }
    if (c.is_object() && c.contains("label_smoothing") && c["label_smoothing"] != 0 &&
        c["label_smoothing"] != 0.0) {
      r.fail(where, "label_smoothing is not supported by vknn");
    }
  } else {
    r.fail(where, "must be a loss name or a serialized loss, got " + value.dump());
  }
  if (name != "sparse_categorical_crossentropy" && name != "binary_crossentropy") {
    r.fail(where, "is \"" + name + "\"; vknn trains with sparse_categorical_crossentropy or "
                  "binary_crossentropy");
  }
  return name;
}

}  // namespace

double shortest_double(float value) {
  char text[32];
  for (int precision = 6; precision <= 9; ++precision) {
    std::snprintf(text, sizeof text, "%.*g", precision, double(value));
    if (std::strtof(text, nullptr) == value) break;
  }
  return std::strtod(text, nullptr);
}

std::string write_keras_config(const ModelConfig& config, const Architecture& architecture,
                               const std::vector<std::optional<std::uint64_t>>& dropout_seeds) {
  const Shape& input = architecture.input_shape();
  Json layers = Json::array();
  layers.push_back(object("keras.layers", "InputLayer",
                          Json{{"batch_shape", batched(input)},
                               {"dtype", "float32"},
                               {"sparse", false},
                               {"ragged", false},
                               {"name", "input_layer"}}));
  for (std::size_t i = 0; i < config.layers.size(); ++i) {
    layers.push_back(layer_config(config.layers[i], architecture[i], dropout_seeds.at(i)));
  }
  Json model_config{{"name", config.name},
                    {"trainable", true},
                    {"dtype", dtype_policy()},
                    {"layers", std::move(layers)},
                    {"build_input_shape", batched(input)}};
  Json model = object("keras", "Sequential", std::move(model_config));
  model["build_config"] = Json{{"input_shape", batched(input)}};
  Json metrics = Json::array();
  for (const auto& m : config.metrics) metrics.push_back(m);
  model["compile_config"] = Json{{"optimizer", optimizer_json(config.optimizer)},
                                 {"loss", config.loss},
                                 {"loss_weights", nullptr},
                                 {"metrics", std::move(metrics)},
                                 {"weighted_metrics", nullptr},
                                 {"run_eagerly", false},
                                 {"steps_per_execution", 1},
                                 {"jit_compile", "auto"}};
  return model.dump();
}

ModelConfig read_keras_config(const std::string& text, const std::string& source) {
  const Reader r(source);
  Json root;
  try {
    root = Json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    r.fail("", std::string("is not valid JSON: ") + e.what());
  }
  if (!root.is_object()) r.fail("", "must hold a JSON object, got " + root.dump().substr(0, 80));
  const std::string class_name = r.string(r.member(root, "class_name", ""), "class_name");
  if (class_name != "Sequential") {
    r.fail("", "holds a " + class_name + " model; vknn loads Sequential models only");
  }
  const Json& config = r.member(root, "config", "");
  ModelConfig result;
  if (config.contains("name")) result.name = r.string(config["name"], "config name");
  const Json& layers = r.member(config, "layers", "config");
  if (!layers.is_array()) r.fail("config layers", "must be a list");

  std::optional<Shape> input_shape;
  if (root.contains("build_config") && root["build_config"].is_object() &&
      root["build_config"].contains("input_shape")) {
    input_shape = r.sample_shape(root["build_config"]["input_shape"], "build_config input_shape");
  } else if (config.contains("build_input_shape") && !config["build_input_shape"].is_null()) {
    input_shape = r.sample_shape(config["build_input_shape"], "config build_input_shape");
  }
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Json& entry = layers[i];
    const std::string where = "layer " + std::to_string(i);
    const std::string cls = r.string(r.member(entry, "class_name", where), where + " class_name");
    const Json& c = r.member(entry, "config", where + " (" + cls + ")");
    if (!c.is_object()) r.fail(where, "\"config\" must be an object");
    if (cls == "InputLayer") {
      if (!result.layers.empty()) r.fail(where, "an InputLayer can only come first");
      check_keys(r, c, {{"batch_shape", "batch_input_shape", "dtype", "name", "batch_size", "shape"},
                        {{"sparse", {false}}, {"ragged", {false}}, {"optional", {false}}}},
                 where + " (InputLayer)");
      if (c.contains("batch_shape")) input_shape = r.sample_shape(c["batch_shape"], where + " batch_shape");
      else if (c.contains("batch_input_shape")) input_shape = r.sample_shape(c["batch_input_shape"], where + " batch_input_shape");
      if (c.contains("dtype") && !c["dtype"].is_null() && c["dtype"] != "float32") {
        r.fail(where, "the input dtype is " + c["dtype"].dump() + "; vknn takes float32 inputs");
      }
      continue;
    }
    const std::string name = c.contains("name") ? r.string(c["name"], where + " name") : "";
    const std::string named = where + " '" + name + "' (" + cls + ")";
    check_dtype(r, c, named);
    Layer layer = read_layer(r, cls, c, named);
    if (result.layers.empty()) {
      // Keras 2 files put the input shape on the first layer.
      if (c.contains("batch_input_shape")) input_shape = r.sample_shape(c["batch_input_shape"], named);
      if (!input_shape && entry.contains("build_config") && entry["build_config"].is_object() &&
          entry["build_config"].contains("input_shape")) {
        input_shape = r.sample_shape(entry["build_config"]["input_shape"], named + " build_config");
      }
      if (!input_shape) {
        r.fail("", "says nothing of the model's input shape (no InputLayer, build_config or "
                   "build_input_shape); vknn needs it to build the model");
      }
      set_name_and_shape(layer, name, input_shape);
    } else {
      set_name_and_shape(layer, name, std::nullopt);
    }
    bool trainable = true;
    if (c.contains("trainable")) {
      if (!c["trainable"].is_boolean()) r.fail(named, "\"trainable\" must be true or false");
      trainable = c["trainable"].get<bool>();
    }
    result.layers.push_back(std::move(layer));
    result.trainable.push_back(trainable);
  }
  if (result.layers.empty()) r.fail("config layers", "the model has no layers");

  if (!root.contains("compile_config") || root["compile_config"].is_null() ||
      (root["compile_config"].is_object() && root["compile_config"].empty())) {
    r.fail("", "has no compile_config: the model was saved uncompiled, and vknn loads compiled "
               "models (their optimizer and loss); compile it before saving");
  }
  const Json& compile = root["compile_config"];
  if (!compile.is_object()) r.fail("compile_config", "must be an object");
  check_keys(r, compile,
             {{"optimizer", "loss", "metrics", "run_eagerly", "steps_per_execution", "jit_compile"},
              {{"loss_weights", {nullptr}}, {"weighted_metrics", {nullptr}}}},
             "compile_config");
  result.optimizer = read_optimizer(r, r.member(compile, "optimizer", "compile_config"));
  result.loss = read_loss(r, r.member(compile, "loss", "compile_config"));
  if (compile.contains("metrics") && !compile["metrics"].is_null()) {
    const Json& metrics = compile["metrics"];
    if (!metrics.is_array()) r.fail("compile_config metrics", "must be a list of metric names");
    for (const auto& m : metrics) {
      const std::string metric = r.string(m, "compile_config metrics");
      if (metric != "accuracy" && metric != "acc" && metric != "sparse_categorical_accuracy" &&
          metric != "binary_accuracy") {
        r.fail("compile_config metrics", "names \"" + metric + "\"; vknn computes accuracy only");
      }
      result.metrics.push_back(metric);
    }
  }
  return result;
}

}  // namespace vknn::model
