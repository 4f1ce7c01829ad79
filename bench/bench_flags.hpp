// vknn-bench's own flags. CLI11 reads them and hands back, in order and
// untouched, every argument that is not one of them (Google Benchmark's
// --benchmark_* flags), for benchmark::Initialize.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace vknn::bench {

struct BenchOptions {
  std::string device = "all";
  bool quick = false;
  std::string data;       // Fashion-MNIST folder for the step benchmarks, or empty
  int iterations = 0;     // step benchmarks: fixed iteration count, 0 = Google Benchmark's choice
  bool rooflines = true;  // measure the rooflines at startup (about 3 s on lavapipe)
  int profile = 0;        // --profile N: time each dispatch in the steps over N launches, no benchmarks
  bool tune = false;      // --tune: print the autotuner's choices for the course models, no benchmarks
  // --model: whose training step and predict to time (the course model's
  // ops are timed with it); --batch: the batch sizes instead of 32 and 256.
  std::vector<std::string> models = {"course"};
  std::vector<int> batches;
};

struct BenchCommandLine {
  BenchOptions options;
  // The arguments that are not vknn-bench's, in their order (Google
  // Benchmark's flags; --help is kept so that it lists its flags too).
  std::vector<std::string> passthrough;
  bool help = false;
};

// A mistake in vknn-bench's own flags (exit status 2, as Google Benchmark's).
class BenchUsageError : public std::runtime_error {
 public:
  explicit BenchUsageError(const std::string& message) : std::runtime_error(message) {}
};

// Parses argv (argv[0] is the program). Throws BenchUsageError naming the
// flag at fault and what would be valid.
BenchCommandLine parse_bench_flags(int argc, const char* const* argv);

// vknn-bench's own part of --help.
const char* bench_usage();

}  // namespace vknn::bench
