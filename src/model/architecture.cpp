// Architecture::build: names, shapes, geometries and parameter specs of a
// layer list, checked layer by layer. The Keras summary table is summary.cpp's.
#include "model/architecture.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "vknn/error.hpp"

namespace vknn::model {
namespace {

// Tensors are indexed with int in the op geometries and the shaders.
constexpr std::int64_t kMaxElements = std::numeric_limits<int>::max();

// ---- Small helpers --------------------------------------------------------

struct KindOf {
  LayerKind operator()(const Conv2D&) const { return LayerKind::conv2d; }
  LayerKind operator()(const MaxPooling2D&) const { return LayerKind::max_pooling2d; }
  LayerKind operator()(const AveragePooling2D&) const { return LayerKind::average_pooling2d; }
  LayerKind operator()(const GlobalAveragePooling2D&) const {
    return LayerKind::global_average_pooling2d;
  }
  LayerKind operator()(const Dropout&) const { return LayerKind::dropout; }
  template <ElementwiseLayerType L>
  LayerKind operator()(const L&) const { return LayerKind::elementwise; }
  LayerKind operator()(const Flatten&) const { return LayerKind::flatten; }
  LayerKind operator()(const Dense&) const { return LayerKind::dense; }
};

LayerKind kind_of(const Layer& layer) { return std::visit(KindOf{}, layer); }

const std::string& user_name_of(const Layer& layer) {
  return std::visit([](const auto& l) -> const std::string& { return l.name; }, layer);
}

const std::optional<Shape>& input_shape_of(const Layer& layer) {
  return std::visit([](const auto& l) -> const std::optional<Shape>& { return l.input_shape; },
                    layer);
}

bool is_known(Activation a) {
  return a == Activation::linear || a == Activation::relu || a == Activation::softmax ||
         a == Activation::sigmoid;
}

// softmax and sigmoid are output activations: the loss fuses them.
bool is_output_activation(Activation a) {
  return a == Activation::softmax || a == Activation::sigmoid;
}

std::string activation_name(Activation a) {
  if (is_known(a)) return std::string("'") + to_string(a) + "'";
  return "an unknown activation (value " + std::to_string(static_cast<int>(a)) + ")";
}

bool is_known(Padding p) { return p == Padding::valid || p == Padding::same; }

std::string size2(int h, int w) { return std::to_string(h) + "x" + std::to_string(w); }

// a * b, or -1 when it would pass kMaxElements (inputs are non-negative).
std::int64_t capped_product(std::int64_t a, std::int64_t b) {
  if (a < 0 || b < 0) return -1;
  if (a != 0 && b > kMaxElements / a) return -1;
  return a * b;
}

std::int64_t capped_product(const Shape& shape) {
  std::int64_t n = 1;
  for (int d : shape) {
    n = capped_product(n, d);
    if (n < 0) return -1;
  }
  return n;
}

// Printable ASCII keeps the summary columns aligned and the weights file's
// JSON header plain; '/' separates the layer from the tensor ("dense/bias").
bool is_valid_name(const std::string& name) {
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return c >= 0x20 && c <= 0x7e && c != '/'; });
}

// ---- Building one layer ---------------------------------------------------

// What a layer checker needs to know besides the layer itself.
struct Context {
  std::string who;  // "layer conv2d_1 (Conv2D)"
  Shape input;      // per-sample input shape
  bool is_last = false;
  std::string next_who;  // the following layer, for the softmax message
};

[[noreturn]] void fail(const Context& ctx, const std::string& problem) {
  throw Error(ctx.who + ": " + problem);
}

void require_positive(const Context& ctx, const char* what, int value, const std::string& hint) {
  if (value <= 0) {
    fail(ctx, std::string(what) + " must be positive, got " + std::to_string(value) + "; " + hint);
  }
}

void require_padding(const Context& ctx, Padding padding) {
  if (!is_known(padding)) {
    fail(ctx, "padding has an unknown value (" + std::to_string(static_cast<int>(padding)) +
                  "); use Padding::valid or Padding::same");
  }
}

// Conv2D and the pooling layers work on (H, W, C) samples.
void require_image_input(const Context& ctx, const char* type) {
  if (ctx.input.size() != 3) {
    fail(ctx, "input has shape " + format_shape(ctx.input) + "; " + type +
                  " needs a rank-3 input (height, width, channels), e.g. input_shape (28, 28, 1)");
  }
}

