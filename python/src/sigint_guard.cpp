#include "sigint_guard.hpp"

#include <pybind11/pybind11.h>

#include <csignal>

#include "vknn/error.hpp"

namespace py = pybind11;

namespace vknn::python {
namespace {

bool on_main_thread() {
  py::module_ threading = py::module_::import("threading");
  return threading.attr("current_thread")().is(threading.attr("main_thread")());
}

}  // namespace

SigintGuard::SigintGuard(Sequential& model) {
  if (!on_main_thread()) return;
  try {
    // A second Ctrl-C only asks again: the process is Python's to end.
    stop_.emplace(model, StopOnSignalsOptions{
                             .signals = {SIGINT}, .second_signal_exits = false, .leave_ignored = true});
  } catch (const Error&) {
    // Another fit holds SIGINT (this one runs inside its callback), or the
    // handler could not be installed: this fit runs without it, as the
    // guard always did.
  }
}

bool SigintGuard::interrupted() const { return stop_ && stop_->received() != 0; }

bool SigintGuard::restore_and_deliver() {
  if (!stop_) return false;
  stop_->restore();
  const bool interrupted = stop_->received() != 0;
  stop_.reset();
  if (!interrupted) return false;
  PyErr_SetInterrupt();  // as if SIGINT came now: Python's handler runs next
  return PyErr_CheckSignals() != 0;
}

}  // namespace vknn::python
