#include "vknn/model/stop_on_signals.hpp"

#include <atomic>
#include <string>
#include <utility>

#include <signal.h>
#include <unistd.h>

#include "vknn/error.hpp"
#include "vknn/model/sequential.hpp"

namespace vknn {
namespace {

// What the handler may touch: the model (through request_stop, a
// lock-free store) and these, all lock-free atomics written before the
// handlers are installed or by the handler itself. The model pointer is
// also the "one at a time" claim.
std::atomic<Sequential*> g_model{nullptr};
std::atomic<int> g_received{0};
std::atomic<bool> g_second_signal_exits{false};
static_assert(std::atomic<Sequential*>::is_always_lock_free);
static_assert(std::atomic<int>::is_always_lock_free);
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_stop_signal(int signal) {
  int none = 0;
  if (!g_received.compare_exchange_strong(none, signal) && g_second_signal_exits.load()) {
    // The second signal: _exit is async-signal-safe; files stay whole
    // because every write is atomic (a temporary file and a rename), at
    // worst leaving an abandoned temporary file.
    ::_exit(128 + signal);
  }
  if (Sequential* model = g_model.load()) model->request_stop();
}

}  // namespace

// The handlers replaced, to put back.
struct StopOnSignals::Previous {
  std::vector<std::pair<int, struct sigaction>> handlers;

  void restore() {
    for (auto it = handlers.rbegin(); it != handlers.rend(); ++it) {
      sigaction(it->first, &it->second, nullptr);
    }
    handlers.clear();
  }
};

StopOnSignals::StopOnSignals(Sequential& model, StopOnSignalsOptions options)
    : previous_(std::make_unique<Previous>()) {
  Sequential* none = nullptr;
  if (!g_model.compare_exchange_strong(none, &model)) {
    throw Error("StopOnSignals: another one is alive; one at a time per process");
  }
  installed_ = true;
  g_received.store(0);
  g_second_signal_exits.store(options.second_signal_exits);
  for (int signal : options.signals) {
    struct sigaction current {};
    if (options.leave_ignored && sigaction(signal, nullptr, &current) == 0 &&
        current.sa_handler == SIG_IGN) {
      continue;
    }
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;  // the device waits and file writes carry on
    struct sigaction previous {};
    if (sigaction(signal, &action, &previous) != 0) {
      restore();
      throw Error(std::string("StopOnSignals: cannot install the handler for ") + signal_name(signal));
    }
    previous_->handlers.emplace_back(signal, previous);
  }
}

StopOnSignals::~StopOnSignals() { restore(); }

void StopOnSignals::restore() {
  if (!installed_) return;
  previous_->restore();
  g_model.store(nullptr);
  installed_ = false;
}

int StopOnSignals::received() const { return g_received.load(); }

const char* signal_name(int signal) {
  switch (signal) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    default: return "a signal";
  }
}

}  // namespace vknn
