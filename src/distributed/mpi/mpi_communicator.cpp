// The Communicator on MPI (OpenMPI in Debian): the only file that includes
// <mpi.h>.
#include <mpi.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "distributed/communicator.hpp"
#include "vknn/error.hpp"

namespace vknn::distributed {
namespace detail {

namespace {

// MPI's counts are ints; vknn's exchanges (a model's gradients, a shard of
// predictions) are far smaller, but a larger one is refused, not truncated.
int mpi_count(std::size_t bytes, const char* what) {
  if (bytes > std::size_t(INT_MAX)) {
    throw Error(std::string("distributed: ") + what + " of " + std::to_string(bytes) +
                " bytes is over MPI's limit of " + std::to_string(INT_MAX) + " bytes per rank");
  }
  return int(bytes);
}

void check(int result, const char* call) {
  if (result == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(result, text, &length);
  throw Error(std::string("distributed: ") + call + " failed: " + std::string(text, std::size_t(length)));
}

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void allgather(std::span<const std::byte> send, std::span<std::byte> receive) override {
    if (receive.size() != send.size() * std::size_t(size_)) {
      throw Error("distributed: allgather needs " + std::to_string(send.size() * std::size_t(size_)) +
                  " receive bytes, got " + std::to_string(receive.size()));
    }
    const int count = mpi_count(send.size(), "an allgather");
    check(MPI_Allgather(send.data(), count, MPI_BYTE, receive.data(), count, MPI_BYTE, MPI_COMM_WORLD),
          "MPI_Allgather");
  }

  void allgatherv(std::span<const std::byte> send, std::span<const std::size_t> counts,
                  std::span<std::byte> receive) override {
    std::vector<int> sizes(static_cast<std::size_t>(size_)), offsets(static_cast<std::size_t>(size_));
    std::size_t total = 0;
    for (int r = 0; r < size_; ++r) {
      sizes[std::size_t(r)] = mpi_count(counts[std::size_t(r)], "an allgatherv");
      offsets[std::size_t(r)] = mpi_count(total, "an allgatherv");
      total += counts[std::size_t(r)];
    }
    if (send.size() != counts[std::size_t(rank_)] || receive.size() != total) {
      throw Error("distributed: allgatherv sizes disagree with the counts");
    }
    check(MPI_Allgatherv(send.data(), sizes[std::size_t(rank_)], MPI_BYTE, receive.data(),
                         sizes.data(), offsets.data(), MPI_BYTE, MPI_COMM_WORLD),
          "MPI_Allgatherv");
  }

  void alltoallv(std::span<const std::byte> send, std::span<const std::size_t> send_counts,
                 std::span<std::byte> receive, std::span<const std::size_t> receive_counts) override {
    std::vector<int> sizes, offsets, receive_sizes, receive_offsets;
    const std::size_t sent = counts_and_offsets(send_counts, sizes, offsets, "an alltoallv's send");
    const std::size_t received =
        counts_and_offsets(receive_counts, receive_sizes, receive_offsets, "an alltoallv's receive");
    if (send.size() != sent || receive.size() != received) {
      throw Error("distributed: alltoallv sizes disagree with the counts (send " + std::to_string(send.size()) +
                  " bytes for " + std::to_string(sent) + ", receive " + std::to_string(receive.size()) +
                  " bytes for " + std::to_string(received) + ")");
    }
    check(MPI_Alltoallv(send.data(), sizes.data(), offsets.data(), MPI_BYTE, receive.data(),
                        receive_sizes.data(), receive_offsets.data(), MPI_BYTE, MPI_COMM_WORLD),
          "MPI_Alltoallv");
  }

  std::uint32_t allreduce_or(std::uint32_t bits) override {
    std::uint32_t result = 0;
    check(MPI_Allreduce(&bits, &result, 1, MPI_UINT32_T, MPI_BOR, MPI_COMM_WORLD), "MPI_Allreduce");
    return result;
  }

  [[noreturn]] void abort(int exit_status) override {
    std::fflush(stdout);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, exit_status);
    std::_Exit(exit_status);  // MPI_Abort does not return; this is for the compiler
  }

 private:
  // MPI's int counts and offsets of consecutive pieces, one per rank;
  // returns their total in bytes.
  std::size_t counts_and_offsets(std::span<const std::size_t> counts, std::vector<int>& sizes,
                                 std::vector<int>& offsets, const char* what) const {
    if (counts.size() != std::size_t(size_)) {
      throw Error(std::string("distributed: ") + what + " has " + std::to_string(counts.size()) +
                  " counts for " + std::to_string(size_) + " ranks");
    }
    sizes.assign(counts.size(), 0);
    offsets.assign(counts.size(), 0);
    std::size_t total = 0;
    for (std::size_t r = 0; r < counts.size(); ++r) {
      sizes[r] = mpi_count(counts[r], what);
      offsets[r] = mpi_count(total, what);
      total += counts[r];
    }
    mpi_count(total, what);
    return total;
  }

  int rank_ = 0, size_ = 1;
};

// Registered with atexit once MPI is initialised here: every rank that ends
// normally finalises (OpenMPI reports a rank that exits without it as a
// failure). A failing rank calls abort_job instead, which never gets here.
void finalize_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

}  // namespace

bool mpi_available() { return true; }

std::unique_ptr<Communicator> join_mpi(const Launch& launch, World& world) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    // Host threads do not call MPI concurrently: only the thread that runs
    // fit/evaluate/predict does.
    int provided = 0;
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    std::atexit(finalize_at_exit);
  }
  // Errors are fatal to the whole job by default (MPI_ERRORS_ARE_FATAL): a
  // rank that dies ends the others instead of leaving them in a collective.
  auto communicator = std::make_unique<MpiCommunicator>();
  world.rank = communicator->rank();
  world.size = communicator->size();
  if (world.size != launch.size) {
    throw Error("distributed: " + launch.launcher + " says the job has " + std::to_string(launch.size) +
                " processes but MPI_COMM_WORLD has " + std::to_string(world.size));
  }
  // The ranks on this machine: they share its devices.
  MPI_Comm local = MPI_COMM_NULL;
  check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, world.rank, MPI_INFO_NULL, &local),
        "MPI_Comm_split_type");
  MPI_Comm_rank(local, &world.local_rank);
  MPI_Comm_size(local, &world.local_size);
  MPI_Comm_free(&local);
  return communicator;
}

}  // namespace detail
}  // namespace vknn::distributed
