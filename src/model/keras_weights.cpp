// model.weights.h5's layout (see keras_weights.hpp).
#include "model/keras_weights.hpp"

#include <map>
#include <set>

#include "io/safetensors.hpp"
#include "model/architecture.hpp"
#include "model/checkpoint.hpp"
#include "vknn/error.hpp"

namespace vknn::model {

namespace {

// The group of each layer: its class in snake case, numbered per class
// from the second on, as saving_lib's _save_container_state names them.
std::vector<std::string> layer_paths(const Architecture& architecture) {
  std::map<std::string, int> used;
  std::vector<std::string> paths;
  for (const auto& layer : architecture.layers()) {
    const std::string base = layer.prefix;
    const int n = used[base]++;
    paths.push_back("layers/" + (n == 0 ? base : base + "_" + std::to_string(n)));
  }
  return paths;
}

const char* optimizer_name(const Optimizer& o) {
  return o.kind == Optimizer::Kind::adam ? "adam" : o.kind == Optimizer::Kind::rmsprop ? "rmsprop" : "sgd";
}

struct SlotRef {
  std::size_t parameter = 0;
  std::size_t slot = 0;
};

// The order of optimizer/vars/2... : Keras's optimizers add their variables
// per trainable weight, interleaved (Adam: m, v; SGD: momentum), except
// RMSprop, which adds all velocities and then all momentums.
std::vector<SlotRef> slot_order(const Architecture& architecture, const Optimizer& optimizer) {
  std::vector<std::size_t> trainable;
  std::size_t index = 0;
  for (const auto& layer : architecture.layers()) {
    for (std::size_t p = 0; p < layer.parameters.size(); ++p, ++index) {
      if (layer.trainable) trainable.push_back(index);
    }
  }
  const std::size_t per_weight = optimizer_state_names(optimizer, "w").size();
  std::vector<SlotRef> order;
  if (optimizer.kind == Optimizer::Kind::rmsprop) {
    for (std::size_t s = 0; s < per_weight; ++s) {
      for (std::size_t p : trainable) order.push_back({p, s});
    }
  } else {
    for (std::size_t p : trainable) {
      for (std::size_t s = 0; s < per_weight; ++s) order.push_back({p, s});
    }
  }
  return order;
}

io::H5Dataset floats(const Shape& shape, std::vector<float> values) {
  io::H5Dataset d;
  d.type = io::H5Dataset::Type::f32;
  d.shape.assign(shape.begin(), shape.end());
  d.floats = std::move(values);
  return d;
}

}  // namespace

io::H5Tree write_keras_weights(const Architecture& architecture, const Optimizer& optimizer,
                               const std::string& model_name, const ModelState& state) {
  io::H5Tree tree;
  tree.groups["vars"] = {{"name", model_name}};
  const auto paths = layer_paths(architecture);
  const auto parameters = architecture.parameters();
  std::size_t index = 0;
  for (std::size_t l = 0; l < architecture.size(); ++l) {
    const std::string vars = paths[l] + "/vars";
    tree.groups[vars] = {{"name", architecture[l].name}};
    for (std::size_t p = 0; p < architecture[l].parameters.size(); ++p, ++index) {
      tree.datasets[vars + "/" + std::to_string(p)] =
          floats(parameters[index].shape, state.weights.at(index));
    }
  }
  tree.groups["optimizer/vars"] = {{"name", optimizer_name(optimizer)}};
  io::H5Dataset iterations;
  iterations.type = io::H5Dataset::Type::i64;
  iterations.ints = {std::int64_t(state.iterations)};
  tree.datasets["optimizer/vars/0"] = iterations;
  tree.datasets["optimizer/vars/1"] = floats({}, {state.learning_rate});
  std::size_t n = 2;
  for (const SlotRef& s : slot_order(architecture, optimizer)) {
    tree.datasets["optimizer/vars/" + std::to_string(n++)] =
        floats(parameters[s.parameter].shape, state.slots.at(s.parameter).at(s.slot));
  }
  return tree;
}

ModelState read_keras_weights(const io::H5Tree& tree, const Architecture& architecture,
                              const Optimizer& optimizer, const std::string& source) {
  auto fail = [&](const std::string& problem) -> Error { return Error(source + ": " + problem); };
  std::set<std::string> used;
  // A dataset of float values with exactly this shape.
  auto take = [&](const std::string& path, const io::TensorShape& shape,
                  const std::string& what) -> const io::H5Dataset& {
    const auto it = tree.datasets.find(path);
    if (it == tree.datasets.end()) throw fail("'" + path + "' (" + what + ") is missing");
    if (it->second.type != io::H5Dataset::Type::f32) {
      throw fail("'" + path + "' (" + what + ") holds integers; vknn expects float values");
    }
    if (it->second.shape != shape) {
      throw fail("'" + path + "' (" + what + ") has shape " + io::format_tensor_shape(it->second.shape) +
                 ", the model expects " + io::format_tensor_shape(shape));
    }
    used.insert(path);
    return it->second;
  };

  ModelState state;
  const auto paths = layer_paths(architecture);
  const auto parameters = architecture.parameters();
  // Named by their paths, for io::check_finite's message.
  io::WeightsFile values;
  values.source = source;
  std::size_t index = 0;
  for (std::size_t l = 0; l < architecture.size(); ++l) {
    for (std::size_t p = 0; p < architecture[l].parameters.size(); ++p, ++index) {
      const std::string path = paths[l] + "/vars/" + std::to_string(p);
      const auto& spec = parameters[index];
      const auto& d = take(path, spec.tensor_spec().shape, spec.name);
      state.weights.push_back(d.floats);
      values.tensors.push_back({path, d.shape, d.floats});
    }
  }

  // The optimizer: nothing (an optimizer never saved), its two scalars (one
  // Keras never built), or those and every slot.
  const auto order = slot_order(architecture, optimizer);
  std::size_t optimizer_vars = 0;
  while (tree.datasets.count("optimizer/vars/" + std::to_string(optimizer_vars))) ++optimizer_vars;
  state.slots.resize(parameters.size());
  const std::size_t per_weight = optimizer_state_names(optimizer, "w").size();
  for (std::size_t p = 0; p < parameters.size(); ++p) {
    for (std::size_t s = 0; s < per_weight; ++s) {
      state.slots[p].emplace_back(std::size_t(parameters[p].size()), 0.0f);
    }
  }
  state.learning_rate = optimizer.learning_rate();
  if (optimizer_vars != 0 && optimizer_vars != 2 && optimizer_vars != 2 + order.size()) {
    throw fail("the optimizer has " + std::to_string(optimizer_vars) + " variables (optimizer/vars/0..." +
               std::to_string(optimizer_vars - 1) + "), but " + optimizer_text(optimizer) +
               " over this model's trainable weights has 2 + " + std::to_string(order.size()));
  }
  if (optimizer_vars >= 2) {
    const auto& it = tree.datasets.at("optimizer/vars/0");
    if (it.type != io::H5Dataset::Type::i64 || it.ints.size() != 1 || it.ints[0] < 0 ||
        it.ints[0] > std::int64_t(UINT32_MAX)) {
      throw fail("'optimizer/vars/0' (the optimizer's iterations) must be one integer in 0.." +
                 std::to_string(UINT32_MAX));
    }
    state.iterations = std::uint32_t(it.ints[0]);
    used.insert("optimizer/vars/0");
    const auto& rate = tree.datasets.at("optimizer/vars/1");
    if (rate.type != io::H5Dataset::Type::f32 || rate.floats.size() != 1 ||
        !learning_rate_is_valid(rate.floats[0])) {
      throw fail(std::string("'optimizer/vars/1' (the learning rate) must be one number, ") +
                 kLearningRateRule);
    }
    state.learning_rate = rate.floats[0];
    used.insert("optimizer/vars/1");
  }
  if (optimizer_vars > 2) {
    const auto names_of = [&](std::size_t p) { return optimizer_state_names(optimizer, parameters[p].name); };
    for (std::size_t i = 0; i < order.size(); ++i) {
      const SlotRef& s = order[i];
      const std::string path = "optimizer/vars/" + std::to_string(2 + i);
      const auto& d = take(path, parameters[s.parameter].tensor_spec().shape, names_of(s.parameter)[s.slot]);
      state.slots[s.parameter][s.slot] = d.floats;
      values.tensors.push_back({path, d.shape, d.floats});
    }
  }
  for (const auto& [path, dataset] : tree.datasets) {
    if (!used.count(path)) {
      throw fail("holds the dataset '" + path + "', which no weight of this model or its "
                 "optimizer has");
    }
  }
  io::check_finite(values, "a model's weights and optimizer state must be finite numbers (was it "
                           "saved by a diverged run?)");
  return state;
}

}  // namespace vknn::model
