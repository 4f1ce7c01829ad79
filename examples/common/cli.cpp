// Command-line syntax is CLI11's (Debian's libcli11-dev): it splits
// `--flag value` and `--flag=value`, knows a bool flag takes no separate
// value, spots --help and hands back, in order, whatever it did not
// recognise. This file only adapts it to the examples' FlagParser: the
// values' conversion and rules (their messages name the flag and what would
// be valid) and the wording of a mistake stay ours, because CLI11's
// messages ("The following arguments were not expected: ...") neither
// suggest the flag that was meant nor say which forms are accepted.
#include "common/cli.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <exception>
#include <sstream>

namespace vknn::examples {

namespace {

// Markers for what CLI11 cannot say in a value: a flag given with no value
// ("--epochs" last, or before another --flag) and an explicitly empty one
// ("--note="). argv strings end at a NUL, so no typed argument equals them.
const std::string kNoValue("\0(no value)", 11);
const std::string kEmptyValue("\0(empty)", 8);

const char* kind_word(FlagKind kind) {
  switch (kind) {
    case FlagKind::integer: return "an integer";
    case FlagKind::real: return "a number";
    case FlagKind::string: return "a value";
    case FlagKind::boolean: return "true or false";
  }
  return "a value";
}

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Shortest text that reads back as the same double ("0.001", "1e-07").
std::string real_text(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

// Arguments are echoed back in messages; keep those readable whatever
// bytes were typed.
std::string echoed(const std::string& text) {
  std::string out = "'";
  for (unsigned char c : text.substr(0, 80)) {
    if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += char(c);
    }
  }
  if (text.size() > 80) out += "...";
  return out + "'";
}

std::optional<long long> to_int(const std::string& text) {
  long long value = 0;
  const char* first = text.data();
  const char* last = first + text.size();
  if (first != last && *first == '+') ++first;  // from_chars takes no '+'
  const auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || ptr != last || first == last) return std::nullopt;
  return value;
}

bool is_out_of_range_int(const std::string& text) {
  long long value = 0;
  const char* first = text.data();
  const char* last = first + text.size();
  if (first != last && *first == '+') ++first;
  const auto [ptr, ec] = std::from_chars(first, last, value);
  return ec == std::errc::result_out_of_range && ptr == last;
}

std::optional<double> to_real(const std::string& text) {
  double value = 0;
  const char* first = text.data();
  const char* last = first + text.size();
  if (first != last && *first == '+') ++first;
  const auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || ptr != last || first == last) return std::nullopt;
  return value;
}

std::optional<bool> to_bool(const std::string& text) {
  const std::string t = lower(text);
  if (t == "true" || t == "1" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "0" || t == "no" || t == "off") return false;
  return std::nullopt;
}

template <class T, class Format>
std::string join(const std::vector<T>& items, Format format) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + format(items[i]);
  return out;
}

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  const auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

std::vector<std::string> split_list(const std::string& flag, const std::string& text,
                                    const char* what) {
  if (trim(text).empty()) {
    throw UsageError(flag, std::string("expected a comma-separated list of ") + what +
                               ", got an empty value");
  }
  std::vector<std::string> items;
  std::string::size_type start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    const std::string item = trim(text.substr(start, comma == std::string::npos ? std::string::npos
                                                                                  : comma - start));
    if (item.empty()) {
      throw UsageError(flag, "empty item in " + echoed(text) + "; expected a comma-separated list of " +
                                 what);
    }
    items.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return items;
}

}  // namespace

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

FlagParser::FlagParser(std::string program, std::string description)
    : program_(std::move(program)), description_(std::move(description)) {}