void require_window_fits(const Context& ctx, const char* what, int k_h, int k_w, Padding padding) {
  const int in_h = ctx.input[0], in_w = ctx.input[1];
  if (padding == Padding::valid && (k_h > in_h || k_w > in_w)) {
    fail(ctx, std::string(what) + " " + size2(k_h, k_w) + " does not fit its " + size2(in_h, in_w) +
                  "x" + std::to_string(ctx.input[2]) +
                  " input with padding 'valid'; use padding 'same' or a " + what +
                  " of at most " + size2(in_h, in_w));
  }
}

void require_activation(const Context& ctx, Activation a, bool output_allowed,
                        const char* allowed) {
  if (!is_known(a) || (is_output_activation(a) && !output_allowed)) {
    fail(ctx, "activation " + activation_name(a) + " is not supported on this layer type; use " +
                  allowed + " (softmax and sigmoid are supported only on a final Dense layer)");
  }
  if (is_output_activation(a) && !ctx.is_last) {
    fail(ctx, "activation " + activation_name(a) + " is supported only on the last layer, and "
              "this layer is followed by " + ctx.next_who + "; use 'relu' or 'linear' here and "
              "keep " + activation_name(a) + " for the final Dense layer");
  }
}

ParameterSpec parameter(const std::string& layer_name, ParameterRole role, Shape shape) {
  ParameterSpec p;
  p.name = layer_name + (role == ParameterRole::kernel ? "/kernel" : "/bias");
  p.shape = std::move(shape);
  p.role = role;
  return p;
}

void require_parameter_size(const Context& ctx, const ParameterSpec& p) {
  if (capped_product(p.shape) < 0) {
    fail(ctx, p.name + " would have shape " + format_shape(p.shape) + ", more than " +
                  std::to_string(kMaxElements) + " elements; use fewer filters or units");
  }
}

void require_activation_size(const Context& ctx, const Shape& output) {
  if (capped_product(output) < 0) {
    fail(ctx, "output shape " + format_shape(output) + " has more than " +
                  std::to_string(kMaxElements) + " elements per sample");
  }
}

// A sliding window's arguments (Conv2D's kernel, a pooling's pool): sizes
// and strides positive, a known padding, an image input the window fits.
struct WindowArguments {
  const char* window;  // "kernel" or "pool"
  Size2 size, strides;
  Padding padding;
  const char* size_hint;
  const char* strides_hint;
};

void require_window(const Context& ctx, const char* type, const WindowArguments& w) {
  const std::string window = w.window;
  require_positive(ctx, (window + " height").c_str(), w.size.h, w.size_hint);
  require_positive(ctx, (window + " width").c_str(), w.size.w, w.size_hint);
  require_positive(ctx, "stride height", w.strides.h, w.strides_hint);
  require_positive(ctx, "stride width", w.strides.w, w.strides_hint);
  require_padding(ctx, w.padding);
  require_image_input(ctx, type);
  require_window_fits(ctx, w.window, w.size.h, w.size.w, w.padding);
}

void fill(LayerInfo& info, const Context& ctx, const Conv2D& conv) {
  require_positive(ctx, "filters", conv.filters, "use e.g. Conv2D(64, {3, 3}, ...)");
  require_activation(ctx, conv.activation, false, "'linear' or 'relu'");
  require_window(ctx, "Conv2D",
                 {"kernel", conv.kernel_size, conv.strides, conv.padding,
                  "use e.g. kernel_size {3, 3}", "use e.g. strides {1, 1}"});

  const Conv2DGeometry g{.batch = 1, .in_h = ctx.input[0], .in_w = ctx.input[1],
                         .in_c = ctx.input[2], .out_c = conv.filters,
                         .kernel_h = conv.kernel_size.h, .kernel_w = conv.kernel_size.w,
                         .stride_h = conv.strides.h, .stride_w = conv.strides.w,
                         .padding = conv.padding};

  info.output_shape = {g.out_h(), g.out_w(), g.out_c};
  require_activation_size(ctx, info.output_shape);
  info.activation = conv.activation;
  info.parameters.push_back(parameter(
      info.name, ParameterRole::kernel, {g.kernel_h, g.kernel_w, g.in_c, g.out_c}));
  info.parameters.push_back(parameter(info.name, ParameterRole::bias, {g.out_c}));
  g.validate();
  info.geometry = g;
}

