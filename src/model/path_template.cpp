// Python's str.format for the fields of a file path (path_template.hpp).
// The layouts follow CPython's Objects/stringlib/unicode_format.h (the
// template), Python/formatter_unicode.c (the spec) and Python/pystrtod.c
// (repr and the spec without a type); tests/model/path_template_test.cpp
// holds Python's own outputs for each rule.
#include "model/path_template.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "vknn/error.hpp"

namespace vknn::model {

namespace {

// Widths and precisions beyond this are refused: no file name is that long.
constexpr int kMaxWidthOrPrecision = 1000;

struct Spec {
  std::string fill = " ";  // one code point, UTF-8
  bool fill_given = false;
  char align = 0;  // '<', '>', '=', '^'; 0: the default ('>' for numbers)
  char sign = '-';
  bool coerce_negative_zero = false;  // 'z'
  bool alternate = false;             // '#'
  int width = -1;
  char grouping = 0;  // ',' or '_'
  int precision = -1;
  char type = 0;
};

bool is_align(char c) { return c == '<' || c == '>' || c == '=' || c == '^'; }

std::size_t code_point_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

// Digits at `at` as a width or precision, bounded.
int read_number(const std::string& spec, std::size_t& at, const char* what) {
  long long value = 0;
  while (at < spec.size() && spec[at] >= '0' && spec[at] <= '9') {
    value = value * 10 + (spec[at++] - '0');
    if (value > kMaxWidthOrPrecision) {
      throw Error(std::string("a ") + what + " above " + std::to_string(kMaxWidthOrPrecision) +
                  " is not supported in a file name");
    }
  }
  return int(value);
}

// [[fill]align][sign][z][#][0][width][grouping][.precision][type], as
// CPython's parse_internal_render_format_spec reads it.
Spec parse_spec(const std::string& spec, const char* type_name) {
  Spec s;
  std::size_t at = 0;
  const std::size_t first = spec.empty() ? 0 : code_point_length(static_cast<unsigned char>(spec[0]));
  if (spec.size() > first && is_align(spec[first])) {
    s.fill = spec.substr(0, first);
    s.fill_given = true;
    s.align = spec[first];
    at = first + 1;
  } else if (!spec.empty() && is_align(spec[0])) {
    s.align = spec[0];
    at = 1;
  }
  if (at < spec.size() && (spec[at] == '+' || spec[at] == '-' || spec[at] == ' ')) s.sign = spec[at++];
  if (at < spec.size() && spec[at] == 'z') {
    s.coerce_negative_zero = true;
    ++at;
  }
  if (at < spec.size() && spec[at] == '#') {
    s.alternate = true;
    ++at;
  }
  if (at < spec.size() && spec[at] == '0') {
    // Sign-aware zero padding: fill '0' and alignment '=' unless given.
    if (!s.fill_given) s.fill = "0";
    if (s.align == 0) s.align = '=';
    ++at;
  }
  if (at < spec.size() && spec[at] >= '0' && spec[at] <= '9') s.width = read_number(spec, at, "width");
  if (at < spec.size() && (spec[at] == ',' || spec[at] == '_')) {
    s.grouping = spec[at++];
    if (at < spec.size() && (spec[at] == ',' || spec[at] == '_')) {
      throw Error("Cannot specify both ',' and '_'.");
    }
  }
  if (at < spec.size() && spec[at] == '.') {
    ++at;
    if (at == spec.size() || spec[at] < '0' || spec[at] > '9') {
      throw Error("Format specifier missing precision");
    }
    s.precision = read_number(spec, at, "precision");
  }
  if (spec.size() - at > 1) {
    throw Error("Invalid format specifier '" + spec + "' for object of type '" + type_name + "'");
  }
  if (at < spec.size()) s.type = spec[at];
  if (s.grouping != 0) {
    const std::string t(1, s.type);
    if (s.type == 'n' || s.type == 'c' || s.type == 's' ||
        (s.grouping == ',' && (s.type == 'b' || s.type == 'o' || s.type == 'x' || s.type == 'X'))) {
      throw Error(std::string("Cannot specify '") + s.grouping + "' with '" + t + "'.");
    }
    if (s.fill == "0" && s.align == '=') {
      // Python groups the padding zeros too ("0,001,234"): not done here.
      throw Error("grouping with zero padding is not supported in a file name; pad with another "
                  "fill character or leave out the grouping");
    }
  }
  return s;
}

std::string unknown_code(char type, const char* type_name) {
  return std::string("Unknown format code '") + type + "' for object of type '" + type_name + "'";
}

// Separators into the leading run of digits (hexadecimal ones where
// `every` is 4), every `every` from the right.
std::string group_digits(const std::string& body, char separator, std::size_t every) {
  const auto is_digit = [&](char c) {
    return every == 4 ? std::isxdigit(static_cast<unsigned char>(c)) != 0 : c >= '0' && c <= '9';
  };
  std::size_t digits = 0;
  while (digits < body.size() && is_digit(body[digits])) ++digits;
  std::string grouped;
  for (std::size_t i = 0; i < digits; ++i) {
    if (i > 0 && (digits - i) % every == 0) grouped += separator;
    grouped += body[i];
  }
  return grouped + body.substr(digits);
}

// sign + prefix + body, padded to the width as the alignment says.
std::string pad(const Spec& s, bool negative, const std::string& prefix, const std::string& body) {
  std::string sign;
  if (negative) {
    sign = "-";
  } else if (s.sign != '-') {
    sign = std::string(1, s.sign);
  }
  const std::size_t length = sign.size() + prefix.size() + body.size();
  if (s.width < 0 || std::size_t(s.width) <= length) return sign + prefix + body;
  const std::size_t n = std::size_t(s.width) - length;
  std::string padding;
  for (std::size_t i = 0; i < n; ++i) padding += s.fill;
  switch (s.align) {
    case '<': return sign + prefix + body + padding;
    case '=': return sign + prefix + padding + body;
    case '^': {
      std::string left, right;
      for (std::size_t i = 0; i < n / 2; ++i) left += s.fill;
      for (std::size_t i = n / 2; i < n; ++i) right += s.fill;
      return left + sign + prefix + body + right;
    }
    default: return padding + sign + prefix + body;
  }
}

std::string printf_text(const char* format, int precision, double value) {
  const int length = std::snprintf(nullptr, 0, format, precision, value);
  std::string text(std::size_t(length) + 1, '\0');
  std::snprintf(text.data(), text.size(), format, precision, value);
  text.resize(std::size_t(length));
  return text;
}

// A non-negative finite number as significant digits and the decimal
// exponent of the first: 0.0123 -> ("123", -2).
struct Digits {
  std::string digits;
  int exponent = 0;
};

Digits split_scientific(const std::string& text) {
  Digits d;
  const std::size_t e = text.find_first_of("eE");
  for (std::size_t i = 0; i < e; ++i) {
    if (text[i] != '.') d.digits += text[i];
  }
  d.exponent = std::atoi(text.c_str() + e + 1);
  return d;
}

std::string exponent_text(int exponent) {
  char text[16];
  std::snprintf(text, sizeof text, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  return text;
}

// d.ddde+XX; a lone '.' after one digit only in the alternate form.
std::string scientific_layout(const Digits& d, bool alternate) {
  std::string text(1, d.digits[0]);
  if (d.digits.size() > 1 || alternate) text += '.' + d.digits.substr(1);
  return text + exponent_text(d.exponent);
}

// Fixed point with at least one digit after the point (Python's
// "add .0 if integer").
std::string fixed_layout(const Digits& d) {
  std::string whole, fraction;
  if (d.exponent >= 0) {
    const std::size_t integer_digits = std::size_t(d.exponent) + 1;
    whole = d.digits.substr(0, std::min(integer_digits, d.digits.size()));
    while (whole.size() < integer_digits) whole += '0';
    if (d.digits.size() > integer_digits) fraction = d.digits.substr(integer_digits);
  } else {
    whole = "0";
    fraction = std::string(std::size_t(-d.exponent - 1), '0') + d.digits;
  }
  return whole + '.' + (fraction.empty() ? "0" : fraction);
}

void strip_trailing_zeros(Digits& d) {
  while (d.digits.size() > 1 && d.digits.back() == '0') d.digits.pop_back();
}

// repr(x) of a non-negative finite float: the shortest digits that read
// back to x, fixed point for exponents -4 .. 15 ('#' keeps a point in
// "1.e+16").
std::string repr_text(double value, bool alternate) {
  char text[64];
  const auto result = std::to_chars(std::begin(text), std::end(text), value, std::chars_format::scientific);
  const Digits d = split_scientific(std::string(text, result.ptr));
  return d.exponent >= -4 && d.exponent < 16 ? fixed_layout(d) : scientific_layout(d, alternate);
}

// A spec with a precision and no type: 'g' rounding, switching to
// scientific already at exponent p - 1, with ".0" kept on integers.
std::string general_without_type(double value, int precision, bool alternate) {
  const int p = std::max(precision, 1);
  Digits d = split_scientific(printf_text("%.*e", p - 1, value));
  const bool scientific = d.exponent < -4 || d.exponent >= p - 1;
  if (!alternate) strip_trailing_zeros(d);
  return scientific ? scientific_layout(d, alternate) : fixed_layout(d);
}

bool rounds_to_zero(const std::string& body) {
  for (const char c : body) {
    if (c == 'e' || c == 'E') break;
    if (c >= '1' && c <= '9') return false;
  }
  return true;
}

std::string format_float(double value, const Spec& s) {
  static const std::string allowed = "eEfFgGn%";
  if (s.type != 0 && allowed.find(s.type) == std::string::npos) throw Error(unknown_code(s.type, "float"));
  bool negative = std::signbit(value) && !std::isnan(value);
  const double magnitude = std::fabs(value);
  const int precision = s.precision < 0 ? 6 : s.precision;
  std::string body;
  if (s.type == 0) {
    if (!std::isfinite(magnitude)) {
      body = std::isnan(magnitude) ? "nan" : "inf";
    } else {
      body = s.precision < 0 ? repr_text(magnitude, s.alternate) : general_without_type(magnitude, s.precision, s.alternate);
    }
  } else if (s.type == '%') {
    body = printf_text(s.alternate ? "%#.*f" : "%.*f", precision, magnitude * 100) + "%";
  } else {
    const char type = s.type == 'n' ? 'g' : s.type;
    const std::string format = std::string(s.alternate ? "%#.*" : "%.*") + type;
    body = printf_text(format.c_str(), precision, magnitude);
  }
  if (negative && s.coerce_negative_zero && std::isfinite(magnitude) && rounds_to_zero(body)) negative = false;
  if (s.grouping != 0) body = group_digits(body, s.grouping, 3);
  return pad(s, negative, "", body);
}

std::string format_integer(std::int64_t value, const Spec& s) {
  static const std::string floats = "eEfFgG%";
  if (s.type != 0 && floats.find(s.type) != std::string::npos) return format_float(double(value), s);
  static const std::string allowed = "dnboxX";
  if (s.type == 'c') {
    throw Error("the format code 'c' (a character) is not supported in a file name");
  }
  if (s.type != 0 && allowed.find(s.type) == std::string::npos) throw Error(unknown_code(s.type, "int"));
  if (s.precision >= 0) throw Error("Precision not allowed in integer format specifier");
  if (s.coerce_negative_zero) {
    throw Error("Negative zero coercion (z) not allowed in integer format specifier");
  }
  int base = 10;
  std::string prefix;
  switch (s.type) {
    case 'b': base = 2; prefix = "0b"; break;
    case 'o': base = 8; prefix = "0o"; break;
    case 'x': base = 16; prefix = "0x"; break;
    case 'X': base = 16; prefix = "0X"; break;
    default: break;
  }
  if (!s.alternate) prefix.clear();
  // The magnitude as unsigned, so that the most negative value has one.
  const std::uint64_t magnitude = value < 0 ? std::uint64_t(0) - std::uint64_t(value) : std::uint64_t(value);
  char text[72];
  const auto result = std::to_chars(std::begin(text), std::end(text), magnitude, base);
  std::string body(text, result.ptr);
  if (s.type == 'X') {
    for (char& c : body) c = char(std::toupper(static_cast<unsigned char>(c)));
  }
  if (s.grouping != 0) body = group_digits(body, s.grouping, base == 10 ? 3 : 4);
  return pad(s, value < 0, prefix, body);
}

}  // namespace

std::string format_value(const TemplateValue& value, const std::string& spec) {
  if (const auto* integer = std::get_if<std::int64_t>(&value)) {
    return format_integer(*integer, parse_spec(spec, "int"));
  }
  return format_float(std::get<double>(value), parse_spec(spec, "float"));
}

PathTemplate::PathTemplate(std::string text, std::string owner)
    : text_(std::move(text)), owner_(std::move(owner)) {
  const auto invalid = [&](const std::string& reason) {
    return Error(owner_ + ": filepath \"" + text_ + "\" is not a valid template (" + reason +
                 "); write braces as {{ and }}");
  };
  std::string literal;
  for (std::size_t at = 0; at < text_.size();) {
    const char c = text_[at];
    if (c == '}') {
      if (at + 1 < text_.size() && text_[at + 1] == '}') {
        literal += '}';
        at += 2;
        continue;
      }
      throw invalid("Single '}' encountered in format string");
    }
    if (c != '{') {
      literal += c;
      ++at;
      continue;
    }
    if (at + 1 < text_.size() && text_[at + 1] == '{') {
      literal += '{';
      at += 2;
      continue;
    }
    if (at + 1 == text_.size()) throw invalid("Single '{' encountered in format string");
    // The field runs to the '}' that closes it (nested braces counted).
    std::size_t end = at + 1;
    int depth = 1;
    for (; end < text_.size(); ++end) {
      if (text_[end] == '{') ++depth;
      if (text_[end] == '}' && --depth == 0) break;
    }
    if (end == text_.size()) throw invalid("expected '}' before end of string");
    const std::string field = text_.substr(at + 1, end - at - 1);
    const std::size_t name_end = field.find_first_of(":!");
    Field f{field.substr(0, name_end), name_end != std::string::npos && field[name_end] == ':'
                                           ? field.substr(name_end + 1)
                                           : std::string()};
    const std::string shown = "{" + field + "}";
    if (f.name.empty() || f.name.find_first_not_of("0123456789") == std::string::npos) {
      throw Error(owner_ + ": filepath \"" + text_ + "\" has a positional field " + shown +
                  "; name a key, e.g. {epoch:02d} or {val_loss:.2f}");
    }
    if (name_end != std::string::npos && field[name_end] == '!') {
      throw Error(owner_ + ": filepath \"" + text_ + "\": the conversion in " + shown +
                  " is not supported in a file name; write the field without it, e.g. {" + f.name +
                  "}");
    }
    if (f.name.find_first_of(".[") != std::string::npos) {
      throw Error(owner_ + ": filepath \"" + text_ + "\": attribute or index access in " + shown +
                  " is not supported; name a key, e.g. {epoch:02d} or {val_loss:.2f}");
    }
    if (f.spec.find_first_of("{}") != std::string::npos) {
      throw Error(owner_ + ": filepath \"" + text_ + "\": a nested field in the format spec of " +
                  shown + " is not supported; write the spec out, e.g. {val_loss:.2f}");
    }
    pieces_.push_back({std::move(literal), int(fields_.size())});
    literal.clear();
    fields_.push_back(std::move(f));
    at = end + 1;
  }
  pieces_.push_back({std::move(literal), -1});
}

bool PathTemplate::names(const std::string& name) const {
  for (const auto& f : fields_) {
    if (f.name == name) return true;
  }
  return false;
}

void PathTemplate::check_specs(const std::vector<std::string>& integers) const {
  for (const auto& f : fields_) {
    const bool integer = std::find(integers.begin(), integers.end(), f.name) != integers.end();
    try {
      format_value(integer ? TemplateValue(std::int64_t(1)) : TemplateValue(0.5), f.spec);
    } catch (const Error& e) {
      throw Error(owner_ + ": filepath \"" + text_ + "\": the format spec of {" + f.name + ":" + f.spec +
                  "} is not valid for " + (integer ? "an integer" : "a float (a logged metric)") +
                  ": " + e.what());
    }
  }
}

std::string PathTemplate::fill(const std::vector<std::pair<std::string, TemplateValue>>& values,
                               const std::string& where) const {
  std::string path;
  for (const auto& piece : pieces_) {
    path += piece.literal;
    if (piece.field < 0) continue;
    const Field& f = fields_[std::size_t(piece.field)];
    const auto it = std::find_if(values.begin(), values.end(), [&](const auto& v) { return v.first == f.name; });
    if (it == values.end()) {
      std::string available;
      for (const auto& [name, value] : values) available += (available.empty() ? "" : ", ") + name;
      throw Error("Failed to format this callback filepath: \"" + text_ + "\". Reason: the logs have no '" +
                  f.name + "'; available keys: " + available + " " + where);
    }
    try {
      path += format_value(it->second, f.spec);
    } catch (const Error& e) {
      throw Error(owner_ + ": filepath \"" + text_ + "\": {" + f.name + ":" + f.spec + "}: " + e.what() +
                  " " + where);
    }
  }
  return path;
}

}  // namespace vknn::model
