// The examples' flag parser: every form it accepts and every mistake it
// reports, with messages that name the flag and what would be valid.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "common/cli.hpp"
#include "common/convolution_lab.hpp"

namespace vknn::examples {
namespace {

FlagParser make_parser() {
  FlagParser flags("prog", "A test program.");
  flags.add_int("filters", 64, "filters per layer", {.choices = {16, 32, 64}});
  flags.add_int("epochs", 5, "passes", {.min = 0, .max = 1000});
  flags.add_real("learning-rate", 0.001, "Adam's rate", {.min = 0, .max = 10, .min_exclusive = true});
  flags.add_real("offset", 0.0, "any number");
  flags.add_string("out", "result.png", "output", {.allow_empty = false}, "PATH");
  flags.add_string("mode", "fast", "how", {.choices = {"fast", "exact"}});
  flags.add_string("note", "", "anything");
  flags.add_bool("validation", false, "use validation data");
  return flags;
}

// Runs `parse` and returns the UsageError's message ("" if none was thrown).
template <class Parse>
std::string usage_error_of(Parse parse) {
  try {
    parse();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

// Parses args and returns the UsageError's message ("" if none was thrown).
std::string parse_error(const std::vector<std::string>& args) {
  FlagParser flags = make_parser();
  return usage_error_of([&] { flags.parse(args); });
}

TEST(FlagParser, DefaultsWithoutArguments) {
  FlagParser flags = make_parser();
  flags.parse(std::vector<std::string>{});
  EXPECT_EQ(flags.get_int("filters"), 64);
  EXPECT_EQ(flags.get_int("epochs"), 5);
  EXPECT_DOUBLE_EQ(flags.get_real("learning-rate"), 0.001);
  EXPECT_EQ(flags.get_string("out"), "result.png");
  EXPECT_FALSE(flags.get_bool("validation"));
  EXPECT_FALSE(flags.given("epochs"));
  EXPECT_FALSE(flags.help_requested());
}

TEST(FlagParser, SeparateAndEqualsForms) {
  FlagParser flags = make_parser();
  flags.parse({"--filters", "16", "--epochs=7", "--learning-rate", "2.5e-4", "--out=a=b.png",
               "--offset", "-3.5", "--note="});
  EXPECT_EQ(flags.get_int("filters"), 16);
  EXPECT_EQ(flags.get_int("epochs"), 7);
  EXPECT_DOUBLE_EQ(flags.get_real("learning-rate"), 2.5e-4);
  EXPECT_DOUBLE_EQ(flags.get_real("offset"), -3.5);  // a negative number is a value, not a flag
  EXPECT_EQ(flags.get_string("out"), "a=b.png");     // only the first '=' splits
  EXPECT_EQ(flags.get_string("note"), "");
  EXPECT_TRUE(flags.given("epochs"));
  EXPECT_TRUE(flags.given("note"));
  EXPECT_FALSE(flags.given("mode"));
}

// CLI11 2.1 reads "--note=" as "--note" and would take the next argument as
// its value; cli.cpp keeps an empty "=" value empty.
TEST(FlagParser, EmptyEqualsValueTakesNothingAfterIt) {
  FlagParser flags = make_parser();
  flags.parse({"--note=", "--mode", "exact"});
  EXPECT_EQ(flags.get_string("note"), "");
  EXPECT_EQ(flags.get_string("mode"), "exact");
  EXPECT_EQ(parse_error({"--epochs=", "5"}), "--epochs: missing value (expected an integer)");
  EXPECT_EQ(parse_error({"--validation="}),
            "--validation: '' is not a boolean (use true or false, or the flag alone for true)");
}

TEST(FlagParser, BoolForms) {
  FlagParser flags = make_parser();
  flags.parse({"--validation"});
  EXPECT_TRUE(flags.get_bool("validation"));
  for (const char* yes : {"true", "1", "yes", "on", "TRUE"}) {
    flags.parse({std::string("--validation=") + yes});
    EXPECT_TRUE(flags.get_bool("validation")) << yes;
  }
  for (const char* no : {"false", "0", "no", "off", "False"}) {
    flags.parse({std::string("--validation=") + no});
    EXPECT_FALSE(flags.get_bool("validation")) << no;
  }
}

TEST(FlagParser, ReparseStartsFromDefaults) {
  FlagParser flags = make_parser();
  flags.parse({"--epochs", "9"});
  flags.parse(std::vector<std::string>{});
  EXPECT_EQ(flags.get_int("epochs"), 5);
  EXPECT_FALSE(flags.given("epochs"));
}

TEST(FlagParser, HelpWinsOverEverything) {
  FlagParser flags = make_parser();
  flags.parse({"--bogus", "--help"});
  EXPECT_TRUE(flags.help_requested());
  flags.parse({"-h"});
  EXPECT_TRUE(flags.help_requested());
}

TEST(FlagParser, UsageListsFlagsDefaultsAndChoices) {
  const std::string usage = make_parser().usage();
  EXPECT_NE(usage.find("Usage: prog [flags]"), std::string::npos) << usage;
  EXPECT_NE(usage.find("A test program."), std::string::npos) << usage;
  EXPECT_NE(usage.find("--filters N"), std::string::npos) << usage;
  EXPECT_NE(usage.find("one of 16, 32, 64 (default: 64)"), std::string::npos) << usage;
  EXPECT_NE(usage.find("--learning-rate X"), std::string::npos) << usage;
  EXPECT_NE(usage.find("(default: 0.001)"), std::string::npos) << usage;
  EXPECT_NE(usage.find("--out PATH"), std::string::npos) << usage;
  EXPECT_NE(usage.find("one of fast, exact"), std::string::npos) << usage;
  EXPECT_NE(usage.find("--validation "), std::string::npos) << usage;
  EXPECT_NE(usage.find("(default: off)"), std::string::npos) << usage;
  EXPECT_NE(usage.find("-h, --help"), std::string::npos) << usage;
}

TEST(FlagParserErrors, ValueNotAmongChoices) {
  EXPECT_EQ(parse_error({"--filters", "48"}), "--filters: expected one of 16, 32, 64, got 48");
  EXPECT_EQ(parse_error({"--mode=slow"}), "--mode: expected one of fast, exact, got 'slow'");
}

TEST(FlagParserErrors, NotAnInteger) {
  EXPECT_EQ(parse_error({"--epochs", "abc"}), "--epochs: 'abc' is not an integer");
  EXPECT_EQ(parse_error({"--epochs=2.5"}), "--epochs: '2.5' is not an integer");
  EXPECT_EQ(parse_error({"--epochs", "5x"}), "--epochs: '5x' is not an integer");
  EXPECT_EQ(parse_error({"--epochs", " 5"}), "--epochs: ' 5' is not an integer");
  EXPECT_EQ(parse_error({"--epochs", "99999999999999999999999"}),
            "--epochs: '99999999999999999999999' is out of range");
}

TEST(FlagParserErrors, OutOfRange) {
  EXPECT_EQ(parse_error({"--epochs", "-1"}), "--epochs: must be between 0 and 1000, got -1");
  EXPECT_EQ(parse_error({"--epochs=1001"}), "--epochs: must be between 0 and 1000, got 1001");
  EXPECT_EQ(parse_error({"--learning-rate", "0"}),
            "--learning-rate: must be greater than 0 and at most 10, got 0");
}

TEST(FlagParserErrors, NotANumber) {
  EXPECT_EQ(parse_error({"--learning-rate", "fast"}), "--learning-rate: 'fast' is not a number");
  EXPECT_EQ(parse_error({"--offset=nan"}), "--offset: 'nan' is not a finite number");
  EXPECT_EQ(parse_error({"--offset=inf"}), "--offset: 'inf' is not a finite number");
  EXPECT_EQ(parse_error({"--offset=1e999"}), "--offset: '1e999' is not a number");
}

TEST(FlagParserErrors, UnknownFlagSuggestsTheNearestOne) {
  EXPECT_EQ(parse_error({"--filter", "32"}), "unknown flag --filter (did you mean --filters?)");
  EXPECT_EQ(parse_error({"--epoch=3"}), "unknown flag --epoch (did you mean --epochs?)");
  EXPECT_EQ(parse_error({"--learning_rate", "1"}),
            "unknown flag --learning_rate (did you mean --learning-rate?)");
  EXPECT_EQ(parse_error({"--zzzzzzzz"}), "unknown flag '--zzzzzzzz' (see --help for the flags)");
}

TEST(FlagParserErrors, MissingValue) {
  EXPECT_EQ(parse_error({"--epochs"}),
            "--epochs: missing value (expected an integer, as --epochs N or --epochs=N)");
  EXPECT_EQ(parse_error({"--epochs", "--filters", "16"}),
            "--epochs: missing value (expected an integer, as --epochs N or --epochs=N)");
  EXPECT_EQ(parse_error({"--epochs="}), "--epochs: missing value (expected an integer)");
  EXPECT_EQ(parse_error({"--learning-rate="}), "--learning-rate: missing value (expected a number)");
  EXPECT_EQ(parse_error({"--out="}), "--out: missing value (expected PATH)");
}

TEST(FlagParserErrors, Duplicate) {
  EXPECT_EQ(parse_error({"--epochs", "1", "--epochs=2"}),
            "--epochs: given more than once; give each flag at most once");
  EXPECT_EQ(parse_error({"--validation", "--validation"}),
            "--validation: given more than once; give each flag at most once");
}

TEST(FlagParserErrors, BadBool) {
  EXPECT_EQ(parse_error({"--validation=maybe"}),
            "--validation: 'maybe' is not a boolean (use true or false, or the flag alone for true)");
  EXPECT_EQ(parse_error({"--validation", "false"}),
            "unexpected argument 'false' (--validation takes no separate value; write "
            "--validation=false)");
}

TEST(FlagParserErrors, StrayArguments) {
  EXPECT_EQ(parse_error({"data.csv"}),
            "unexpected argument 'data.csv' (this program takes only --flags; see --help)");
  EXPECT_EQ(parse_error({"-epochs", "3"}), "unknown flag '-epochs' (flags start with two dashes: --epochs)");
  EXPECT_EQ(parse_error({"--"}), "unexpected argument '--' (this program takes only --flags; see --help)");
  EXPECT_EQ(parse_error({""}), "unexpected argument '' (this program takes only --flags; see --help)");
  EXPECT_EQ(parse_error({"--=3"}), "a flag name is missing in '--=3'");
  EXPECT_EQ(parse_error({"--\x01\x7f"}), "unknown flag '--\\x01\\x7f' (see --help for the flags)");
}

// Whatever bytes arrive, the parser either accepts them or throws
// UsageError; it never crashes or throws anything else.
TEST(FlagParserErrors, GarbageNeverCrashes) {
  std::mt19937 rng(1234);
  const std::vector<std::string> pieces = {"--", "-", "=", "filters", "epochs", "16", "abc", "",
                                           "--validation", "1e309", "-0", "\xff", "out", ",", " "};
  FlagParser flags = make_parser();
  for (int trial = 0; trial < 5000; ++trial) {
    std::vector<std::string> args(rng() % 6);
    for (auto& arg : args) {
      const int parts = int(rng() % 4);
      for (int p = 0; p < parts; ++p) {
        if (rng() % 3 == 0) {
          arg += char(rng() % 256);
        } else {
          arg += pieces[rng() % pieces.size()];
        }
      }
    }
    try {
      flags.parse(args);
    } catch (const UsageError& e) {
      EXPECT_GT(std::string(e.what()).size(), 0u);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "unexpected exception: " << e.what();
    }
  }
}

TEST(FlagParser, ProgrammingErrorsAreLogicErrors) {
  FlagParser flags = make_parser();
  EXPECT_THROW(flags.get_int("nope"), std::logic_error);
  EXPECT_THROW(flags.get_real("epochs"), std::logic_error);
  EXPECT_THROW(flags.add_int("epochs", 1, "again"), std::logic_error);
  EXPECT_THROW(flags.add_bool("help", false, "reserved"), std::logic_error);
}

TEST(RunProgram, ExitStatuses) {
  FlagParser flags = make_parser();
  const char* help[] = {"prog", "--help"};
  const char* bad[] = {"prog", "--filters", "48"};
  const char* good[] = {"prog", "--filters", "32"};

  testing::internal::CaptureStdout();
  EXPECT_EQ(run_program(flags, 2, help, [] { return 7; }), 0);
  EXPECT_NE(testing::internal::GetCapturedStdout().find("Usage: prog"), std::string::npos);

  testing::internal::CaptureStderr();
  EXPECT_EQ(run_program(flags, 3, bad, [] { return 7; }), 2);
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("Usage: prog"), std::string::npos) << err;
  EXPECT_NE(err.find("error: --filters: expected one of 16, 32, 64, got 48"), std::string::npos) << err;

  EXPECT_EQ(run_program(flags, 3, good, [&] { return int(flags.get_int("filters")); }), 32);

  testing::internal::CaptureStderr();
  EXPECT_EQ(run_program(flags, 3, good, []() -> int { throw std::runtime_error("disk full"); }), 1);
  err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "error: disk full\n");

  // A value the program rejects after parsing is still a usage error.
  testing::internal::CaptureStderr();
  EXPECT_EQ(run_program(flags, 3, good, []() -> int { throw UsageError("limit", "too big"); }), 2);
  err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("Usage: prog"), std::string::npos) << err;
  EXPECT_NE(err.find("error: --limit: too big"), std::string::npos) << err;
}

TEST(ListFlags, Integers) {
  EXPECT_EQ(parse_int_list("images", "0,23,28"), (std::vector<long long>{0, 23, 28}));
  EXPECT_EQ(parse_int_list("images", " 4 , 5 "), (std::vector<long long>{4, 5}));
  const auto error = [](const std::string& text) { return usage_error_of([&] { parse_int_list("images", text); }); };
  EXPECT_EQ(error(""), "--images: expected a comma-separated list of integers, got an empty value");
  EXPECT_EQ(error("1,,2"), "--images: empty item in '1,,2'; expected a comma-separated list of integers");
  EXPECT_EQ(error("1,x"), "--images: 'x' in '1,x' is not an integer");
}

TEST(ListFlags, Filters) {
  EXPECT_EQ(parse_filter("filter", "0,1,0,1,-4,1,0,1,0"), *builtin_filter("laplacian"));
  EXPECT_EQ(parse_filter("filter", "1,1,1,1,2,1,1,1,1.5")[8], 1.5f);
  const auto error = [](const std::string& text) { return usage_error_of([&] { parse_filter("filter", text); }); };
  EXPECT_EQ(error("1,2,3"),
            "--filter: a 3x3 filter has 9 numbers, row by row (as \"0,1,0,1,-4,1,0,1,0\"), got 3");
  EXPECT_EQ(error("1,2,3,4,5,6,7,8,nan"), "--filter: 'nan' in '1,2,3,4,5,6,7,8,nan' is not a finite number");
  EXPECT_FALSE(builtin_filter("sobel").has_value());
  EXPECT_EQ(builtin_filter_names(), (std::vector<std::string>{"laplacian", "horizontal", "vertical"}));
}

TEST(EditDistance, Basics) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("filter", "filters"), 1u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

}  // namespace
}  // namespace vknn::examples
