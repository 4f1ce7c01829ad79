#include "sigint_guard.hpp"

#include <pybind11/pybind11.h>

#include <atomic>

#include "vknn/model/sequential.hpp"

namespace py = pybind11;

namespace vknn::python {
namespace {

// The model the handler stops. One fit at a time can own SIGINT: fit runs
// on the main thread only when it installs the guard.
std::atomic<Sequential*> g_target{nullptr};
std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<Sequential*>::is_always_lock_free);
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_sigint(int) {
  if (Sequential* model = g_target.load()) model->request_stop();
  g_interrupted.store(true);
}

bool on_main_thread() {
  py::module_ threading = py::module_::import("threading");
  return threading.attr("current_thread")().is(threading.attr("main_thread")());
}

}  // namespace

SigintGuard::SigintGuard(Sequential& model) {
  if (!on_main_thread() || g_target.load() != nullptr) return;
  struct sigaction current {};
  if (sigaction(SIGINT, nullptr, &current) != 0 || current.sa_handler == SIG_IGN) return;
  g_interrupted.store(false);
  g_target.store(&model);
  struct sigaction action {};
  action.sa_handler = on_sigint;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  if (sigaction(SIGINT, &action, &previous_) != 0) {
    g_target.store(nullptr);
    return;
  }
  installed_ = true;
}

bool SigintGuard::interrupted() const { return installed_ && g_interrupted.load(); }

bool SigintGuard::restore_and_deliver() {
  if (!installed_) return false;
  sigaction(SIGINT, &previous_, nullptr);
  g_target.store(nullptr);
  installed_ = false;
  if (!g_interrupted.exchange(false)) return false;
  PyErr_SetInterrupt();  // as if SIGINT came now: Python's handler runs next
  return PyErr_CheckSignals() != 0;
}

SigintGuard::~SigintGuard() {
  if (installed_) {
    sigaction(SIGINT, &previous_, nullptr);
    g_target.store(nullptr);
  }
}

}  // namespace vknn::python
