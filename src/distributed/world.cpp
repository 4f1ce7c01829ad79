// vknn::distributed::initialize and the process's world (the public entry,
// include/vknn/distributed.hpp).
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "distributed/communicator.hpp"
#include "vknn/distributed.hpp"
#include "vknn/error.hpp"

namespace vknn::distributed {

namespace {

struct State {
  bool initialized = false;
  World world;
  std::unique_ptr<Communicator> communicator;
};

State& state() {
  // Never destroyed: MPI is finalised by atexit, and a communicator
  // destroyed by static destruction after that would touch a finalised MPI.
  static State* s = new State;
  return *s;
}

}  // namespace

const World& initialize() {
  State& s = state();
  if (s.initialized) return s.world;
  const detail::Launch launch = detail::detect_launch();
  if (launch.size > 1) {
    World world;
    s.communicator = detail::join_mpi(launch, world);
    if (const char* wanted = std::getenv("VKNN_DEVICE"); !wanted || !*wanted) {
      world.device = detail::device_for_local_rank(world.local_rank);
      // The environment, not a library setting: every Context this process
      // makes (and vknn-info, and a Python process) then agrees, and a
      // user's VKNN_DEVICE still wins. No other thread runs yet.
      setenv("VKNN_DEVICE", world.device.c_str(), 0);
    }
    s.world = world;
  }
  s.initialized = true;
  return s.world;
}

const World& world() { return state().world; }

bool is_primary() { return state().world.rank == 0; }

bool built_with_mpi() { return detail::mpi_available(); }

Communicator* communicator() { return state().communicator.get(); }

[[noreturn]] void abort_job(const std::string& message, int exit_status) {
  std::fflush(stdout);
  if (Communicator* c = communicator()) {
    std::fprintf(stderr, "rank %d: error: %s\n", c->rank(), message.c_str());
    c->abort(exit_status);
  }
  std::fprintf(stderr, "error: %s\n", message.c_str());
  std::exit(exit_status);
}

}  // namespace vknn::distributed
