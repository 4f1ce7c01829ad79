// Signals that ask a running fit to stop, the one home of the library's
// Ctrl-C handling (the example trainers' SIGINT/SIGTERM, the Python
// package's KeyboardInterrupt).
//
// While a StopOnSignals is alive, the first of its signals calls
// Sequential::request_stop() (one lock-free atomic store: async-signal-safe)
// and is remembered; fit then returns at its next step boundary with the
// device idle and History::interrupted set, so the caller can keep a backup,
// say how to resume, or raise. The handlers are installed with SA_RESTART,
// so device waits and file writes carry on. The destructor (or restore())
// puts the previous handlers back. POSIX only (sigaction).
//
//   vknn::StopOnSignals stop(model, {.signals = {SIGINT, SIGTERM}});
//   auto history = model.fit(x, y, options);
//   if (history.interrupted && stop.received()) ...;
#pragma once

#include <csignal>
#include <memory>
#include <vector>

namespace vknn {

class Sequential;

struct StopOnSignalsOptions {
  // The signals that stop the fit.
  std::vector<int> signals = {SIGINT};
  // A second signal ends the process at once with _exit(128 + signal) (the
  // user wants out now; files stay whole because the library writes every
  // file atomically). Off: a second signal only asks again.
  bool second_signal_exits = false;
  // A signal whose handler is SIG_IGN (ignored by whoever started the
  // process) is left ignored instead of handled.
  bool leave_ignored = false;
};

class StopOnSignals {
 public:
  // Installs the handlers. One at a time per process: throws vknn::Error
  // when another StopOnSignals is alive, or when a handler cannot be
  // installed (then none stays installed).
  explicit StopOnSignals(Sequential& model, StopOnSignalsOptions options = {});
  ~StopOnSignals();
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;

  // The first signal received while installed (SIGINT, SIGTERM, ...), or 0.
  int received() const;

  // Puts the previous handlers back now and lets another StopOnSignals be
  // made; received() keeps its answer. Idempotent.
  void restore();

 private:
  struct Previous;
  std::unique_ptr<Previous> previous_;
  bool installed_ = false;
};

// "SIGINT", "SIGTERM"; "a signal" for others.
const char* signal_name(int signal);

}  // namespace vknn
