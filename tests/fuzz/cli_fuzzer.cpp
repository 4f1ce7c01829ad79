// Fuzzes the trainers' command-line flag parser (examples/common/cli.hpp)
// with train_fashion_mnist's flags. The input is the argument list, split at
// NUL bytes. Parsing either succeeds, after which every flag can be read and
// the usage printed, or throws UsageError; a std::logic_error (a
// programming error) or any other exception, a CLI::Error from CLI11 that
// FlagParser let through among them, is a finding. The list parsers
// (--images 0,23,28; --filter 0,1,0,...) get each argument too.
#include <string>
#include <vector>

#include "common/cli.hpp"
#include "common/training.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace vknn::examples;

// train_fashion_mnist's declarations (examples/train_fashion_mnist.cpp).
FlagParser trainer_flags() {
  FlagParser flags("train_fashion_mnist", "fuzzed");
  flags.add_int("filters", 64, "filters in each Conv2D layer", {.choices = {16, 32, 64}});
  flags.add_int("conv-layers", 2, "Conv2D+MaxPooling2D pairs", {.choices = {1, 2}});
  add_training_flags(flags, "fashion-mnist", {.epochs = 5, .target_accuracy = 0});
  return flags;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args(1);
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      if (args.size() == 64) break;  // enough arguments for any real command line
      args.emplace_back();
    } else {
      args.back() += static_cast<char>(data[i]);
    }
  }
  static FlagParser flags = trainer_flags();  // a repeated parse starts from the defaults
  const char* stage = "parsed";
  try {
    flags.parse(args);
    if (!flags.help_requested()) {
      (void)flags.get_int("epochs");
      (void)flags.get_int("filters");
      (void)flags.get_real("learning-rate");
      (void)flags.get_real("target-accuracy");
      (void)flags.get_string("device");
      (void)flags.get_bool("validation");
      (void)flags.given("save");
    }
    (void)flags.usage();
  } catch (const UsageError&) {
    stage = "usage-error";
  }
  for (const std::string& a : args) {
    try {
      (void)parse_int_list("images", a);
    } catch (const UsageError&) {
    }
    try {
      (void)parse_real_list("filter", a);
    } catch (const UsageError&) {
    }
  }
  if (vknn::fuzz::census_requested()) std::fprintf(stderr, "census: %s\n", stage);
  return 0;
}
