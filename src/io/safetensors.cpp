// safetensors encoding, strict decoding, atomic saving and the model check;
// see safetensors.hpp for the format and the rules.
//
// The header's JSON grammar (escapes, surrogate pairs, UTF-8 validation) is
// nlohmann-json's SAX parser, used only here (the installed headers do not
// need it). This file accepts exactly the JSON the format needs: objects,
// strings and arrays of non-negative integers. Anything else (numbers outside
// arrays, true/false/null, floats, negative integers, duplicate keys, nesting
// deeper than entry objects) is rejected as it starts, with the file byte
// offset, so a recursion depth or an allocation never depends on untrusted
// input beyond the header's own size, itself bounded before parsing.
#include "io/safetensors.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <limits>
#include <set>
#include <string_view>
#include <system_error>

#include "vknn/error.hpp"
#include "vknn/io/atomic_file.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vknn::io {

namespace {

namespace fs = std::filesystem;

// Tensor data is copied to and from float arrays byte for byte.
static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; add byte swapping for this platform");
static_assert(sizeof(float) == 4 && std::numeric_limits<float>::is_iec559);

constexpr std::size_t kLengthBytes = 8;
constexpr const char* kMetadataKey = "__metadata__";
// The reference implementation refuses headers above 100 MB; so does vknn,
// before reading a byte of the JSON (a real header is a few kilobytes).
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

std::string system_message(int err) { return std::system_category().message(err); }

std::string bytes_text(std::uint64_t n) {
  return std::to_string(n) + (n == 1 ? " byte" : " bytes");
}

// ---- UTF-8 ------------------------------------------------------------------

// The length of the well-formed UTF-8 sequence at s[pos] (1 to 4), or 0 when
// it is malformed (bad lead or continuation byte, overlong, surrogate, above
// U+10FFFF, or cut off by the end).
std::size_t utf8_sequence_length(std::string_view s, std::size_t pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(pos);
  if (lead < 0x80) return 1;
  std::size_t len = 0;
  std::uint32_t cp = 0, min = 0;
  if ((lead & 0xe0) == 0xc0) { len = 2; cp = lead & 0x1f; min = 0x80; }
  else if ((lead & 0xf0) == 0xe0) { len = 3; cp = lead & 0x0f; min = 0x800; }
  else if ((lead & 0xf8) == 0xf0) { len = 4; cp = lead & 0x07; min = 0x10000; }
  else return 0;
  if (pos + len > s.size()) return 0;
  for (std::size_t i = 1; i < len; ++i) {
    if ((byte(pos + i) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (byte(pos + i) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

bool is_valid_utf8(std::string_view s) {
  for (std::size_t pos = 0; pos < s.size();) {
    const std::size_t len = utf8_sequence_length(s, pos);
    if (len == 0) return false;
    pos += len;
  }
  return true;
}

// ---- The header JSON subset -------------------------------------------------

struct JsonMember;

struct JsonValue {
  enum class Kind { object, string, int_array };
  Kind kind = Kind::object;
  std::size_t offset = 0;              // file byte offset of the value's first byte
  std::string text;                    // string
  std::vector<std::uint64_t> ints;     // int_array
  std::vector<JsonMember> members;     // object, in file order
};

struct JsonMember {
  std::string key;
  std::size_t key_offset = 0;
  JsonValue value;
};

const char* kind_name(JsonValue::Kind kind) {
  switch (kind) {
    case JsonValue::Kind::object: return "an object";
    case JsonValue::Kind::string: return "a string";
    case JsonValue::Kind::int_array: return "an array of integers";
  }
  return "a value";
}

// The top-level object holds entry objects; nothing nests deeper.
constexpr int kMaxDepth = 2;

// An iterator over the header bytes that publishes how many bytes the JSON
// lexer has read. nlohmann-json reports positions only with parse errors; the
// count lets every SAX event, and so every schema error, name its byte too.
// (The lexer reads one byte at a time and at most one byte past a number.)
class CountingIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  CountingIterator(const char* p, std::size_t* read) : p_(p), read_(read) {}
  reference operator*() const { return *p_; }
  CountingIterator& operator++() {
    ++p_;
    ++*read_;
    return *this;
  }
  CountingIterator operator++(int) {
    CountingIterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const CountingIterator& other) const { return p_ == other.p_; }

 private:
  const char* p_;
  std::size_t* read_;
};

using Json = nlohmann::json;

// Builds the JsonValue tree from nlohmann-json's SAX events, refusing
// everything outside the subset (see the top of this file) as soon as it
// starts, so nesting, allocation and recursion stay bounded by the rules,
// not by the input. Errors are vknn::Error with the file byte offset.
class HeaderParser final : public nlohmann::json_sax<Json> {
 public:
  // header: the N header bytes, which start at file offset 8.
  HeaderParser(std::string_view header, const std::string& source)
      : s_(header), source_(source) {}

  JsonValue parse_document() {
    // The format requires the header to start with '{' (no leading spaces);
    // a JSON parser would skip them, so this is checked first.
    if (s_.empty() || s_[0] != '{') expected("'{' (the header must start with a JSON object)", 0);
    read_ = 0;
    const char* begin = s_.data();
    const char* end = s_.data() + s_.size();
    // strict = true: only whitespace may follow the object.
    Json::sax_parse(CountingIterator(begin, &read_), CountingIterator(end, &read_), this,
                    nlohmann::detail::input_format_t::json, /*strict=*/true);
    return std::move(top_);
  }

  // ---- SAX events (each returns true to go on; problems throw) ----

  bool start_object(std::size_t) override {
    const std::size_t at = read_ - 1;  // the '{' was just read
    if (!stack_.empty() && stack_.back()->kind == JsonValue::Kind::int_array) {
      expected("a non-negative integer", at);
    }
    if (static_cast<int>(stack_.size()) >= kMaxDepth) {
      fail("objects nest too deeply for a safetensors header", at);
    }
    JsonValue& v = place(JsonValue::Kind::object, at);
    stack_.push_back(&v);
    keys_.emplace_back();
    return true;
  }

  bool key(string_t& name) override {
    const std::size_t at = string_start(read_);
    if (!keys_.back().insert(name).second) {
      fail(stack_.size() == 1 ? "duplicate tensor name '" + name + "'"
                              : "duplicate key '" + name + "' in one entry",
           at);
    }
    JsonMember member;
    member.key = std::move(name);
    member.key_offset = at;
    stack_.back()->members.push_back(std::move(member));
    return true;
  }

  bool end_object() override {
    stack_.pop_back();
    keys_.pop_back();
    return true;
  }

  bool start_array(std::size_t) override {
    const std::size_t at = read_ - 1;
    if (stack_.back()->kind == JsonValue::Kind::int_array) expected("a non-negative integer", at);
    JsonValue& v = place(JsonValue::Kind::int_array, at);
    stack_.push_back(&v);
    return true;
  }

  bool end_array() override {
    stack_.pop_back();
    return true;
  }

  bool string(string_t& text) override {
    const std::size_t at = string_start(read_);
    if (in_array()) expected("a non-negative integer", at);
    place(JsonValue::Kind::string, at).text = std::move(text);
    return true;
  }

  bool number_unsigned(number_unsigned_t value) override {
    const std::size_t at = number_start();
    if (!in_array()) expected("an object, a string or an array of integers", at);
    if (value > static_cast<number_unsigned_t>(std::numeric_limits<std::int64_t>::max())) {
      fail("the integer is too large", at);
    }
    stack_.back()->ints.push_back(value);
    return true;
  }

  bool number_integer(number_integer_t) override {
    // nlohmann-json reports only integers with a minus sign here.
    const std::size_t at = number_start();
    if (!in_array()) expected("an object, a string or an array of integers", at);
    expected("a non-negative integer", at);
  }

  bool number_float(number_float_t, const string_t& token) override {
    const std::size_t at = number_start();
    if (!in_array()) expected("an object, a string or an array of integers", at);
    // Digits only: an integer beyond 64 bits, which the lexer made a float.
    if (token.find_first_not_of("0123456789") == string_t::npos) {
      fail("the integer is too large", at);
    }
    if (token[0] == '-') expected("a non-negative integer", at);
    fail("expected an integer, found a fraction or exponent", at);
  }

  bool boolean(bool value) override { literal(value ? 4 : 5); }
  bool null() override { literal(4); }
  bool binary(binary_t&) override { literal(0); }  // not produced by the JSON lexer

  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& error) override {
    report_syntax_error(position, error.what());
  }

 private:
  [[noreturn]] void fail(const std::string& problem, std::size_t at) const {
    throw Error(source_ + ": malformed header at byte " + std::to_string(kLengthBytes + at) +
                ": " + problem);
  }
  [[noreturn]] void expected(const std::string& what, std::size_t at) const {
    fail("expected " + what + ", found " + found(at), at);
  }

  std::string found(std::size_t at) const {
    if (at >= s_.size()) return "the end of the header";
    const auto c = static_cast<unsigned char>(s_[at]);
    if (c >= 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
    char buf[16];
    std::snprintf(buf, sizeof buf, "byte 0x%02x", static_cast<unsigned>(c));
    return buf;
  }

  bool in_array() const { return !stack_.empty() && stack_.back()->kind == JsonValue::Kind::int_array; }

  // A new value where the parser is: the document, an object member's value
  // (the member was added by key()) or, for arrays, never (they hold only
  // integers, which are not JsonValues).
  JsonValue& place(JsonValue::Kind kind, std::size_t at) {
    JsonValue* v = nullptr;
    if (stack_.empty()) v = &top_;
    else v = &stack_.back()->members.back().value;
    v->kind = kind;
    v->offset = at;
    return *v;
  }

  // The offset of the opening quote of the string whose closing quote is the
  // last byte read. The string is well formed (the lexer accepted it), so a
  // quote inside it is preceded by an odd number of backslashes and the
  // opening one by none.
  std::size_t string_start(std::size_t end) const {
    std::size_t q = end - 1;  // the closing quote
    while (q > 0) {
      --q;
      if (s_[q] != '"') continue;
      std::size_t slashes = 0;
      while (q > slashes && s_[q - 1 - slashes] == '\\') ++slashes;
      if (slashes % 2 == 0) return q;
    }
    return 0;
  }

  // The offset of the number token just read; the lexer may have read one
  // byte past it.
  std::size_t number_start() const {
    const auto number_char = [&](std::size_t i) {
      const char c = s_[i];
      return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
    };
    std::size_t p = std::min(read_, s_.size());
    if (p > 0 && !number_char(p - 1)) --p;
    while (p > 0 && number_char(p - 1)) --p;
    return p;
  }

  [[noreturn]] void literal(std::size_t length) const {
    const std::size_t at = read_ - length;
    expected(in_array() ? "a non-negative integer" : "an object, a string or an array of integers",
             at);
  }

  // Turns nlohmann-json's syntax error into this reader's wording: the byte,
  // what was expected there and what was found. `position` counts the bytes
  // read including the offending one (or the end).
  [[noreturn]] void report_syntax_error(std::size_t position, std::string_view what) const {
    // The offending byte, or s_.size() when the header ended first.
    const std::size_t at = std::min(position == 0 ? 0 : position - 1, s_.size());
    // s_[i], or 0 past the end (a header that stops inside a string or an
    // array has no byte at `at`; found by load_weights_fuzzer).
    const auto byte = [&](std::size_t i) { return i < s_.size() ? s_[i] : '\0'; };
    // what: "[json.exception.parse_error.101] parse error at line L, column C:
    //        syntax error while parsing CONTEXT - PROBLEM[; last read: '...'][; expected X]"
    const auto between = [&](std::string_view from, std::string_view to) {
      const std::size_t a = what.find(from);
      if (a == std::string_view::npos) return std::string_view{};
      const std::size_t b = what.find(to, a + from.size());
      return what.substr(a + from.size(), b == std::string_view::npos ? std::string_view::npos
                                                                       : b - a - from.size());
    };
    const std::string_view context = between("while parsing ", " - ");
    std::string_view problem = between(" - ", "; ");
    const bool wanted_end = what.find("; expected end of input") != std::string_view::npos;

    if (problem.starts_with("invalid string: ")) {
      problem.remove_prefix(16);
      // Escape errors name the escape's backslash, as a reader counts.
      std::size_t escape = at;
      while (escape > 0 && byte(escape) != '\\') --escape;
      if (problem.starts_with("missing closing quote") || at >= s_.size()) {
        fail("the string is not closed before the end of the header", at);
      }
      if (problem.starts_with("forbidden character after backslash")) {
        fail("unknown escape '\\" + std::string(1, byte(at)) + "' in a string", escape);
      }
      if (problem.starts_with("surrogate U+DC00..U+DFFF must follow")) {
        fail("a lone low surrogate \\u escape", escape);
      }
      if (problem.starts_with("surrogate U+D800..U+DBFF must be followed")) {
        // Name the high surrogate: when the failure is inside a following
        // escape ("\ud800\u0041", "\ud800\x"), it is the escape before.
        const std::size_t high = (at - escape <= 5 && escape >= 6) ? escape - 6 : escape;
        fail("a high surrogate \\u escape must be followed by a low one", high);
      }
      if (problem.find("must be followed by 4 hex digits") != std::string_view::npos) {
        expected("4 hex digits after \\u", at);
      }
      if (problem.starts_with("ill-formed UTF-8")) fail("invalid UTF-8 in a string", at);
      if (problem.starts_with("control character")) {
        fail("a control character (byte " +
                 std::to_string(static_cast<unsigned char>(byte(at))) +
                 ") must be escaped inside a string",
             at);
      }
      fail("invalid string (" + std::string(problem) + ")", at);
    }
    if (wanted_end) {
      fail("unexpected " + found(at) + " after the header's JSON object (only spaces may follow)",
           at);
    }
    if (problem.starts_with("invalid number")) {
      fail("an invalid number (" + std::string(problem) + ")", at);
    }
    std::string expectation;
    if (context == "object separator") expectation = "':' after the key";
    else if (context == "object key") expectation = "a string key";
    else if (context == "object") expectation = "',' or '}' in the object";
    else if (context == "array") expectation = "',' or ']' in the array";
    else if (in_array()) expectation = "a non-negative integer";
    else expectation = "an object, a string or an array of integers";
    std::string message = "expected " + expectation + ", found " + found(at);
    // "[01]": JSON forbids the leading zero, so the lexer ends the number at
    // the 0 and the next digit looks like a second value.
    if (context == "array" && at >= 1 && byte(at) >= '0' && byte(at) <= '9' &&
        byte(at - 1) == '0' && (at < 2 || byte(at - 2) < '0' || byte(at - 2) > '9')) {
      message += " (an integer must not have leading zeros)";
    }
    fail(message, at);
  }

  std::string_view s_;
  const std::string& source_;
  std::size_t read_ = 0;                 // header bytes the lexer has read
  JsonValue top_;
  std::vector<JsonValue*> stack_;        // the open object and array values
  std::vector<std::set<std::string>> keys_;  // the keys of each open object
};

// ---- Decoding -----------------------------------------------------------------

struct Entry {
  std::size_t tensor = 0;  // index into WeightsFile::tensors
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

std::string quoted(const std::string& name) { return "'" + name + "'"; }

std::string offsets_text(std::uint64_t begin, std::uint64_t end) {
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict, bug 105329)
  // about "literal" + std::string here.
  std::string s = "[";
  s += std::to_string(begin);
  s += ", ";
  s += std::to_string(end);
  s += ']';
  return s;
}

[[noreturn]] void entry_error(const std::string& source, const std::string& name,
                              const std::string& problem, std::size_t at) {
  throw Error(source + ": tensor " + quoted(name) + " (header byte " +
              std::to_string(kLengthBytes + at) + "): " + problem);
}

// Reads one tensor entry's dtype, shape and data_offsets.
Entry read_entry(const JsonMember& member, const std::string& source, Tensor& tensor,
                 std::size_t index) {
  const auto fail = [&](const std::string& problem, std::size_t at) {
    entry_error(source, member.key, problem, at);
  };
  if (member.key.empty()) fail("a tensor name must not be empty", member.key_offset);
  if (member.value.kind != JsonValue::Kind::object) {
    fail("the entry must be an object with dtype, shape and data_offsets, found " +
             std::string(kind_name(member.value.kind)),
         member.value.offset);
  }
  const JsonValue* dtype = nullptr;
  const JsonValue* shape = nullptr;
  const JsonValue* offsets = nullptr;
  for (const JsonMember& field : member.value.members) {
    if (field.key == "dtype") dtype = &field.value;
    else if (field.key == "shape") shape = &field.value;
    else if (field.key == "data_offsets") offsets = &field.value;
    else {
      fail("unexpected key " + quoted(field.key) +
               "; an entry has only dtype, shape and data_offsets",
           field.key_offset);
    }
  }
  if (!dtype || !shape || !offsets) {
    entry_error(source, member.key,
                std::string("the entry has no ") +
                    (!dtype ? "dtype" : !shape ? "shape" : "data_offsets"),
                member.value.offset);
  }
  if (dtype->kind != JsonValue::Kind::string) {
    fail("dtype must be a string such as \"F32\"", dtype->offset);
  }
  if (dtype->text != "F32") {
    fail("dtype is " + quoted(dtype->text) + "; vknn reads only F32 (float32) tensors",
         dtype->offset);
  }
  if (shape->kind != JsonValue::Kind::int_array) {
    fail("shape must be an array of integers", shape->offset);
  }
  if (offsets->kind != JsonValue::Kind::int_array || offsets->ints.size() != 2) {
    fail("data_offsets must be an array of two integers [begin, end]", offsets->offset);
  }
  Entry entry;
  entry.tensor = index;
  entry.begin = offsets->ints[0];
  entry.end = offsets->ints[1];
  if (entry.begin > entry.end) {
    fail("data_offsets " + offsets_text(entry.begin, entry.end) + " end before they begin",
         offsets->offset);
  }

  tensor.name = member.key;
  tensor.shape.assign(shape->ints.begin(), shape->ints.end());  // each <= INT64_MAX
  // The byte size the shape needs; any overflow cannot match a real span.
  std::uint64_t elements = 1;
  bool overflow = false;
  for (std::uint64_t d : shape->ints) {
    if (d != 0 && elements > std::numeric_limits<std::uint64_t>::max() / 4 / d) overflow = true;
    elements *= d;
  }
  const std::uint64_t span = entry.end - entry.begin;
  if (overflow || elements * 4 != span) {
    fail("shape " + format_tensor_shape(tensor.shape) + " needs " +
             (overflow ? std::string("more than 2^64 bytes") : bytes_text(elements * 4)) +
             " of F32 data, but data_offsets " + offsets_text(entry.begin, entry.end) +
             " span " + bytes_text(span),
         offsets->offset);
  }
  return entry;
}

Metadata read_metadata(const JsonMember& member, const std::string& source) {
  if (member.value.kind != JsonValue::Kind::object) {
    throw Error(source + ": " + kMetadataKey + " (header byte " +
                std::to_string(kLengthBytes + member.value.offset) +
                ") must be an object of strings, found " + kind_name(member.value.kind));
  }
  Metadata metadata;
  for (const JsonMember& field : member.value.members) {
    if (field.value.kind != JsonValue::Kind::string) {
      throw Error(source + ": " + kMetadataKey + " value " + quoted(field.key) +
                  " (header byte " + std::to_string(kLengthBytes + field.value.offset) +
                  ") must be a string, found " + kind_name(field.value.kind));
    }
    metadata.emplace_back(field.key, field.value.text);
  }
  return metadata;
}

// ---- Encoding -----------------------------------------------------------------

void append_json_string(std::string& out, const std::string& s) {
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += ch;
    }
  }
  out += '"';
}

void append_uint_array(std::string& out, const std::vector<std::uint64_t>& values) {
  out += '[';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(values[i]);
  }
  out += ']';
}

// ---- Files ----------------------------------------------------------------------

std::vector<std::uint8_t> read_whole_file(const fs::path& path) {
  const std::string name = path.string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    throw Error(name + ": cannot open the weights file (" + system_message(err) + ")");
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    throw Error(name + ": is not a regular file; give the path of a .safetensors file");
  }
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(info.st_size));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : 0;
      ::close(fd);
      throw Error(name + ": could read only " + std::to_string(done) + " of " +
                  bytes_text(bytes.size()) +
                  (err ? " (" + system_message(err) + ")" : std::string(" (the file shrank)")));
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return bytes;
}

}  // namespace

