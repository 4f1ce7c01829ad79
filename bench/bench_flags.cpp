// CLI11 (Debian's libcli11-dev) does the command-line syntax: both
// `--flag value` and `--flag=value`, and allow_extras() collects every
// argument that is not ours, in order, for Google Benchmark. What a value
// means (a positive count, a comma-separated list, a model's name) is
// checked here, with messages in vknn's words.
#include "bench_flags.hpp"

#include <CLI/CLI.hpp>

#include <charconv>
#include <map>

#include "bench_models.hpp"
#include "vknn/error.hpp"

namespace vknn::bench {

namespace {

// What CLI11 records for a flag given without its value ("--profile" last,
// or before another --flag); argv strings end at a NUL, so nothing typed
// equals it.
const std::string kNoValue("\0(no value)", 11);

// "a,b,c" as its parts, none empty. Kept rather than CLI11's delimiter(','),
// which drops empty items ("32,,256" would pass as 32,256) and lets the
// option take several arguments.
std::vector<std::string> split_list(const std::string& flag, const std::string& value) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = value.find(',', start);
    parts.push_back(value.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (parts.back().empty()) {
      throw BenchUsageError(flag + " needs a comma-separated list, not '" + value + "'");
    }
    if (comma == std::string::npos) return parts;
    start = comma + 1;
  }
}

int parse_count(const std::string& flag, const std::string& value, const char* what) {
  int n = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (error != std::errc() || end != value.data() + value.size() || n <= 0) {
    throw BenchUsageError(flag + " needs a positive whole number of " + what + ", not '" + value + "'");
  }
  return n;
}

}  // namespace

const char* bench_usage() {
  return "vknn-bench [--device all|cpu|INDEX|NAME] [--quick] [--data DIR] [--iterations N]\n"
         "           [--model course,cats_vs_dogs,horses_or_humans|all] [--batch N[,N...]]\n"
         "           [Google Benchmark flags]\n"
         "vknn-bench --tune [--device all|INDEX|NAME] [--quick]\n"
         "  --device      which targets: every Vulkan device and the CPU reference (all, default),\n"
         "                the CPU reference only (cpu), or one Vulkan device (index or name part)\n"
         "  --quick       tiny shapes and batch sizes, for a smoke run\n"
         "  --data        train_step and predict use the Fashion-MNIST training images in DIR,\n"
         "                shuffled, instead of four synthetic batches (not with --quick)\n"
         "  --iterations  train_step and predict time exactly N steps after 3 warm-up steps\n"
         "  --model       whose train_step and predict to time: course (default; with its ops),\n"
         "                cats_vs_dogs (150x150x3), horses_or_humans (300x300x3), a list, or all;\n"
         "                the bigger two at their real shapes on synthetic images, also with --quick\n"
         "  --batch       batch sizes instead of 32,256 (4 with --quick)\n"
         "  --no-rooflines  skip measuring fma_peak and bandwidth_peak at startup (no of_*\n"
         "                counters; for runs that time only the steps)\n"
         "  --profile N   instead of benchmarks: each dispatch's device time inside the training\n"
         "                step and predict, median over N launches (Markdown tables)\n"
         "  --tune        instead of benchmarks: compile the --model models (the course model and\n"
         "                its one-conv exercise by default; first fit and predict at the first\n"
         "                --batch, 32 by default) on each Vulkan device and print the\n"
         "                autotuner's choice per op and shape, each candidate's measured device\n"
         "                time (\"cached\" where the cache file had the choice), and the seconds\n"
         "                tuning took. The cache is VKNN_CACHE_DIR, else $XDG_CACHE_HOME/vknn,\n"
         "                else ~/.cache/vknn; delete its tuning-*.txt to measure again\n\n";
}

BenchCommandLine parse_bench_flags(int argc, const char* const* argv) {
  BenchCommandLine result;
  BenchOptions& options = result.options;
  CLI::App app("vknn-bench", "vknn-bench");
  // Our --help prints bench_usage() and still reaches Google Benchmark, which
  // lists its own flags and exits.
  app.set_help_flag();
  app.allow_extras();
  CLI::Option* help = app.add_flag("-h,--help");
  app.add_flag("--quick", options.quick);
  app.add_flag("--tune", options.tune);
  CLI::Option* no_rooflines = app.add_flag("--no-rooflines");
  // Each value flag with what to say when its value is missing.
  const std::map<std::string, std::string> needs = {
      {"--device", "--device needs a value: all, cpu, an index from vknn-info, or part of a name"},
      {"--data", "--data needs a folder with the Fashion-MNIST IDX files (scripts/get_data.sh)"},
      {"--iterations", "--iterations needs a positive whole number of steps"},
      {"--profile", "--profile needs a positive whole number of launches"},
      {"--model", std::string("--model needs one or more of ") + kBenchModelNames + ", or all"},
      {"--batch", "--batch needs one or more positive batch sizes, as 32 or 32,256"},
  };
  std::map<std::string, CLI::Option*> value_flags;
  for (const auto& [name, message] : needs) {
    // At most one value, and never a following --flag (a Google Benchmark
    // flag after "--device" is not a device name); the last one given wins.
    value_flags[name] = app.add_option(name)
                            ->expected(0, 1)
                            ->default_str(kNoValue)
                            ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Error& e) {
    // "--quick=maybe": CLI11 cannot read the bool.
    throw BenchUsageError(e.what());
  }

  const auto value_of = [&](const std::string& name) -> const std::string* {
    const std::vector<std::string>& results = value_flags.at(name)->results();
    if (results.empty()) return nullptr;
    if (results.back() == kNoValue) throw BenchUsageError(needs.at(name));
    return &results.back();
  };
  if (const auto* v = value_of("--device")) options.device = *v;
  if (const auto* v = value_of("--data")) options.data = *v;
  if (const auto* v = value_of("--iterations")) options.iterations = parse_count("--iterations", *v, "steps");
  if (const auto* v = value_of("--profile")) options.profile = parse_count("--profile", *v, "launches");
  if (const auto* v = value_of("--model")) options.models = split_list("--model", *v);
  if (const auto* v = value_of("--batch")) {
    for (const auto& b : split_list("--batch", *v)) options.batches.push_back(parse_count("--batch", b, "images"));
  }
  options.rooflines = no_rooflines->count() == 0;
  result.help = help->count() > 0;
  result.passthrough = app.remaining();
  if (result.help) result.passthrough.emplace_back("--help");

  if (options.profile > 0 || options.tune) options.rooflines = false;  // neither runs benchmarks
  if (options.models == std::vector<std::string>{"all"}) {
    options.models = {"course", "cats_vs_dogs", "horses_or_humans"};
  }
  try {
    for (const auto& m : options.models) bench_model_named(m, false);  // rejects unknown names
  } catch (const Error& e) {
    throw BenchUsageError(e.what());
  }
  if (options.tune && options.device == "cpu") {
    throw BenchUsageError("--tune reports the Vulkan devices' kernel choices; the CPU reference has none");
  }
  return result;
}

}  // namespace vknn::bench