FlagParser::Flag& FlagParser::declare(const std::string& name, FlagKind kind,
                                      const std::string& help, const std::string& value_name) {
  if (name.empty() || name.front() == '-' || name.find('=') != std::string::npos ||
      name == "help" || index_.count(name)) {
    throw std::logic_error("FlagParser: bad or repeated flag name '" + name + "'");
  }
  try {
    CLI::App probe;  // CLI11 has its own rules for names (no spaces, ':' or '{')
    probe.add_option("--" + name);
  } catch (const CLI::Error& e) {
    throw std::logic_error("FlagParser: flag name '" + name + "' is not valid for CLI11: " + e.what());
  }
  index_[name] = flags_.size();
  Flag& flag = flags_.emplace_back();
  flag.name = name;
  flag.kind = kind;
  flag.help = help;
  flag.value_name = value_name;
  return flag;
}

void FlagParser::add_int(const std::string& name, long long default_value,
                         const std::string& help, IntRules rules, const std::string& value_name) {
  Flag& flag = declare(name, FlagKind::integer, help, value_name);
  flag.int_rules = std::move(rules);
  flag.int_default = flag.int_value = default_value;
  flag.default_text = std::to_string(default_value);
}

void FlagParser::add_real(const std::string& name, double default_value, const std::string& help,
                          RealRules rules, const std::string& value_name) {
  Flag& flag = declare(name, FlagKind::real, help, value_name);
  flag.real_rules = rules;
  flag.real_default = flag.real_value = default_value;
  flag.default_text = real_text(default_value);
}

void FlagParser::add_string(const std::string& name, const std::string& default_value,
                            const std::string& help, StringRules rules,
                            const std::string& value_name) {
  Flag& flag = declare(name, FlagKind::string, help, value_name);
  flag.string_rules = std::move(rules);
  flag.string_default = flag.string_value = default_value;
  flag.default_text = default_value;
}

void FlagParser::add_bool(const std::string& name, bool default_value, const std::string& help) {
  Flag& flag = declare(name, FlagKind::boolean, help, "");
  flag.bool_default = flag.bool_value = default_value;
  flag.default_text = default_value ? "on" : "off";
}

void FlagParser::parse(int argc, const char* const* argv) {
  std::vector<std::string> args;
  for (int i = 1; argv && i < argc; ++i) args.emplace_back(argv[i] ? argv[i] : "");
  parse(args);
}

std::string FlagParser::unknown_flag_message(const std::string& name) const {
  std::string best;
  std::size_t best_distance = std::string::npos;
  for (const auto& flag : flags_) {
    std::size_t d = edit_distance(name, flag.name);
    // A prefix ("--filter" for "--filters") is as good as a typo.
    if (!name.empty() && (flag.name.rfind(name, 0) == 0 || name.rfind(flag.name, 0) == 0)) {
      d = std::min<std::size_t>(d, 1);
    }
    if (d < best_distance) {
      best_distance = d;
      best = flag.name;
    }
  }
  const std::size_t tolerance = std::max<std::size_t>(2, name.size() / 4);
  if (!best.empty() && best_distance <= tolerance) {
    return "unknown flag --" + name + " (did you mean --" + best + "?)";
  }
  return "unknown flag " + echoed("--" + name) + " (see --help for the flags)";
}

std::string FlagParser::stray_message(std::string arg, const std::vector<std::string>& args) const {
  if (arg.size() >= kEmptyValue.size() &&
      arg.compare(arg.size() - kEmptyValue.size(), kEmptyValue.size(), kEmptyValue) == 0) {
    arg.resize(arg.size() - kEmptyValue.size());
  }
  if (arg.size() >= 3 && arg.compare(0, 2, "--") == 0) {
    const auto equals = arg.find('=');
    const std::string name = arg.substr(2, equals == std::string::npos ? std::string::npos : equals - 2);
    if (name.empty()) return "a flag name is missing in " + echoed(arg);
    return unknown_flag_message(name);
  }
  if (arg.size() >= 2 && arg[0] == '-' && arg[1] != '-' && index_.count(arg.substr(1))) {
    return "unknown flag " + echoed(arg) + " (flags start with two dashes: --" + arg.substr(1) + ")";
  }
  std::string message = "unexpected argument " + echoed(arg);
  // "--validation false": CLI11 rightly left "false" alone (a bool flag
  // takes no separate value); say how to write what was probably meant.
  const Flag* previous_bool = nullptr;
  for (std::size_t i = 1; i < args.size() && !previous_bool; ++i) {
    if (args[i] != arg || args[i - 1].rfind("--", 0) != 0) continue;
    const auto found = index_.find(args[i - 1].substr(2));
    if (found != index_.end() && flags_[found->second].kind == FlagKind::boolean) {
      previous_bool = &flags_[found->second];
    }
  }
  if (previous_bool && to_bool(arg)) {
    return message + " (--" + previous_bool->name + " takes no separate value; write --" +
           previous_bool->name + "=" + arg + ")";
  }
  return message + " (this program takes only --flags; see --help)";
}

