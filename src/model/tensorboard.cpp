// TensorBoard: per-epoch scalars in event files (io/event_file.hpp).
#include "io/event_file.hpp"
#include "vknn/distributed.hpp"
#include "vknn/error.hpp"
#include "vknn/model/callbacks.hpp"

namespace vknn {

namespace {
constexpr std::string_view kValidationPrefix = "val_";
}

TensorBoard::TensorBoard(std::filesystem::path log_dir) : log_dir_(std::move(log_dir)) {
  if (log_dir_.empty()) throw Error("TensorBoard: log_dir must not be empty");
}

TensorBoard::~TensorBoard() = default;

// Data-parallel, only rank 0 writes: every rank has the same (global) logs.
void TensorBoard::on_train_begin(Sequential& /*model*/) {
  if (distributed::is_primary()) begin();
}

void TensorBoard::on_epoch_end(Sequential& /*model*/, int epoch, const Logs& logs) {
  if (distributed::is_primary()) write_epoch(epoch, logs);
}

void TensorBoard::on_train_end(Sequential& /*model*/) {
  if (distributed::is_primary()) end();
}

void TensorBoard::begin() {
  end();
  train_ = std::make_unique<io::EventFileWriter>(log_dir_ / "train");
  train_file_ = train_->path();
  validation_file_.clear();
}

void TensorBoard::write_epoch(int epoch, const Logs& logs) {
  if (!train_) begin();
  // Keras 2.x's _log_epoch_metrics: the "val_" logs go to the validation
  // writer without their prefix, the rest to the train writer, each as
  // "epoch_" + name at step = epoch.
  std::vector<io::Scalar> train;
  std::vector<io::Scalar> validation;
  for (const auto& [name, value] : logs) {
    if (name.starts_with(kValidationPrefix)) {
      validation.emplace_back("epoch_" + name.substr(kValidationPrefix.size()), float(value));
    } else {
      train.emplace_back("epoch_" + name, float(value));
    }
  }
  if (!train.empty()) train_->write_scalars(epoch, train);
  if (!validation.empty()) {
    if (!validation_) {
      validation_ = std::make_unique<io::EventFileWriter>(log_dir_ / "validation");
      validation_file_ = validation_->path();
    }
    validation_->write_scalars(epoch, validation);
  }
}

void TensorBoard::end() {
  train_.reset();
  validation_.reset();
}

}  // namespace vknn
