// The collectives data-parallel training uses, behind an interface without
// MPI in it: src/distributed/mpi/ implements it on MPI; without MPI there is
// no communicator and everything runs in one process.
//
// Only collectives whose result does not depend on the MPI library's
// internal reduction order are offered: gathers and an all-to-all (each
// rank's bytes, moved unchanged, in rank order) and a bitwise OR of
// integers. Floating-point sums are done by the caller, in rank order
// (rank_order_sum.hpp, rank_order_allreduce.hpp), so that every rank gets
// the same bits, run after run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "vknn/distributed.hpp"

namespace vknn::distributed {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;

  // Every rank gives `send` (the same byte count on every rank);
  // `receive` (size() * send.size() bytes) gets rank 0's, then rank 1's, ...
  virtual void allgather(std::span<const std::byte> send, std::span<std::byte> receive) = 0;
  // The same with a byte count per rank (`counts`, equal on every rank;
  // send.size() == counts[rank()]); `receive` holds their sum, in rank order.
  virtual void allgatherv(std::span<const std::byte> send, std::span<const std::size_t> counts,
                          std::span<std::byte> receive) = 0;
  // Every rank sends a piece to every rank: `send` is send_counts[0] bytes
  // for rank 0, then send_counts[1] bytes for rank 1, ...; `receive` gets
  // receive_counts[0] bytes from rank 0, then receive_counts[1] from rank
  // 1, ... (each rank's receive_counts[q] is what rank q sends it). Sizes
  // that disagree with the spans are refused.
  virtual void alltoallv(std::span<const std::byte> send, std::span<const std::size_t> send_counts,
                         std::span<std::byte> receive, std::span<const std::size_t> receive_counts) = 0;
  // The bitwise OR of every rank's `bits`.
  virtual std::uint32_t allreduce_or(std::uint32_t bits) = 0;
  // Ends every rank of the job now.
  [[noreturn]] virtual void abort(int exit_status) = 0;
};

// The job's communicator, or nullptr in one process (before initialize(),
// without a launcher, or built without MPI). Everything data-parallel in the
// library starts from here.
Communicator* communicator();

namespace detail {

// What a launcher told this process through its environment.
struct Launch {
  int size = 1;  // processes in the job (1: not launched by one)
  std::string launcher;  // the variable that said so, for messages
};
Launch detect_launch();

// Joins MPI (MPI_Init, MPI_Finalize at exit); fills the world's rank, size
// and local rank. Only src/distributed/mpi/ defines it with MPI; the
// single-process build's refuses with a message saying how to build with MPI.
std::unique_ptr<Communicator> join_mpi(const Launch& launch, World& world);
bool mpi_available();

// The device for this rank: local_rank modulo the devices of the best type
// present, as an index for VKNN_DEVICE.
std::string device_for_local_rank(int local_rank);

}  // namespace detail

}  // namespace vknn::distributed