void FlagParser::parse(const std::vector<std::string>& args) {
  for (auto& flag : flags_) {
    flag.given = false;
    flag.int_value = flag.int_default;
    flag.real_value = flag.real_default;
    flag.string_value = flag.string_default;
    flag.bool_value = flag.bool_default;
  }
  help_requested_ = false;

  // A fresh App per parse: it holds no state between command lines, and
  // FlagParser stays copyable without CLI11 in its header.
  CLI::App app(description_, program_);
  app.set_help_flag("-h,--help");
  // Unknown flags and stray words come back from remaining(), in order, so
  // that the message can suggest the flag that was meant.
  app.allow_extras();
  std::vector<CLI::Option*> options;
  for (const auto& flag : flags_) options.push_back(add_to(app, flag));

  // CLI11 reads its vector from the back. It also reads "--note=" as
  // "--note" and would take the next argument as the value; mark an empty
  // "=" value so that it stays empty (and is reported as missing where a
  // value is required).
  std::vector<std::string> reversed;
  for (auto arg = args.rbegin(); arg != args.rend(); ++arg) {
    const auto equals = arg->find('=');
    const bool empty_value = arg->rfind("--", 0) == 0 && equals != std::string::npos && equals > 2 &&
                             equals + 1 == arg->size();
    reversed.push_back(empty_value ? *arg + kEmptyValue : *arg);
  }
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    // --help wins over everything else, even mistakes elsewhere on the line.
    help_requested_ = true;
    return;
  } catch (const CLI::Error& e) {
    // Not expected with these settings (no values are converted by CLI11),
    // but a command line can never be a programming error.
    throw UsageError(e.what());
  }

  for (std::size_t i = 0; i < flags_.size(); ++i) {
    const std::vector<std::string>& results = options[i]->results();
    if (results.empty()) continue;
    Flag& flag = flags_[i];
    if (results.size() > 1) {
      throw UsageError(flag.name, "given more than once; give each flag at most once");
    }
    flag.given = true;
    set_value(flag, results.front());
  }
  const std::vector<std::string> strays = app.remaining();
  if (!strays.empty()) throw UsageError(stray_message(strays.front(), args));
}

CLI::Option* FlagParser::add_to(CLI::App& app, const Flag& flag) {
  CLI::Option* option = nullptr;
  if (flag.kind == FlagKind::boolean) {
    // "--validation" alone is "true"; "--validation=off" hands "off" to
    // set_value, which knows the spellings.
    option = app.add_flag("--" + flag.name);
  } else {
    // At most one value, and never the next --flag: "--epochs --filters 16"
    // is a missing value, not an epoch count of "--filters". Given with no
    // value, CLI11 records the option's default string, kNoValue.
    option = app.add_option("--" + flag.name)->expected(0, 1)->default_str(kNoValue);
  }
  // Keep every occurrence, so that a repeated flag is reported, not
  // silently resolved.
  option->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  return option;
}

