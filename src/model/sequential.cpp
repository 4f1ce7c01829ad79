// Sequential: the Keras-like facade over the Trainer: construction,
// compile, the layers and their weights, the stop request, and what the
// model reports. The work of its calls lives beside it: fit in
// fit_loop.cpp, evaluate/predict/layer_outputs in inference.cpp,
// checkpoints in checkpoint_state.cpp, the .keras files in saved_model.cpp.
#include "vknn/model/sequential.hpp"

#include "io/safetensors.hpp"
#include "model/architecture.hpp"
#include "model/call_checks.hpp"
#include "model/checkpoint.hpp"
#include "model/trainer.hpp"
#include "vknn/error.hpp"

namespace vknn {

using model::Trainer;
using model::require_compiled;

Sequential::Sequential(std::vector<Layer> layers, std::string name)
    : name_(std::move(name)),
      layer_specs_(layers),
      architecture_(std::make_unique<model::Architecture>(model::Architecture::build(layers))),
      progress_(std::make_unique<model::TrainingProgress>()),
      stop_request_(std::make_unique<std::atomic<bool>>(false)) {
  static_assert(std::atomic<bool>::is_always_lock_free,
                "request_stop() must be a lock-free store to be safe in a signal handler");
}
Sequential::~Sequential() = default;
Sequential::Sequential(Sequential&&) noexcept = default;
Sequential& Sequential::operator=(Sequential&&) noexcept = default;

void Sequential::request_stop() noexcept {
  if (stop_request_) stop_request_->store(true, std::memory_order_relaxed);
}
bool Sequential::stop_requested() const noexcept {
  return stop_request_ && stop_request_->load(std::memory_order_relaxed);
}

std::string Sequential::summary_text() const { return architecture_->summary(name_); }
void Sequential::summary(std::FILE* out) const {
  std::fputs(summary_text().c_str(), out);
  std::fflush(out);
}

void Sequential::compile(const Optimizer& optimizer, CompileOptions options) {
  validate_learning_rate("compile", optimizer.learning_rate());
  if (optimizer.kind == Optimizer::Kind::adam) optimizer.adam.validate("compile");
  if (optimizer.kind == Optimizer::Kind::rmsprop) optimizer.rmsprop.validate("compile");
  trainer_.reset();  // a recompile starts from fresh weights, as in Keras
  *progress_ = {};
  resume_pending_ = false;
  trainer_ = std::make_unique<Trainer>(*architecture_, optimizer, options);
  compile_options_ = std::move(options);
}

std::vector<Layer> Sequential::layer_configs() const {
  std::vector<Layer> layers = layer_specs_;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    std::visit(
        [&](auto& l) {
          l.name = (*architecture_)[i].name;
          l.input_shape = i == 0 ? std::optional<Shape>(architecture_->input_shape()) : std::nullopt;
        },
        layers[i]);
  }
  return layers;
}

const Optimizer& Sequential::optimizer() const {
  if (!trainer_) throw Error("optimizer: the model is not compiled; call compile() first");
  return trainer_->optimizer();
}

const CompileOptions& Sequential::compile_options() const {
  if (!trainer_) throw Error("compile_options: the model is not compiled; call compile() first");
  return compile_options_;
}

std::vector<LayerSummary> Sequential::layers() const {
  std::vector<LayerSummary> result;
  for (const auto& layer : architecture_->layers()) {
    result.push_back(
        {layer.name, layer.type_name(), layer.output_shape, layer.params, layer.trainable});
  }
  return result;
}

void Sequential::set_trainable(std::size_t layer, bool trainable) {
  architecture_->set_trainable(layer, trainable);
}

bool Sequential::compiled() const { return trainer_ != nullptr; }
int Sequential::num_classes() const { return architecture_->output_shape().at(0); }
Shape Sequential::input_shape() const { return architecture_->input_shape(); }
std::int64_t Sequential::count_params() const { return architecture_->total_params(); }

std::vector<std::string> Sequential::weight_names() const {
  std::vector<std::string> names;
  for (const auto& p : architecture_->parameters()) names.push_back(p.name);
  return names;
}

std::vector<std::vector<float>> Sequential::get_weights() {
  require_compiled(trainer_, "get_weights");
  auto& backend = trainer_->backend();
  backend.synchronize();
  std::vector<std::vector<float>> weights;
  for (auto& p : trainer_->parameters()) {
    std::vector<float> values(std::size_t(p.spec.size()));
    backend.read(*p.value, values.data(), values.size() * sizeof(float));
    weights.push_back(std::move(values));
  }
  return weights;
}

void Sequential::set_weights(const std::vector<std::vector<float>>& weights) {
  require_compiled(trainer_, "set_weights");
  auto& params = trainer_->parameters();
  if (weights.size() != params.size()) {
    throw Error("set_weights: the model has " + std::to_string(params.size()) +
                " weight tensors but " + std::to_string(weights.size()) + " were given");
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (std::int64_t(weights[i].size()) != params[i].spec.size()) {
      throw Error("set_weights: " + params[i].spec.name + " has " +
                  std::to_string(params[i].spec.size()) + " values but " +
                  std::to_string(weights[i].size()) + " were given");
    }
  }
  auto& backend = trainer_->backend();
  backend.synchronize();
  for (std::size_t i = 0; i < params.size(); ++i) {
    backend.write(*params[i].value, weights[i].data(), weights[i].size() * sizeof(float));
  }
}

void Sequential::save_weights(const std::filesystem::path& path) {
  const auto weights = get_weights();
  std::vector<io::Tensor> tensors;
  const auto& params = trainer_->parameters();
  for (std::size_t i = 0; i < params.size(); ++i) {
    tensors.push_back({params[i].spec.name, params[i].spec.tensor_spec().shape, weights[i]});
  }
  io::save_safetensors(path, tensors, {{"model", name_}, {"library", "vknn"}});
}

void Sequential::load_weights(const std::filesystem::path& path, LoadWeightsOptions options) {
  require_compiled(trainer_, "load_weights");
  const io::WeightsFile file = io::load_safetensors(path);
  io::check_tensors(file, architecture_->weight_specs());
  if (!options.allow_non_finite) io::check_finite(file);
  std::vector<std::vector<float>> weights;
  for (const auto& p : trainer_->parameters()) weights.push_back(file.find(p.spec.name)->values);
  set_weights(weights);
}

float Sequential::learning_rate() {
  require_compiled(trainer_, "learning_rate");
  return trainer_->learning_rate();
}

void Sequential::set_learning_rate(float learning_rate) {
  require_compiled(trainer_, "set_learning_rate");
  trainer_->set_learning_rate(learning_rate);
}

std::string Sequential::backend_description() const {
  return trainer_ ? trainer_->backend().description() : "(not compiled)";
}

ExecutionCounters Sequential::counters() const {
  if (!trainer_) return {};
  const auto c = trainer_->backend().counters();
  return {c.launches, c.host_waits, c.recordings, c.bytes_uploaded};
}

}  // namespace vknn
