// Ctrl-C during Sequential::fit, as Python has it: KeyboardInterrupt.
//
// fit runs with the GIL released, so Python's own SIGINT handling (a flag
// the interpreter checks between bytecodes) would only raise
// KeyboardInterrupt after the whole fit returned. While fit runs, this guard
// therefore hands SIGINT to the library's vknn::StopOnSignals
// (vknn/model/stop_on_signals.hpp), which stops fit at the next step
// boundary with the device idle. When the guard ends it puts the previous
// handler back and, if SIGINT came, re-delivers it to Python
// (PyErr_SetInterrupt + PyErr_CheckSignals), so that whatever Python-level
// handler is installed runs: by default it raises KeyboardInterrupt.
//
// Only on the main thread (Python delivers signals only there), only when
// SIGINT is not ignored, and only for the outermost fit (a fit inside a
// callback's fit leaves SIGINT to the outer one).
#pragma once

#include <optional>

#include "vknn/model/stop_on_signals.hpp"

namespace vknn {
class Sequential;
}

namespace vknn::python {

class SigintGuard {
 public:
  // Call with the GIL held.
  explicit SigintGuard(Sequential& model);
  SigintGuard(const SigintGuard&) = delete;
  SigintGuard& operator=(const SigintGuard&) = delete;

  // True when SIGINT arrived while the guard was installed.
  bool interrupted() const;

  // Restores the previous handler and, if SIGINT came, hands it to Python.
  // Returns true when Python raised (then an exception is set: throw
  // pybind11::error_already_set). Call with the GIL held.
  bool restore_and_deliver();

 private:
  std::optional<StopOnSignals> stop_;
};

}  // namespace vknn::python