void FlagParser::set_value(Flag& flag, const std::string& given_text) {
  if (given_text == kNoValue) {
    throw UsageError(flag.name, std::string("missing value (expected ") + kind_word(flag.kind) +
                                    ", as --" + flag.name + " " + flag.value_name + " or --" +
                                    flag.name + "=" + flag.value_name + ")");
  }
  const std::string text = given_text == kEmptyValue ? std::string() : given_text;
  switch (flag.kind) {
    case FlagKind::integer: {
      if (text.empty()) throw UsageError(flag.name, "missing value (expected an integer)");
      const auto value = to_int(text);
      if (!value) {
        if (is_out_of_range_int(text)) throw UsageError(flag.name, echoed(text) + " is out of range");
        throw UsageError(flag.name, echoed(text) + " is not an integer");
      }
      const IntRules& r = flag.int_rules;
      if (!r.choices.empty() &&
          std::find(r.choices.begin(), r.choices.end(), *value) == r.choices.end()) {
        throw UsageError(flag.name, "expected one of " +
                                        join(r.choices, [](long long v) { return std::to_string(v); }) +
                                        ", got " + text);
      }
      if ((r.min && *value < *r.min) || (r.max && *value > *r.max)) {
        std::string bound;
        if (r.min && r.max) {
          bound = "must be between " + std::to_string(*r.min) + " and " + std::to_string(*r.max);
        } else if (r.min) {
          bound = "must be at least " + std::to_string(*r.min);
        } else {
          bound = "must be at most " + std::to_string(*r.max);
        }
        throw UsageError(flag.name, bound + ", got " + text);
      }
      flag.int_value = *value;
      return;
    }
    case FlagKind::real: {
      if (text.empty()) throw UsageError(flag.name, "missing value (expected a number)");
      const auto value = to_real(text);
      if (!value) throw UsageError(flag.name, echoed(text) + " is not a number");
      if (!std::isfinite(*value)) throw UsageError(flag.name, echoed(text) + " is not a finite number");
      const RealRules& r = flag.real_rules;
      const bool below = r.min && (r.min_exclusive ? *value <= *r.min : *value < *r.min);
      const bool above = r.max && *value > *r.max;
      if (below || above) {
        std::string bound;
        const std::string low = r.min ? real_text(*r.min) : "";
        const std::string high = r.max ? real_text(*r.max) : "";
        if (r.min && r.max) {
          bound = "must be " + std::string(r.min_exclusive ? "greater than " : "between ") + low +
                  (r.min_exclusive ? " and at most " : " and ") + high;
        } else if (r.min) {
          bound = "must be " + std::string(r.min_exclusive ? "greater than " : "at least ") + low;
        } else {
          bound = "must be at most " + high;
        }
        throw UsageError(flag.name, bound + ", got " + text);
      }
      flag.real_value = *value;
      return;
    }
    case FlagKind::string: {
      const StringRules& r = flag.string_rules;
      if (text.empty() && !r.allow_empty) {
        throw UsageError(flag.name, "missing value (expected " +
                                        (flag.value_name.empty() ? std::string("a value")
                                                                 : flag.value_name) + ")");
      }
      if (!r.choices.empty() && std::find(r.choices.begin(), r.choices.end(), text) == r.choices.end()) {
        throw UsageError(flag.name, "expected one of " +
                                        join(r.choices, [](const std::string& s) { return s; }) +
                                        ", got " + echoed(text));
      }
      flag.string_value = text;
      return;
    }
    case FlagKind::boolean: {
      const auto value = to_bool(text);
      if (!value) {
        throw UsageError(flag.name, echoed(text) +
                                        " is not a boolean (use true or false, or the flag alone for true)");
      }
      flag.bool_value = *value;
      return;
    }
  }
}

