// Synchronous data-parallel training over MPI (docs/distributed.md).
//
// A program calls vknn::distributed::initialize() once, before it builds a
// model. Started by mpirun with several processes (ranks), it joins them;
// Sequential::fit, evaluate and predict then run data-parallel with no other
// change to the program: batch_size is the global batch, each rank trains on
// its slice of it, the gradients are summed over the ranks before every
// update (so all ranks hold bit-identical weights), and metrics are global.
// Only rank 0 prints progress. Started without mpirun (or built without
// MPI) it is one process, and everything runs as before.
//
// No MPI header is included here: programs using vknn need no MPI flags.
#pragma once

#include <string>

namespace vknn::distributed {

// This process's place among the processes of one job.
struct World {
  int rank = 0;        // 0 .. size-1
  int size = 1;        // processes training together
  int local_rank = 0;  // among the job's processes on this machine
  int local_size = 1;
  // The Vulkan device index this rank chose by its local rank (local_rank
  // modulo the devices of the best kind present); empty when VKNN_DEVICE was
  // set (it decides) or in one process.
  std::string device;
};

// Joins the job when this process was started by an MPI launcher (mpirun,
// mpiexec, srun with PMI) with more than one process: initialises MPI (and
// finalises it at exit), and sets VKNN_DEVICE for this process to the
// device of its local rank unless VKNN_DEVICE is already set. Otherwise it
// does nothing and the world is one process. Safe to call again (it returns
// the same world); throws vknn::Error when started by a launcher but vknn
// was built without MPI.
const World& initialize();

// The world initialize() joined; one process before it is called.
const World& world();

// True on rank 0 (and in one process): the rank that prints and writes files.
bool is_primary();

// Whether this vknn was built with MPI (VKNN_WITH_MPI).
bool built_with_mpi();

// Ends the whole job after a failure on this rank: prints "rank N: <message>"
// to stderr and aborts every rank (MPI_Abort), so that no rank waits for it
// in a collective. In one process it prints "error: <message>" and exits
// with `exit_status`.
[[noreturn]] void abort_job(const std::string& message, int exit_status = 1);

}  // namespace vknn::distributed
