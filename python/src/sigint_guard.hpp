// Ctrl-C during Sequential::fit.
//
// fit runs with the GIL released, so Python's own SIGINT handling (a flag
// the interpreter checks between bytecodes) would only raise
// KeyboardInterrupt after the whole fit returned. While fit runs, this guard
// therefore installs a C signal handler for SIGINT that calls
// Sequential::request_stop() (one lock-free atomic store: async-signal-safe)
// and remembers that the signal came. fit then returns at the next step
// boundary with the device idle. When the guard ends it puts the previous
// handler back and, if SIGINT came, re-delivers it to Python
// (PyErr_SetInterrupt + PyErr_CheckSignals), so that whatever Python-level
// handler is installed runs: by default it raises KeyboardInterrupt.
//
// Only the main thread installs it (Python delivers signals only there), and
// only when SIGINT is not ignored. POSIX only (sigaction).
#pragma once

#include <signal.h>

namespace vknn {
class Sequential;
}

namespace vknn::python {

class SigintGuard {
 public:
  // Call with the GIL held.
  explicit SigintGuard(Sequential& model);
  ~SigintGuard();
  SigintGuard(const SigintGuard&) = delete;
  SigintGuard& operator=(const SigintGuard&) = delete;

  // True when SIGINT arrived while the guard was installed.
  bool interrupted() const;

  // Restores the previous handler and, if SIGINT came, hands it to Python.
  // Returns true when Python raised (then an exception is set: throw
  // pybind11::error_already_set). Call with the GIL held.
  bool restore_and_deliver();

 private:
  bool installed_ = false;
  struct sigaction previous_ {};
};

}  // namespace vknn::python
