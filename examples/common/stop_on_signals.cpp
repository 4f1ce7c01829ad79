#include "common/stop_on_signals.hpp"

#include <stdexcept>

#include <unistd.h>

namespace vknn::examples {

namespace {

// What the handler may touch: a lock-free flag inside the model (through
// request_stop) and these two, written before the handler is installed or
// only by the handler itself.
Sequential* g_model = nullptr;
volatile std::sig_atomic_t g_received = 0;

extern "C" void on_stop_signal(int signal) {
  if (g_received != 0) {
    // The second signal: the user wants out now. _exit is async-signal-safe;
    // files stay whole because every write is atomic (a temporary file and
    // a rename), at worst leaving an abandoned temporary file.
    ::_exit(128 + signal);
  }
  g_received = signal;
  g_model->request_stop();
}

void install(int signal, struct sigaction* previous) {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // the device waits and file writes carry on
  if (sigaction(signal, &action, previous) != 0) {
    throw std::runtime_error("cannot install the handler for " + std::string(signal_name(signal)));
  }
}

}  // namespace

StopOnSignals::StopOnSignals(Sequential& model) {
  if (g_model != nullptr) throw std::logic_error("StopOnSignals: one at a time");
  g_model = &model;
  g_received = 0;
  install(SIGINT, &previous_int_);
  install(SIGTERM, &previous_term_);
}

StopOnSignals::~StopOnSignals() {
  sigaction(SIGINT, &previous_int_, nullptr);
  sigaction(SIGTERM, &previous_term_, nullptr);
  g_model = nullptr;
}

int StopOnSignals::received() const { return g_received; }

const char* signal_name(int signal) {
  switch (signal) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    default: return "a signal";
  }
}

}  // namespace vknn::examples