std::string FlagParser::usage() const {
  std::ostringstream out;
  out << "Usage: " << program_ << " [flags]\n";
  if (!description_.empty()) out << "\n" << description_ << "\n";
  out << "\nFlags:\n";
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& flag : flags_) {
    std::string left = "--" + flag.name;
    if (flag.kind != FlagKind::boolean) left += " " + flag.value_name;
    std::string right = flag.help;
    std::string values;
    if (!flag.int_rules.choices.empty()) {
      values = "one of " + join(flag.int_rules.choices, [](long long v) { return std::to_string(v); });
    } else if (!flag.string_rules.choices.empty()) {
      values = "one of " + join(flag.string_rules.choices, [](const std::string& s) { return s; });
    }
    if (!values.empty()) right += "; " + values;
    if (flag.kind == FlagKind::string && flag.default_text.empty()) {
      // Nothing to show: the help says what happens without the flag.
    } else {
      right += " (default: " + flag.default_text + ")";
    }
    rows.emplace_back(left, right);
  }
  rows.emplace_back("-h, --help", "show this help and exit");
  std::size_t width = 0;
  for (const auto& row : rows) width = std::max(width, row.first.size());
  width = std::min<std::size_t>(width, 28);
  for (const auto& [left, right] : rows) {
    out << "  " << left;
    if (left.size() > width) {
      out << "\n  " << std::string(width, ' ');
    } else {
      out << std::string(width - left.size(), ' ');
    }
    // Continuation lines of a multi-line help text line up under its start.
    std::string text = right;
    std::string::size_type pos = 0;
    while ((pos = text.find('\n', pos)) != std::string::npos) {
      text.insert(pos + 1, std::string(width + 4, ' '));
      pos += 1;
    }
    out << "  " << text << "\n";
  }
  return out.str();
}

const FlagParser::Flag& FlagParser::lookup(const std::string& name, FlagKind kind) const {
  const auto found = index_.find(name);
  if (found == index_.end()) throw std::logic_error("FlagParser: no flag --" + name + " declared");
  const Flag& flag = flags_[found->second];
  if (flag.kind != kind) throw std::logic_error("FlagParser: --" + name + " read as the wrong kind");
  return flag;
}

long long FlagParser::get_int(const std::string& name) const {
  return lookup(name, FlagKind::integer).int_value;
}
double FlagParser::get_real(const std::string& name) const {
  return lookup(name, FlagKind::real).real_value;
}
const std::string& FlagParser::get_string(const std::string& name) const {
  return lookup(name, FlagKind::string).string_value;
}
bool FlagParser::get_bool(const std::string& name) const {
  return lookup(name, FlagKind::boolean).bool_value;
}
bool FlagParser::given(const std::string& name) const {
  const auto found = index_.find(name);
  if (found == index_.end()) throw std::logic_error("FlagParser: no flag --" + name + " declared");
  return flags_[found->second].given;
}

int run_program(FlagParser& flags, int argc, const char* const* argv,
                const std::function<int()>& body) {
  const auto usage_error = [&](const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s\nerror: %s\n", flags.usage().c_str(), e.what());
    return 2;
  };
  try {
    flags.parse(argc, argv);
  } catch (const UsageError& e) {
    return usage_error(e);
  }
  if (flags.help_requested()) {
    std::fputs(flags.usage().c_str(), stdout);
    return 0;
  }
  try {
    return body();
  } catch (const UsageError& e) {
    return usage_error(e);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (...) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: unexpected failure (an exception of unknown type)\n");
    return 1;
  }
}

std::vector<long long> parse_int_list(const std::string& flag, const std::string& text) {
  std::vector<long long> values;
  for (const auto& item : split_list(flag, text, "integers")) {
    const auto value = to_int(item);
    if (!value) throw UsageError(flag, echoed(item) + " in " + echoed(text) + " is not an integer");
    values.push_back(*value);
  }
  return values;
}

std::vector<double> parse_real_list(const std::string& flag, const std::string& text) {
  std::vector<double> values;
  for (const auto& item : split_list(flag, text, "numbers")) {
    const auto value = to_real(item);
    if (!value || !std::isfinite(*value)) {
      throw UsageError(flag, echoed(item) + " in " + echoed(text) + " is not a finite number");
    }
    values.push_back(*value);
  }
  return values;
}

}  // namespace vknn::examples
