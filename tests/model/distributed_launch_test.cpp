// How vknn::distributed tells that an MPI launcher started the process, and
// that in one process nothing of it is active (the runs under mpirun are
// tests/distributed/).
#include <gtest/gtest.h>

#include "distributed/communicator.hpp"
#include "support/scoped_env.hpp"
#include "vknn/distributed.hpp"
#include "vknn/error.hpp"

namespace vknn::distributed {
namespace {

using vknn_test::ScopedEnv;

TEST(DistributedLaunch, NoLauncherIsOneProcess) {
  const ScopedEnv ompi("OMPI_COMM_WORLD_SIZE", nullptr), pmix("PMIX_SIZE", nullptr), pmi("PMI_SIZE", nullptr);
  EXPECT_EQ(detail::detect_launch().size, 1);
  // initialize() then joins nothing: one process, rank 0, no communicator.
  const World& world = initialize();
  EXPECT_EQ(world.size, 1);
  EXPECT_EQ(world.rank, 0);
  EXPECT_TRUE(is_primary());
  EXPECT_EQ(communicator(), nullptr);
}

TEST(DistributedLaunch, ReadsTheLaunchersProcessCount) {
  const ScopedEnv ompi("OMPI_COMM_WORLD_SIZE", "3");
  const detail::Launch launch = detail::detect_launch();
  EXPECT_EQ(launch.size, 3);
  EXPECT_EQ(launch.launcher, "OMPI_COMM_WORLD_SIZE=3");
}

TEST(DistributedLaunch, RefusesAValueThatIsNotACount) {
  const ScopedEnv ompi("OMPI_COMM_WORLD_SIZE", nullptr), pmix("PMIX_SIZE", "many");
  try {
    detail::detect_launch();
    FAIL() << "expected vknn::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("PMIX_SIZE='many' is not a process count"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace vknn::distributed
