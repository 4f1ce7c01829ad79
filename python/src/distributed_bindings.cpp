// vknn::distributed for the Python package (include/vknn/distributed.hpp):
// vknn.distribute's strategies call distributed_initialize() when created,
// so that a script started by mpirun joins the other ranks and its fits run
// data-parallel, as a C++ program that calls initialize() does.
#include <pybind11/pybind11.h>

#include <string>

#include "bindings.hpp"
#include "vknn/distributed.hpp"

namespace py = pybind11;

namespace vknn::python {
namespace {

py::dict world_dict(const distributed::World& w) {
  return py::dict(py::arg("rank") = w.rank, py::arg("size") = w.size,
                  py::arg("local_rank") = w.local_rank, py::arg("local_size") = w.local_size,
                  py::arg("device") = w.device);
}

}  // namespace

void bind_distributed(py::module_& m) {
  m.def(
      "distributed_initialize",
      [] {
        const distributed::World* w = nullptr;
        {
          // MPI_Init can take a while (the launcher's handshake); other
          // Python threads may run meanwhile.
          py::gil_scoped_release release;
          w = &distributed::initialize();
        }
        return world_dict(*w);
      },
      "Joins the job's ranks when started by mpirun with several processes "
      "(vknn::distributed::initialize); returns this process's world as a dict.");
  m.def(
      "distributed_world", [] { return world_dict(distributed::world()); },
      "This process's world (one process until distributed_initialize joins a job).");
  m.def("distributed_built_with_mpi", &distributed::built_with_mpi,
        "Whether this vknn was built with MPI.");
  m.def(
      "distributed_abort_job",
      [](const std::string& message, int exit_status) {
        // Never returns: prints "rank N: error: <message>" and ends every
        // rank (MPI_Abort), so that no rank waits for this one forever.
        distributed::abort_job(message, exit_status);
      },
      py::arg("message"), py::arg("exit_status") = 1,
      "Ends the whole job after a failure on this rank (vknn::distributed::abort_job).");
}

}  // namespace vknn::python
