// Whether an MPI launcher started this process as one of several. MPI is
// initialised only then: a program run without mpirun never touches MPI
// (OpenMPI's singleton MPI_Init would start a helper daemon for nothing).
#include <cstdlib>
#include <string>

#include "distributed/communicator.hpp"
#include "vknn/error.hpp"

namespace vknn::distributed::detail {

Launch detect_launch() {
  // OpenMPI's mpirun, then PMIx and PMI (MPICH's Hydra, Slurm's srun).
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"}) {
    const char* value = std::getenv(name);
    if (!value || !*value) continue;
    char* end = nullptr;
    const long size = std::strtol(value, &end, 10);
    if (*end != '\0' || size < 1) {
      throw Error(std::string("vknn::distributed::initialize: ") + name + "='" + value +
                  "' is not a process count");
    }
    return {int(size), name + std::string("=") + value};
  }
  return {};
}

}  // namespace vknn::distributed::detail
