// Sequential::save and vknn::load_model: the whole model as a Keras v3
// `.keras` file (docs/saving.md). The zip (io/zip_archive), the HDF5 image
// (io/hdf5_image), the config (keras_config) and the weights' layout
// (keras_weights) each live in their own file; this one gathers the model's
// state from the device and puts it back.
#include <chrono>
#include <ctime>
#include <fstream>
#include <iterator>

#include "io/hdf5_image.hpp"
#include "io/zip_archive.hpp"
#include "model/architecture.hpp"
#include "model/checkpoint.hpp"
#include "model/keras_config.hpp"
#include "model/keras_weights.hpp"
#include "model/trainer.hpp"
#include "vknn/error.hpp"
#include "vknn/io/atomic_file.hpp"
#include "vknn/model/sequential.hpp"

namespace vknn {

namespace {

constexpr const char* kConfigMember = "config.json";
constexpr const char* kMetadataMember = "metadata.json";
constexpr const char* kWeightsMember = "model.weights.h5";
// The Keras release whose saving code this format follows (docs/saving.md).
constexpr const char* kKerasVersion = "3.16.0";

// Only a `.keras` path is honoured; the others name what Keras would have
// written there and what vknn offers instead.
void check_keras_path(const std::filesystem::path& path, const char* call) {
  const std::string ext = path.extension().string();
  if (ext == ".keras") return;
  const std::string where = std::string(call) + ": " + path.string() + ": ";
  if (ext == ".h5" || ext == ".hdf5") {
    throw Error(where + "the legacy Keras HDF5 model format (.h5) is not supported by vknn; "
                "use a path ending in '.keras' (Keras v3's format), or save_weights for the "
                "weights alone");
  }
  if (ext.empty() || std::filesystem::is_directory(path)) {
    throw Error(where + "a path without the '.keras' extension is a TensorFlow SavedModel "
                "directory, which vknn does not " + (std::string(call) == "save" ? "write" : "read") +
                "; use a path ending in '.keras'");
  }
  throw Error(where + "expected a path ending in '.keras' (Keras v3's format), got the extension '" +
              ext + "'");
}

// Keras's metadata.json: {"keras_version": ..., "date_saved": "%Y-%m-%d@%H:%M:%S"}.
std::string metadata_json() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm local{};
  localtime_r(&now, &local);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d@%H:%M:%S", &local);
  return std::string("{\"keras_version\": \"") + kKerasVersion + "\", \"date_saved\": \"" + date + "\"}";
}

std::vector<std::uint8_t> to_bytes(const std::string& text) { return {text.begin(), text.end()}; }

std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    throw Error("load_model: " + path.string() + ": no such file");
  }
  if (std::filesystem::is_directory(path, error)) {
    throw Error("load_model: " + path.string() + ": is a directory, not a .keras file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("load_model: " + path.string() + ": cannot be opened for reading");
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error("load_model: " + path.string() + ": read error");
  return bytes;
}

const std::vector<std::uint8_t>& member(const std::map<std::string, std::vector<std::uint8_t>>& zip,
                                        const char* name, const std::filesystem::path& path) {
  const auto it = zip.find(name);
  if (it == zip.end()) {
    throw Error(path.string() + ": the zip holds no " + name + "; a .keras file holds config.json, "
                "metadata.json and model.weights.h5 (is it a .keras file written by Keras 3 or "
                "vknn?)");
  }
  return it->second;
}

std::vector<float> read_floats(backend::Backend& backend, const backend::DeviceTensor& tensor,
                               std::int64_t count) {
  std::vector<float> values(static_cast<std::size_t>(count));
  backend.read(tensor, values.data(), values.size() * sizeof(float));
  return values;
}

}  // namespace

