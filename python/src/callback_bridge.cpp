#include "callback_bridge.hpp"

#include "vknn/model/sequential.hpp"

namespace py = pybind11;

namespace vknn::python {
namespace {

py::dict to_dict(const Logs& logs) {
  py::dict d;
  for (const auto& [name, value] : logs) d[py::str(name)] = value;
  return d;
}

}  // namespace

CallbackBridge::CallbackBridge(py::object dispatcher, bool forward_batches)
    : dispatcher_(std::move(dispatcher)), forward_batches_(forward_batches) {}

CallbackBridge::~CallbackBridge() = default;

template <class Call>
void CallbackBridge::call_python(Sequential& model, Call&& call) {
  py::gil_scoped_acquire gil;
  if (error_) return;  // a hook failed: run no more Python code in this fit
  try {
    call();
  } catch (py::error_already_set& e) {
    error_ = std::make_unique<py::error_already_set>(std::move(e));
    model.stop_training = true;
    model.request_stop();
  }
}

void CallbackBridge::on_train_begin(Sequential& model) {
  call_python(model, [&] { dispatcher_.attr("_on_train_begin")(); });
}

void CallbackBridge::on_epoch_end(Sequential& model, int epoch, const Logs& logs) {
  call_python(model, [&] { dispatcher_.attr("_on_epoch_end")(epoch, to_dict(logs)); });
}

void CallbackBridge::on_batch_end(Sequential& model, int batch, const Logs& logs) {
  if (!forward_batches_) return;  // no GIL, no Python: nothing per step
  call_python(model, [&] { dispatcher_.attr("_on_batch_end")(batch, to_dict(logs)); });
}

void CallbackBridge::on_train_end(Sequential& model) {
  call_python(model, [&] { dispatcher_.attr("_on_train_end")(); });
}

void CallbackBridge::rethrow_if_failed() {
  if (error_) {
    py::error_already_set e = std::move(*error_);
    error_.reset();
    throw e;
  }
}

}  // namespace vknn::python
