// Command-line flags for the example programs, declared once with their
// kind, default, help and the values they accept. CLI11 reads the command
// line (cli.cpp); this header keeps it out of the programs' includes.
//
//   vknn::examples::FlagParser flags("train_fashion_mnist", "Trains the course's CNN.");
//   flags.add_int("epochs", 5, "passes over the training set", {.min = 0});
//   flags.add_int("filters", 64, "filters per Conv2D layer", {.choices = {16, 32, 64}});
//   return vknn::examples::run_program(flags, argc, argv, [&] { ... return 0; });
//
// Accepted forms: `--flag value` and `--flag=value`; a bool flag alone
// (`--validation`) means true, and `--flag=true|false|1|0|yes|no|on|off`
// sets it explicitly. `--help` (or -h) prints the usage. Anything wrong on
// the command line throws UsageError, whose message names the flag, what was
// wrong and what would be valid, for example
//   --filters: expected one of 16, 32, 64, got 48
//   --epochs: 'abc' is not an integer
//   unknown flag --filter (did you mean --filters?)
// run_program turns a UsageError into the usage plus that message on stderr
// and exit status 2, any other exception into its message on stderr and
// exit status 1.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace vknn::examples {

// A mistake on the command line (exit status 2).
class UsageError : public std::runtime_error {
 public:
  explicit UsageError(const std::string& message) : std::runtime_error(message) {}
  // "--flag: what" for a flag whose value a program rejects after parsing.
  UsageError(const std::string& flag, const std::string& what)
      : std::runtime_error("--" + flag + ": " + what) {}
};

enum class FlagKind { integer, real, string, boolean };

struct IntRules {
  std::optional<long long> min;
  std::optional<long long> max;
  std::vector<long long> choices;  // empty: any value in [min, max]
};

struct RealRules {
  std::optional<double> min;          // inclusive
  std::optional<double> max;          // inclusive
  bool min_exclusive = false;         // min itself not allowed (e.g. a learning rate > 0)
};

struct StringRules {
  std::vector<std::string> choices;   // empty: any string
  bool allow_empty = true;
};

class FlagParser {
 public:
  FlagParser(std::string program, std::string description);

  // Declares a flag. `name` is without the dashes; `value_name` is how the
  // usage shows its value (N, X, PATH, ...).
  void add_int(const std::string& name, long long default_value, const std::string& help,
               IntRules rules = {}, const std::string& value_name = "N");
  void add_real(const std::string& name, double default_value, const std::string& help,
                RealRules rules = {}, const std::string& value_name = "X");
  void add_string(const std::string& name, const std::string& default_value,
                  const std::string& help, StringRules rules = {},
                  const std::string& value_name = "VALUE");
  void add_bool(const std::string& name, bool default_value, const std::string& help);

  // Parses the arguments after the program name. Throws UsageError; a
  // repeated parse starts from the defaults again.
  void parse(const std::vector<std::string>& args);
  void parse(int argc, const char* const* argv);

  bool help_requested() const { return help_requested_; }
  std::string usage() const;

  // Values; asking for an undeclared flag or the wrong kind is a programming
  // error (std::logic_error).
  long long get_int(const std::string& name) const;
  double get_real(const std::string& name) const;
  const std::string& get_string(const std::string& name) const;
  bool get_bool(const std::string& name) const;
  // Whether the flag was on the command line (not just its default).
  bool given(const std::string& name) const;

  const std::string& program() const { return program_; }

 private:
  struct Flag {
    std::string name;
    FlagKind kind = FlagKind::string;
    std::string help;
    std::string value_name;
    std::string default_text;
    IntRules int_rules;
    RealRules real_rules;
    StringRules string_rules;
    long long int_value = 0, int_default = 0;
    double real_value = 0, real_default = 0;
    std::string string_value, string_default;
    bool bool_value = false, bool_default = false;
    bool given = false;
  };

  Flag& declare(const std::string& name, FlagKind kind, const std::string& help,
                const std::string& value_name);
  const Flag& lookup(const std::string& name, FlagKind kind) const;
  // Declares `flag` to CLI11 for one parse.
  static CLI::Option* add_to(CLI::App& app, const Flag& flag);
  void set_value(Flag& flag, const std::string& given_text);
  // The message for the first argument CLI11 did not recognise; `args` is
  // the whole command line, for context.
  std::string stray_message(std::string arg, const std::vector<std::string>& args) const;
  std::string unknown_flag_message(const std::string& name) const;

  std::string program_;
  std::string description_;
  std::vector<Flag> flags_;             // in declaration order, for the usage
  std::map<std::string, std::size_t> index_;
  bool help_requested_ = false;
};

// Parses argv and runs body: --help prints the usage to stdout (status 0);
// a UsageError, from parsing or from body, prints the usage and "error: ..."
// to stderr (status 2); any other exception prints "error: ..." to stderr
// (status 1). Otherwise returns body's status.
int run_program(FlagParser& flags, int argc, const char* const* argv,
                const std::function<int()>& body);

// Parses a comma-separated list of integers ("0,23,28") for flag `flag`;
// throws UsageError naming the flag and the bad item.
std::vector<long long> parse_int_list(const std::string& flag, const std::string& text);
// The same for real numbers ("0,1,0,1,-4,1,0,1,0").
std::vector<double> parse_real_list(const std::string& flag, const std::string& text);

// Edit distance between two strings (for "did you mean").
std::size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace vknn::examples