// MaxPooling2D and AveragePooling2D: the same window arithmetic.
void fill_pooling(LayerInfo& info, const Context& ctx, const Pooling2D& pool, const char* type) {
  const Size2 strides = pool.strides.value_or(pool.pool_size);
  require_window(ctx, type,
                 {"pool", pool.pool_size, strides, pool.padding, "use e.g. pool_size {2, 2}",
                  "leave strides unset to use the pool size"});

  const Pool2DGeometry g{.batch = 1, .in_h = ctx.input[0], .in_w = ctx.input[1],
                         .channels = ctx.input[2], .pool_h = pool.pool_size.h,
                         .pool_w = pool.pool_size.w, .stride_h = strides.h,
                         .stride_w = strides.w, .padding = pool.padding};
  g.validate();

  info.output_shape = {g.out_h(), g.out_w(), g.channels};
  info.geometry = g;
}

void fill(LayerInfo& info, const Context& ctx, const MaxPooling2D& pool) {
  fill_pooling(info, ctx, pool, "MaxPooling2D");
}

void fill(LayerInfo& info, const Context& ctx, const AveragePooling2D& pool) {
  fill_pooling(info, ctx, pool, "AveragePooling2D");
}

// One window over the whole map: (H, W, C) -> (C).
void fill(LayerInfo& info, const Context& ctx, const GlobalAveragePooling2D&) {
  require_image_input(ctx, "GlobalAveragePooling2D");
  Pool2DGeometry g;
  g.batch = 1;
  g.in_h = g.pool_h = g.stride_h = ctx.input[0];
  g.in_w = g.pool_w = g.stride_w = ctx.input[1];
  g.channels = ctx.input[2];
  g.padding = Padding::valid;
  g.validate();
  info.output_shape = {g.channels};
  info.geometry = g;
}

// Any input shape; the output is the input's.
void fill(LayerInfo& info, const Context& ctx, const Dropout& dropout) {
  if (!(dropout.rate >= 0.0f && dropout.rate < 1.0f)) {
    fail(ctx, "rate must be in [0, 1), got " + std::to_string(dropout.rate) +
                  " (the fraction of inputs dropped in training; e.g. Dropout(0.2))");
  }
  info.output_shape = ctx.input;
  info.geometry = dropout;
}

// Any input shape; the output is the input's.
// The elementwise family (model/elementwise_layers.hpp): any input shape,
// the output is the input's; every setting finite.
template <ElementwiseLayerType L>
void fill(LayerInfo& info, const Context& ctx, const L& layer) {
  using Entry = ElementwiseLayer<L>;
  for (const auto& s : Entry::settings) {
    if (!std::isfinite(layer.*s.member)) {
      fail(ctx, std::string(s.key) + " must be finite, got " + std::to_string(layer.*s.member));
    }
  }
  if (const std::string problem = Entry::problem(layer); !problem.empty()) fail(ctx, problem);
  info.output_shape = ctx.input;
  info.geometry = ElementwiseGeometry{Entry::function(layer)};
}

void fill(LayerInfo& info, const Context& ctx, const Flatten&) {
  // Keras flattens any rank, keeping the order of the elements (H, W, C).
  info.output_shape = {static_cast<int>(capped_product(ctx.input))};
}

void fill(LayerInfo& info, const Context& ctx, const Dense& dense) {
  require_positive(ctx, "units", dense.units, "use e.g. Dense(128, ...)");
  require_activation(ctx, dense.activation, true, "'linear', 'relu', 'softmax' or 'sigmoid'");
  if (ctx.input.size() == 3) {
    fail(ctx, "input has shape " + format_shape(ctx.input) + "; add Flatten() before Dense");
  }
  if (ctx.input.size() != 1) {
    fail(ctx, "input has shape " + format_shape(ctx.input) +
                  "; Dense needs a rank-1 input (features); add Flatten() before Dense");
  }

  DenseGeometry g;
  g.batch = 1;
  g.in_features = ctx.input[0];
  g.out_features = dense.units;

  info.output_shape = {dense.units};
  info.activation = dense.activation;
  info.parameters.push_back(
      parameter(info.name, ParameterRole::kernel, {g.in_features, g.out_features}));
  info.parameters.push_back(parameter(info.name, ParameterRole::bias, {g.out_features}));
  g.validate();
  info.geometry = g;
}