// ---- Public ---------------------------------------------------------------------

const Tensor* WeightsFile::find(const std::string& name) const {
  for (const Tensor& t : tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::vector<TensorSpec> WeightsFile::specs() const {
  std::vector<TensorSpec> out;
  out.reserve(tensors.size());
  for (const Tensor& t : tensors) out.push_back(t.spec());
  return out;
}

std::vector<std::uint8_t> encode_safetensors(const std::vector<Tensor>& tensors,
                                             const Metadata& metadata) {
  const auto fail = [](const std::string& problem) { throw Error("save_safetensors: " + problem); };
  std::set<std::string> names;
  std::string header = "{";
  std::uint64_t offset = 0;
  for (const Tensor& t : tensors) {
    if (t.name.empty()) fail("a tensor has an empty name");
    if (t.name == kMetadataKey) fail("the tensor name '__metadata__' is reserved by the format");
    if (!is_valid_utf8(t.name)) fail("tensor name " + quoted(t.name) + " is not valid UTF-8");
    if (!names.insert(t.name).second) fail("duplicate tensor name " + quoted(t.name));
    std::uint64_t elements = 1;
    std::vector<std::uint64_t> dims;
    for (std::int64_t d : t.shape) {
      if (d < 0) {
        fail("tensor " + quoted(t.name) + " has shape " + format_tensor_shape(t.shape) +
             " with a negative dimension");
      }
      const auto extent = static_cast<std::uint64_t>(d);
      // Checked as the reader checks it: a byte size beyond 64 bits is
      // refused even when a later 0 would make the product 0, else the
      // writer could produce a file its own reader refuses.
      if (extent != 0 && elements > std::numeric_limits<std::uint64_t>::max() / 4 / extent) {
        fail("tensor " + quoted(t.name) + " has shape " + format_tensor_shape(t.shape) +
             ", whose F32 byte size overflows 64 bits");
      }
      dims.push_back(extent);
      elements *= extent;
    }
    if (elements != t.values.size()) {
      fail("tensor " + quoted(t.name) + " has shape " + format_tensor_shape(t.shape) + " (" +
           std::to_string(elements) + " values) but holds " + std::to_string(t.values.size()) +
           " values");
    }
    const std::uint64_t end = offset + elements * sizeof(float);
    append_json_string(header, t.name);
    header += ":{\"dtype\":\"F32\",\"shape\":";
    append_uint_array(header, dims);
    header += ",\"data_offsets\":";
    append_uint_array(header, {offset, end});
    header += "},";
    offset = end;
  }
  header += "\"__metadata__\":{\"format\":\"vknn\"";
  std::set<std::string> keys{"format"};
  for (const auto& [key, value] : metadata) {
    if (!keys.insert(key).second) {
      fail(key == "format" ? std::string("metadata key 'format' is reserved (it is \"vknn\")")
                           : "duplicate metadata key " + quoted(key));
    }
    if (!is_valid_utf8(key) || !is_valid_utf8(value)) {
      fail("metadata " + quoted(key) + " is not valid UTF-8");
    }
    header += ',';
    append_json_string(header, key);
    header += ':';
    append_json_string(header, value);
  }
  header += "}}";
  // The reference implementation aligns the data to 8 bytes with spaces.
  while ((kLengthBytes + header.size()) % 8 != 0) header += ' ';

  std::vector<std::uint8_t> bytes(kLengthBytes + header.size() + offset);
  std::uint64_t n = header.size();
  for (std::size_t i = 0; i < kLengthBytes; ++i) bytes[i] = static_cast<std::uint8_t>(n >> (8 * i));
  std::memcpy(bytes.data() + kLengthBytes, header.data(), header.size());
  std::uint8_t* data = bytes.data() + kLengthBytes + header.size();
  for (const Tensor& t : tensors) {
    if (!t.values.empty()) std::memcpy(data, t.values.data(), t.values.size() * sizeof(float));
    data += t.values.size() * sizeof(float);
  }
  return bytes;
}

WeightsFile decode_safetensors(std::span<const std::uint8_t> bytes, const std::string& source) {
  if (bytes.size() < kLengthBytes) {
    throw Error(source + ": the file is " + bytes_text(bytes.size()) +
                ", too short for the 8-byte header length of a safetensors file");
  }
  std::uint64_t header_length = 0;
  for (std::size_t i = 0; i < kLengthBytes; ++i) {
    header_length |= std::uint64_t{bytes[i]} << (8 * i);
  }
  if (header_length > kMaxHeaderBytes) {
    throw Error(source + ": the header length is " + std::to_string(header_length) +
                " bytes, more than the " + std::to_string(kMaxHeaderBytes) +
                " a safetensors header may have (the file is corrupt or not a safetensors file)");
  }
  const std::uint64_t after_length = bytes.size() - kLengthBytes;
  if (header_length > after_length) {
    throw Error(source + ": the header length is " + std::to_string(header_length) +
                " bytes, larger than the " + bytes_text(after_length) +
                " that follow it (the file is truncated or not a safetensors file)");
  }
  const std::string_view header(reinterpret_cast<const char*>(bytes.data()) + kLengthBytes,
                                 static_cast<std::size_t>(header_length));
  const JsonValue top = HeaderParser(header, source).parse_document();

  WeightsFile file;
  file.source = source;
  std::vector<Entry> entries;
  for (const JsonMember& member : top.members) {
    if (member.key == kMetadataKey) {
      file.metadata = read_metadata(member, source);
      continue;
    }
    Tensor tensor;
    entries.push_back(read_entry(member, source, tensor, file.tensors.size()));
    file.tensors.push_back(std::move(tensor));
  }

  // Sorted by offset, the tensors must tile the data exactly.
  const std::uint64_t data_length = after_length - header_length;
  std::vector<Entry> sorted = entries;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::uint64_t expected_begin = 0;
  std::string previous = "the start of the data";
  for (const Entry& e : sorted) {
    const std::string& name = file.tensors[e.tensor].name;
    if (e.begin != expected_begin) {
      throw Error(source + ": tensor " + quoted(name) + ": data_offsets " +
                  offsets_text(e.begin, e.end) + " do not start where " + previous +
                  " ends (data byte " + std::to_string(expected_begin) + "); the tensors " +
                  (e.begin > expected_begin ? "leave a gap" : "overlap") +
                  ", but they must follow each other contiguously");
    }
    if (e.end > data_length) {
      throw Error(source + ": tensor " + quoted(name) + ": data_offsets " +
                  offsets_text(e.begin, e.end) + " run past the end of the data, which has " +
                  bytes_text(data_length) + " after the header (the file is truncated)");
    }
    expected_begin = e.end;
    previous = "tensor " + quoted(name);
  }
  if (expected_begin != data_length) {
    throw Error(source + ": " + bytes_text(data_length - expected_begin) +
                " of trailing data after the last tensor (the header accounts for " +
                bytes_text(expected_begin) + " of the " + bytes_text(data_length) + ")");
  }

  const std::uint8_t* data = bytes.data() + kLengthBytes + header_length;
  for (const Entry& e : entries) {
    Tensor& t = file.tensors[e.tensor];
    t.values.resize(static_cast<std::size_t>((e.end - e.begin) / sizeof(float)));
    if (!t.values.empty()) std::memcpy(t.values.data(), data + e.begin, e.end - e.begin);
  }
  return file;
}

void save_safetensors(const fs::path& path, const std::vector<Tensor>& tensors,
                      const Metadata& metadata) {
  std::vector<std::uint8_t> bytes;
  try {
    bytes = encode_safetensors(tensors, metadata);
  } catch (const Error& e) {
    throw Error(path.string() + ": " + e.what());
  }
  write_file_atomically(path, bytes);
}

WeightsFile load_safetensors(const fs::path& path) {
  const std::vector<std::uint8_t> bytes = read_whole_file(path);
  return decode_safetensors(bytes, path.string());
}

void check_tensors(const WeightsFile& file, const std::vector<TensorSpec>& expected) {
  std::vector<std::string> problems;
  std::set<std::string> expected_names;
  for (const TensorSpec& spec : expected) {
    expected_names.insert(spec.name);
    const Tensor* t = file.find(spec.name);
    if (!t) {
      problems.push_back(spec.name + ": missing from the file (model expects shape " +
                         format_tensor_shape(spec.shape) + ")");
    } else if (t->shape != spec.shape) {
      problems.push_back(spec.name + ": file has shape " + format_tensor_shape(t->shape) +
                         ", model expects " + format_tensor_shape(spec.shape));
    }
  }
  for (const Tensor& t : file.tensors) {
    if (expected_names.count(t.name) == 0) {
      problems.push_back(t.name + ": unexpected tensor in the file (shape " +
                         format_tensor_shape(t.shape) + "); the model has no such parameter");
    }
  }
  if (problems.empty()) return;
  std::string message = file.source + ": the weights do not match the model: ";
  for (std::size_t i = 0; i < problems.size(); ++i) {
    if (i > 0) message += "; ";
    message += problems[i];
  }
  throw Error(message);
}

void check_finite(const WeightsFile& file, const std::string& remedy) {
  for (const Tensor& t : file.tensors) {
    const auto bad = std::find_if(t.values.begin(), t.values.end(),
                                  [](float v) { return !std::isfinite(v); });
    if (bad == t.values.end()) continue;
    const auto flat = static_cast<std::uint64_t>(bad - t.values.begin());
    // Row-major: the last dimension varies fastest.
    TensorShape index(t.shape.size());
    std::uint64_t rest = flat;
    for (std::size_t d = t.shape.size(); d-- > 0;) {
      const auto extent = static_cast<std::uint64_t>(t.shape[d]);
      index[d] = static_cast<std::int64_t>(rest % extent);
      rest /= extent;
    }
    const auto count = std::count_if(t.values.begin(), t.values.end(),
                                     [](float v) { return !std::isfinite(v); });
    const char* what = std::isnan(*bad) ? "NaN" : *bad > 0 ? "+Inf" : "-Inf";
    throw Error(file.source + ": tensor " + quoted(t.name) + ": value " + std::to_string(flat) +
                " at index " + format_tensor_shape(index) + " of shape " +
                format_tensor_shape(t.shape) + " is " + what + " (" + std::to_string(count) +
                " of " + std::to_string(t.values.size()) +
                " values are not finite); " + remedy);
  }
}

}  // namespace vknn::io
