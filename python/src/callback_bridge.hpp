// A vknn::Callback that forwards fit's hooks to a Python object (the
// vknn.keras callbacks' dispatcher, vknn/keras/_callback_list.py).
//
// fit runs with the GIL released; each hook here acquires it. Batch hooks
// are forwarded only when a Python callback overrides one, and then after
// every step with the running logs (wants_batch_logs: a device wait per
// step); otherwise on_batch_end returns at once without touching the GIL
// and fit runs no Python per step. An exception raised
// by Python code is kept, training is asked to stop (request_stop: at the
// next step boundary), later hooks are skipped, and the binding re-raises it
// once fit has returned.
#pragma once

#include <pybind11/pybind11.h>

#include <memory>

#include "vknn/model/callbacks.hpp"

namespace vknn::python {

class CallbackBridge : public Callback {
 public:
  // `dispatcher` has _on_train_begin(), _on_epoch_end(epoch, logs),
  // _on_batch_end(batch, logs) and _on_train_end(). Construct with the GIL.
  CallbackBridge(pybind11::object dispatcher, bool forward_batches);
  ~CallbackBridge() override;  // needs the GIL (it drops Python references)

  void on_train_begin(Sequential& model) override;
  void on_epoch_end(Sequential& model, int epoch, const Logs& logs) override;
  void on_batch_end(Sequential& model, int batch, const Logs& logs) override;
  void on_train_end(Sequential& model) override;
  // Keras calls on_train_batch_end after every batch with logs: so does
  // fit, with a device wait per step, when a Python callback overrides a
  // batch hook (forward_batches); never otherwise.
  bool wants_batch_logs() const override { return forward_batches_; }

  // Re-raises the exception a hook raised, if any. Call with the GIL held.
  void rethrow_if_failed();

 private:
  template <class Call>
  void call_python(Sequential& model, Call&& call);

  pybind11::object dispatcher_;
  bool forward_batches_;
  std::unique_ptr<pybind11::error_already_set> error_;
};

}  // namespace vknn::python