// ---- Names ----------------------------------------------------------------

std::string who(const std::string& name, const char* type) {
  return "layer " + name + " (" + type + ")";
}

// User-given names first (they win and must be unique), then the automatic
// ones, which skip every name already taken.
std::vector<std::string> assign_names(const std::vector<Layer>& layers) {
  std::vector<std::string> names(layers.size());
  std::map<std::string, std::size_t> taken;  // name -> layer index
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const std::string& given = user_name_of(layers[i]);
    if (given.empty()) continue;
    if (!is_valid_name(given)) {
      throw Error("layer " + std::to_string(i + 1) + " (" + type_name(layers[i]) + "): name '" +
                  given + "' may contain only printable ASCII characters other than '/' "
                  "(which separates layer and tensor names, as in 'dense/kernel')");
    }
    auto [it, inserted] = taken.emplace(given, i);
    if (!inserted) {
      throw Error(who(given, type_name(layers[i])) + ": name '" + given + "' is already used by layer " +
                  std::to_string(it->second + 1) + " (" + type_name(layers[it->second]) +
                  "); layer names in a model must be unique (leave name empty for an "
                  "automatic one)");
    }
    names[i] = given;
  }
  std::map<std::string, int> next_suffix;  // prefix -> next counter to try
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (!names[i].empty()) continue;
    const std::string prefix = name_prefix(layers[i]);
    int& n = next_suffix[prefix];
    std::string candidate;
    do {
      candidate = n == 0 ? prefix : prefix + "_" + std::to_string(n);
      ++n;
    } while (taken.count(candidate) > 0);
    taken.emplace(candidate, i);
    names[i] = candidate;
  }
  return names;
}

}  // namespace

// ---- Public helpers ---------------------------------------------------------

const char* type_name(LayerKind kind) {
  switch (kind) {
    case LayerKind::conv2d: return "Conv2D";
    case LayerKind::max_pooling2d: return "MaxPooling2D";
    case LayerKind::average_pooling2d: return "AveragePooling2D";
    case LayerKind::global_average_pooling2d: return "GlobalAveragePooling2D";
    case LayerKind::dropout: return "Dropout";
    case LayerKind::elementwise: return "elementwise layer";
    case LayerKind::flatten: return "Flatten";
    case LayerKind::dense: return "Dense";
  }
  return "Unknown";
}

const char* name_prefix(LayerKind kind) {
  switch (kind) {
    case LayerKind::conv2d: return "conv2d";
    case LayerKind::max_pooling2d: return "max_pooling2d";
    case LayerKind::average_pooling2d: return "average_pooling2d";
    case LayerKind::global_average_pooling2d: return "global_average_pooling2d";
    case LayerKind::dropout: return "dropout";
    case LayerKind::elementwise: return "elementwise";
    case LayerKind::flatten: return "flatten";
    case LayerKind::dense: return "dense";
  }
  return "unknown";
}

// A member of the elementwise family names itself; every other layer by its kind.
const char* type_name(const Layer& layer) {
  return std::visit(
      [&]<class L>(const L&) -> const char* {
        if constexpr (ElementwiseLayerType<L>) {
          return ElementwiseLayer<L>::keras_class;
        } else {
          return type_name(kind_of(layer));
        }
      },
      layer);
}

const char* name_prefix(const Layer& layer) {
  return std::visit(
      [&]<class L>(const L&) -> const char* {
        if constexpr (ElementwiseLayerType<L>) {
          return ElementwiseLayer<L>::name_prefix;
        } else {
          return name_prefix(kind_of(layer));
        }
      },
      layer);
}

std::int64_t ParameterSpec::size() const {
  std::int64_t n = 1;
  for (int d : shape) n *= d;
  return n;
}

TensorSpec ParameterSpec::tensor_spec() const {
  return TensorSpec{name, TensorShape(shape.begin(), shape.end())};
}

