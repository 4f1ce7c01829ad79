// A vknn built without MPI (VKNN_WITH_MPI=OFF): one process only. A
// process that an MPI launcher started as one of several is refused, rather
// than training alone N times over.
#include "distributed/communicator.hpp"
#include "vknn/error.hpp"

namespace vknn::distributed::detail {

bool mpi_available() { return false; }

std::unique_ptr<Communicator> join_mpi(const Launch& launch, World& /*world*/) {
  throw Error("vknn::distributed::initialize: this process was started as one of " +
              std::to_string(launch.size) + " processes (" + launch.launcher +
              ") but this vknn was built without MPI, so it cannot train with the others; install "
              "libopenmpi-dev and configure again (VKNN_WITH_MPI=ON), or run without mpirun");
}

}  // namespace vknn::distributed::detail
