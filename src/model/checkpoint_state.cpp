// Sequential::save_checkpoint and load_checkpoint: the device's weights,
// optimizer state, step state and the fit's position to and from a
// checkpoint (model/checkpoint.hpp writes and reads the file itself).
#include <map>

#include "distributed/communicator.hpp"
#include "model/architecture.hpp"
#include "model/call_checks.hpp"
#include "model/checkpoint.hpp"
#include "model/model_description.hpp"
#include "model/trainer.hpp"
#include "vknn/model/sequential.hpp"

namespace vknn {

using model::Trainer;
using model::architecture_text;
using model::require_compiled;

namespace {

std::vector<float> read_floats(backend::Backend& backend, const backend::DeviceTensor& tensor,
                               std::int64_t count) {
  std::vector<float> values(static_cast<std::size_t>(count));
  backend.read(tensor, values.data(), values.size() * sizeof(float));
  return values;
}

// The optimizer state tensors of a parameter, in optimizer_state_names order.
std::vector<const backend::DeviceTensor*> optimizer_state(const model::Parameter& p) {
  return p.state_tensors();
}

}  // namespace

void Sequential::save_checkpoint(const std::filesystem::path& path) {
  require_compiled(trainer_, "save_checkpoint");
  Trainer& trainer = *trainer_;
  auto& backend = trainer.backend();
  backend.synchronize();
  model::CheckpointContents c;
  c.model_name = name_;
  c.architecture = architecture_text(input_shape(), layers());
  c.optimizer = model::optimizer_text(trainer.optimizer());
  const StepState state = backend.read_state(trainer.state());
  c.iterations = state.iterations;
  c.learning_rate = state.learning_rate;
  c.progress = *progress_;
  // Mid-epoch, the totals so far live on the device (fit reads them only
  // at refreshes).
  // Data-parallel, fit keeps the global totals in progress_ after every step.
  if (c.progress.step > 0 && !resume_pending_ && !distributed::communicator()) {
    c.progress.totals = backend.read_totals(trainer.totals());
  }
  for (const auto& p : trainer.parameters()) {
    const auto shape = p.spec.tensor_spec().shape;
    c.tensors.push_back({p.spec.name, shape, read_floats(backend, *p.value, p.spec.size())});
  }
  for (const auto& p : trainer.parameters()) {
    const auto names = model::optimizer_state_names(trainer.optimizer(), p.spec.name);
    const auto tensors = optimizer_state(p);
    for (std::size_t i = 0; i < names.size(); ++i) {
      c.tensors.push_back({names[i], p.spec.tensor_spec().shape,
                           read_floats(backend, *tensors.at(i), p.spec.size())});
    }
  }
  model::write_checkpoint(path, c);
}

void Sequential::load_checkpoint(const std::filesystem::path& path) {
  require_compiled(trainer_, "load_checkpoint");
  Trainer& trainer = *trainer_;
  std::vector<model::TensorSpec> expected = architecture_->weight_specs();
  for (const auto& p : trainer.parameters()) {
    for (const auto& name : model::optimizer_state_names(trainer.optimizer(), p.spec.name)) {
      expected.push_back({name, p.spec.tensor_spec().shape});
    }
  }
  // Everything is read and checked before anything changes.
  model::CheckpointContents c =
      model::read_checkpoint(path, architecture_text(input_shape(), layers()),
                             model::optimizer_text(trainer.optimizer()), expected);
  std::map<std::string, const model::Tensor*> by_name;
  for (const auto& t : c.tensors) by_name[t.name] = &t;
  auto& backend = trainer.backend();
  backend.synchronize();
  auto put = [&](const backend::DeviceTensor& tensor, const std::string& name) {
    const auto& values = by_name.at(name)->values;
    backend.write(tensor, values.data(), values.size() * sizeof(float));
  };
  for (const auto& p : trainer.parameters()) {
    put(*p.value, p.spec.name);
    const auto names = model::optimizer_state_names(trainer.optimizer(), p.spec.name);
    const auto tensors = optimizer_state(p);
    for (std::size_t i = 0; i < names.size(); ++i) put(*tensors.at(i), names[i]);
  }
  StepState state = backend.read_state(trainer.state());
  state.iterations = c.iterations;
  state.learning_rate = c.learning_rate;
  backend.write_state(trainer.state(), state);
  *progress_ = std::move(c.progress);
  resume_pending_ = true;
  resume_source_ = path.string();
}

TrainingPosition Sequential::training_position() const {
  return {progress_->epoch, progress_->step, progress_->fit.steps_per_epoch()};
}

}  // namespace vknn
