// safetensors encoding, strict decoding, atomic saving and the model check;
// see safetensors.hpp for the format and the rules.
//
// The header parser handles exactly the JSON this format needs: objects,
// strings (with every JSON escape, surrogate pairs and UTF-8 validation) and
// arrays of non-negative integers. Anything else (numbers outside arrays,
// true/false/null, floats, negative or leading-zero integers, nesting deeper
// than entry objects) is rejected with the file byte offset where it starts,
// so a recursion depth or an allocation never depends on untrusted input
// beyond the header's own size.
#include "model/safetensors.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>
#include <string_view>
#include <system_error>

#include "vknn/error.hpp"
#include "vknn/io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vknn::model {
namespace {

namespace fs = std::filesystem;

// Tensor data is copied to and from float arrays byte for byte.
static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; add byte swapping for this platform");
static_assert(sizeof(float) == 4 && std::numeric_limits<float>::is_iec559);

constexpr std::size_t kLengthBytes = 8;
constexpr const char* kMetadataKey = "__metadata__";

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

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
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

class HeaderParser {
 public:
  // header: the N header bytes, which start at file offset 8.
  HeaderParser(std::string_view header, const std::string& source)
      : s_(header), source_(source) {}

  JsonValue parse_document() {
    // The format requires the header to start with '{' (no leading spaces).
    if (s_.empty() || s_[0] != '{') expected("'{' (the header must start with a JSON object)");
    JsonValue top = parse_object(1);
    skip_whitespace();
    if (pos_ != s_.size()) {
      fail("unexpected " + found() + " after the header's JSON object (only spaces may follow)");
    }
    return top;
  }

 private:
  [[noreturn]] void fail(const std::string& problem, std::size_t at) const {
    throw Error(source_ + ": malformed header at byte " + std::to_string(kLengthBytes + at) +
                ": " + problem);
  }
  [[noreturn]] void fail(const std::string& problem) const { fail(problem, pos_); }
  [[noreturn]] void expected(const std::string& what) const {
    fail("expected " + what + ", found " + found());
  }

  std::string found() const {
    if (pos_ >= s_.size()) return "the end of the header";
    const auto c = static_cast<unsigned char>(s_[pos_]);
    if (c >= 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
    char buf[16];
    std::snprintf(buf, sizeof buf, "byte 0x%02x", static_cast<unsigned>(c));
    return buf;
  }

  bool at(char c) const { return pos_ < s_.size() && s_[pos_] == c; }

  void skip_whitespace() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }

  void consume(char c, const char* what) {
    skip_whitespace();
    if (!at(c)) expected(what);
    ++pos_;
  }

  JsonValue parse_value(int depth) {
    skip_whitespace();
    if (at('{')) {
      if (depth >= kMaxDepth) fail("objects nest too deeply for a safetensors header");
      return parse_object(depth + 1);
    }
    if (at('"')) {
      JsonValue v;
      v.kind = JsonValue::Kind::string;
      v.offset = pos_;
      v.text = parse_string();
      return v;
    }
    if (at('[')) return parse_int_array();
    expected("an object, a string or an array of integers");
  }

  JsonValue parse_object(int depth) {
    JsonValue obj;
    obj.kind = JsonValue::Kind::object;
    skip_whitespace();
    obj.offset = pos_;
    consume('{', "'{'");
    std::set<std::string> keys;
    skip_whitespace();
    if (at('}')) {
      ++pos_;
      return obj;
    }
    while (true) {
      skip_whitespace();
      if (!at('"')) expected("a string key");
      JsonMember member;
      member.key_offset = pos_;
      member.key = parse_string();
      if (!keys.insert(member.key).second) {
        fail(depth == 1 ? "duplicate tensor name '" + member.key + "'"
                        : "duplicate key '" + member.key + "' in one entry",
             member.key_offset);
      }
      consume(':', "':' after the key");
      member.value = parse_value(depth);
      obj.members.push_back(std::move(member));
      skip_whitespace();
      if (at(',')) {
        ++pos_;
        continue;
      }
      if (at('}')) {
        ++pos_;
        return obj;
      }
      expected("',' or '}' in the object");
    }
  }

  std::uint32_t parse_hex4() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      if (pos_ >= s_.size()) expected("4 hex digits after \\u");
      const char c = s_[pos_];
      int d;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
      else expected("4 hex digits after \\u");
      v = (v << 4) | static_cast<std::uint32_t>(d);
      ++pos_;
    }
    return v;
  }

  std::string parse_string() {
    std::string out;
    ++pos_;  // the opening quote
    while (true) {
      if (pos_ >= s_.size()) fail("the string is not closed before the end of the header");
      const auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) fail("a control character (byte " + std::to_string(c) +
                         ") must be escaped inside a string");
      if (c == '\\') {
        const std::size_t escape_at = pos_;
        ++pos_;
        if (pos_ >= s_.size()) fail("the string is not closed before the end of the header");
        const char e = s_[pos_++];
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            std::uint32_t cp = parse_hex4();
            if (cp >= 0xdc00 && cp <= 0xdfff) fail("a lone low surrogate \\u escape", escape_at);
            if (cp >= 0xd800 && cp <= 0xdbff) {
              if (pos_ + 1 >= s_.size() || s_[pos_] != '\\' || s_[pos_ + 1] != 'u') {
                fail("a high surrogate \\u escape must be followed by a low one", escape_at);
              }
              pos_ += 2;
              const std::uint32_t low = parse_hex4();
              if (low < 0xdc00 || low > 0xdfff) {
                fail("a high surrogate \\u escape must be followed by a low one", escape_at);
              }
              cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            }
            append_utf8(out, cp);
            break;
          }
          default:
            fail("unknown escape '\\" + std::string(1, e) + "' in a string", escape_at);
        }
        continue;
      }
      const std::size_t len = utf8_sequence_length(s_, pos_);
      if (len == 0) fail("invalid UTF-8 in a string");
      out.append(s_.substr(pos_, len));
      pos_ += len;
    }
  }

  JsonValue parse_int_array() {
    JsonValue v;
    v.kind = JsonValue::Kind::int_array;
    v.offset = pos_;
    ++pos_;  // '['
    skip_whitespace();
    if (at(']')) {
      ++pos_;
      return v;
    }
    while (true) {
      skip_whitespace();
      v.ints.push_back(parse_uint());
      skip_whitespace();
      if (at(',')) {
        ++pos_;
        continue;
      }
      if (at(']')) {
        ++pos_;
        return v;
      }
      expected("',' or ']' in the array");
    }
  }

  std::uint64_t parse_uint() {
    const std::size_t start = pos_;
    if (!(pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9')) {
      expected("a non-negative integer");
    }
    if (s_[pos_] == '0' && pos_ + 1 < s_.size() && s_[pos_ + 1] >= '0' && s_[pos_ + 1] <= '9') {
      fail("an integer must not have leading zeros");
    }
    std::uint64_t value = 0;
    constexpr std::uint64_t kMax = std::numeric_limits<std::int64_t>::max();
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      const std::uint64_t digit = static_cast<std::uint64_t>(s_[pos_] - '0');
      if (value > (kMax - digit) / 10) fail("the integer is too large", start);
      value = value * 10 + digit;
      ++pos_;
    }
    if (at('.') || at('e') || at('E')) fail("expected an integer, found a fraction or exponent");
    return value;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  const std::string& source_;
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
      dims.push_back(static_cast<std::uint64_t>(d));
      elements *= static_cast<std::uint64_t>(d);
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
  io::write_file_atomically(path, bytes);
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

}  // namespace vknn::model