std::string format_shape(const Shape& shape) {
  return format_tensor_shape(TensorShape(shape.begin(), shape.end()));
}

std::int64_t element_count(const Shape& shape) {
  std::int64_t n = 1;
  for (int d : shape) n *= d;
  return n;
}

// ---- Architecture -----------------------------------------------------------

Architecture Architecture::build(const std::vector<Layer>& layers) {
  if (layers.empty()) {
    throw Error("model: it has no layers; add at least one, the first with an input_shape, "
                "e.g. Conv2D(64, {3, 3}, Activation::relu, Shape{28, 28, 1})");
  }
  const std::vector<std::string> names = assign_names(layers);

  Architecture arch;
  arch.layers_.reserve(layers.size());
  for (std::size_t i = 0; i < layers.size(); ++i) {
    LayerInfo info;
    info.name = names[i];
    info.kind = kind_of(layers[i]);
    info.type = type_name(layers[i]);
    info.prefix = name_prefix(layers[i]);

    Context ctx;
    ctx.who = who(info.name, info.type);
    ctx.is_last = i + 1 == layers.size();
    if (!ctx.is_last) ctx.next_who = who(names[i + 1], type_name(layers[i + 1]));

    const std::optional<Shape>& declared = input_shape_of(layers[i]);
    if (i == 0) {
      if (!declared) {
        fail(ctx, "the first layer needs an input_shape, the shape of one sample without the "
                  "batch, e.g. Shape{28, 28, 1} for 28x28 grey images");
      }
      if (declared->empty()) {
        fail(ctx, "input_shape () is empty; give the shape of one sample, e.g. (28, 28, 1)");
      }
      for (int d : *declared) {
        if (d <= 0) {
          fail(ctx, "input_shape " + format_shape(*declared) +
                        " has a dimension <= 0; every dimension must be positive");
        }
      }
      if (capped_product(*declared) < 0) {
        fail(ctx, "input_shape " + format_shape(*declared) + " has more than " +
                      std::to_string(kMaxElements) + " elements per sample");
      }
      ctx.input = *declared;
    } else {
      const LayerInfo& previous = arch.layers_.back();
      ctx.input = previous.output_shape;
      if (declared && *declared != ctx.input) {
        fail(ctx, "input_shape " + format_shape(*declared) + " disagrees with the output of " +
                      who(previous.name, previous.type) + ", which is " +
                      format_shape(ctx.input) +
                      "; only the first layer needs an input_shape (remove it here or set it to " +
                      format_shape(ctx.input) + ")");
      }
    }
    info.input_shape = ctx.input;

    std::visit([&](const auto& layer) { fill(info, ctx, layer); }, layers[i]);
    for (const ParameterSpec& p : info.parameters) {
      require_parameter_size(ctx, p);
      info.params += p.size();
    }
    arch.total_params_ += info.params;
    arch.layers_.push_back(std::move(info));
  }
  return arch;
}

const LayerInfo& Architecture::layer(const std::string& name) const {
  for (const LayerInfo& info : layers_) {
    if (info.name == name) return info;
  }
  std::string known;
  for (const LayerInfo& info : layers_) known += (known.empty() ? "" : ", ") + info.name;
  throw Error("model: no layer named '" + name + "'; its layers are " + known);
}

std::int64_t Architecture::trainable_params() const {
  std::int64_t count = 0;
  for (const LayerInfo& info : layers_) count += info.trainable ? info.params : 0;
  return count;
}

void Architecture::set_trainable(std::size_t layer, bool trainable) {
  if (layer >= layers_.size()) {
    throw Error("model: no layer at index " + std::to_string(layer) + "; the model has " +
                std::to_string(layers_.size()) + " layers");
  }
  layers_[layer].trainable = trainable;
}

std::vector<ParameterSpec> Architecture::parameters() const {
  std::vector<ParameterSpec> all;
  for (const LayerInfo& info : layers_) {
    all.insert(all.end(), info.parameters.begin(), info.parameters.end());
  }
  return all;
}

std::vector<TensorSpec> Architecture::weight_specs() const {
  std::vector<TensorSpec> specs;
  for (const LayerInfo& info : layers_) {
    for (const ParameterSpec& p : info.parameters) specs.push_back(p.tensor_spec());
  }
  return specs;
}

}  // namespace vknn::model
