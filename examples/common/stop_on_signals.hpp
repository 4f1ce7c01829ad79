// Ctrl-C and SIGTERM during training: the first stops fit at its next step
// boundary (Sequential::request_stop), so the program can keep a backup and
// say how to resume; a second ends the process at once.
#pragma once

#include <csignal>

#include "vknn/model/sequential.hpp"

namespace vknn::examples {

// While alive, SIGINT and SIGTERM are handled as above; the destructor puts
// the previous handlers back. One at a time per process.
class StopOnSignals {
 public:
  explicit StopOnSignals(Sequential& model);
  ~StopOnSignals();
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;

  // The first signal received (SIGINT, SIGTERM), or 0.
  int received() const;

 private:
  struct sigaction previous_int_ {}, previous_term_ {};
};

// "SIGINT", "SIGTERM"
const char* signal_name(int signal);

}  // namespace vknn::examples