void Sequential::save(const std::filesystem::path& path) {
  check_keras_path(path, "save");
  if (!trainer_) {
    throw Error("save: the model is not compiled; compile() it first (a .keras file holds the "
                "weights and the compile settings)");
  }
  model::Trainer& trainer = *trainer_;
  auto& backend = trainer.backend();
  backend.synchronize();
  model::ModelState state;
  const StepState step = backend.read_state(trainer.state());
  state.iterations = step.iterations;
  state.learning_rate = step.learning_rate;
  for (const auto& p : trainer.parameters()) {
    state.weights.push_back(read_floats(backend, *p.value, p.spec.size()));
    std::vector<std::vector<float>> slots;
    for (const auto* t : p.state_tensors()) slots.push_back(read_floats(backend, *t, p.spec.size()));
    state.slots.push_back(std::move(slots));
  }

  model::ModelConfig config;
  config.name = name_;
  config.layers = layer_configs();
  config.optimizer = trainer.optimizer();
  // The config states the rate in effect, as Keras's optimizer get_config
  // reads its learning-rate variable.
  switch (config.optimizer.kind) {
    case Optimizer::Kind::adam: config.optimizer.adam.learning_rate = state.learning_rate; break;
    case Optimizer::Kind::sgd: config.optimizer.sgd.learning_rate = state.learning_rate; break;
    case Optimizer::Kind::rmsprop: config.optimizer.rmsprop.learning_rate = state.learning_rate; break;
  }
  config.loss = compile_options_.loss;
  config.metrics = compile_options_.metrics;
  std::vector<std::optional<std::uint64_t>> dropout_seeds(architecture_->size());
  for (std::size_t i = 0; i < architecture_->size(); ++i) {
    config.trainable.push_back((*architecture_)[i].trainable);
    if ((*architecture_)[i].dropout()) dropout_seeds[i] = trainer.dropout_seed(i);
  }

  const std::string source = path.string();
  const auto weights = io::encode_hdf5(
      model::write_keras_weights(*architecture_, config.optimizer, name_, state),
      source + " (" + kWeightsMember + ")");
  // Keras's member order: metadata, config, weights.
  const auto zip = io::encode_zip({{kMetadataMember, to_bytes(metadata_json())},
                                   {kConfigMember, to_bytes(model::write_keras_config(
                                                       config, *architecture_, dropout_seeds))},
                                   {kWeightsMember, weights}},
                                  source);
  io::write_file_atomically(path, zip);
}

Sequential load_model(const std::filesystem::path& path, LoadModelOptions options) {
  check_keras_path(path, "load_model");
  const auto bytes = read_file(path);
  const std::string source = path.string();
  const auto zip = io::decode_zip(bytes, source);
  const auto& config_bytes = member(zip, kConfigMember, path);
  const std::string config_source = source + " (" + kConfigMember + ")";
  model::ModelConfig config = model::read_keras_config(
      std::string(config_bytes.begin(), config_bytes.end()), config_source);
  std::optional<Sequential> model;
  try {
    model.emplace(config.layers, config.name);
  } catch (const Error& e) {
    throw Error(config_source + ": the layers do not make a model vknn can build: " + e.what());
  }
  for (std::size_t i = 0; i < config.trainable.size(); ++i) model->set_trainable(i, config.trainable[i]);
  const std::string weights_source = source + " (" + kWeightsMember + ")";
  const auto tree = io::decode_hdf5(member(zip, kWeightsMember, path), weights_source);
  const model::ModelState state =
      model::read_keras_weights(tree, *model->architecture_, config.optimizer, weights_source);

  CompileOptions compile;
  compile.loss = config.loss;
  compile.metrics = config.metrics;
  compile.backend = options.backend;
  compile.context = std::move(options.context);
  try {
    model->compile(config.optimizer, compile);
  } catch (const DeviceFailure&) {
    throw;
  } catch (const Error& e) {
    throw Error(config_source + ": " + e.what());
  }
  model::Trainer& trainer = *model->trainer_;
  auto& backend = trainer.backend();
  backend.synchronize();
  auto& parameters = trainer.parameters();
  for (std::size_t p = 0; p < parameters.size(); ++p) {
    const auto& w = state.weights[p];
    backend.write(*parameters[p].value, w.data(), w.size() * sizeof(float));
    const auto tensors = parameters[p].state_tensors();
    for (std::size_t s = 0; s < tensors.size(); ++s) {
      const auto& v = state.slots[p].at(s);
      backend.write(*tensors[s], v.data(), v.size() * sizeof(float));
    }
  }
  StepState step = backend.read_state(trainer.state());
  step.iterations = state.iterations;
  step.learning_rate = state.learning_rate;
  backend.write_state(trainer.state(), step);
  return std::move(*model);
}

}  // namespace vknn
