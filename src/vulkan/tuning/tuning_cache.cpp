#include "vulkan/tuning/tuning_cache.hpp"

#include <vulkan/vulkan.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>
#include <system_error>
#include <vector>

#include "vknn/error.hpp"
#include "vknn/io/atomic_file.hpp"
#include "vulkan/device.hpp"
#include "vulkan/tuning/kernels_fingerprint.hpp"

namespace vknn::vk {
namespace {

constexpr std::string_view kMagic = "vknn-tuning 1";
// A real file holds a few dozen choices; anything far larger is not ours.
constexpr std::uintmax_t kMaxFileBytes = 1 << 20;

// What the reader reads back as one field: the file's fields are split at
// any whitespace (istream >>), so a stored token may hold none, nor NUL.
bool is_token(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c == '\0' || std::isspace(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// A field of a foreign file, for a warning: at most 64 characters, control
// bytes and non-ASCII as '?', so a corrupt file cannot garble the terminal.
std::string printable(const std::string& s) {
  constexpr std::size_t kMax = 64;
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    out.push_back(c >= 0x20 && c < 0x7f ? char(c) : '?');
  }
  if (s.size() > kMax) out += "...";
  return out;
}

}  // namespace

std::string lowercase_hex(const std::uint8_t* bytes, std::size_t count) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  for (std::size_t i = 0; i < count; ++i) {
    s.push_back(digits[bytes[i] >> 4]);
    s.push_back(digits[bytes[i] & 15]);
  }
  return s;
}

namespace {

// "key value" -> value, or nullopt where the line is not that.
std::optional<std::string> field(const std::string& line, std::string_view key) {
  if (line.size() <= key.size() + 1 || line.compare(0, key.size(), key) != 0 ||
      line[key.size()] != ' ') {
    return std::nullopt;
  }
  return line.substr(key.size() + 1);
}

}  // namespace

TuningIdentity tuning_identity_of(const Device& device) {
  VkPhysicalDeviceIDProperties ids{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES};
  VkPhysicalDeviceProperties2 properties{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  properties.pNext = &ids;
  vkGetPhysicalDeviceProperties2(device.physical(), &properties);
  TuningIdentity identity;
  identity.device_uuid = lowercase_hex(ids.deviceUUID, VK_UUID_SIZE);
  identity.driver_version = properties.properties.driverVersion;
  // The version and the shaders' fingerprint: a build with other kernels
  // measures again (kernels_fingerprint.hpp says why).
  identity.vknn_version =
      std::string(VKNN_VERSION_STRING) + "+kernels." + embedded_kernels_fingerprint();
  return identity;
}

std::optional<std::filesystem::path> cache_directory() {
  auto set = [](const char* name) -> const char* {
    const char* value = std::getenv(name);
    return value && *value ? value : nullptr;
  };
  if (const char* dir = set("VKNN_CACHE_DIR")) return std::filesystem::path(dir);
  if (const char* xdg = set("XDG_CACHE_HOME")) return std::filesystem::path(xdg) / "vknn";
  if (const char* home = set("HOME")) return std::filesystem::path(home) / ".cache" / "vknn";
  return std::nullopt;
}

void print_tuning_warning(const std::string& message) {
  std::fprintf(stderr, "vknn: warning: %s\n", message.c_str());
}

TuningCache::TuningCache(std::filesystem::path folder, TuningIdentity identity,
                         TuningWarning warn)
    : identity_(std::move(identity)), warn_(std::move(warn)), folder_(std::move(folder)) {
  if (folder_.empty()) return;
  file_ = folder_ / ("tuning-" + identity_.device_uuid + ".txt");
  std::error_code ec;
  std::filesystem::create_directories(folder_, ec);
  if (ec || !std::filesystem::is_directory(folder_)) {
    disable("cannot create the cache folder " + folder_.string() + " (" +
            (ec ? ec.message() : std::string("not a folder")) + ")");
    return;
  }
  enabled_ = true;
  read();
}

void TuningCache::disable(const std::string& why) {
  if (warn_) warn_(why + "; kernel choices will not be cached (VKNN_CACHE_DIR sets the folder)");
  enabled_ = false;
}

ParsedTuningCache parse_tuning_cache(std::string_view text, const TuningIdentity& identity) {
  ParsedTuningCache parsed;
  auto reject = [&](std::string problem) {
    parsed.choices.clear();
    parsed.problem = std::move(problem);
    return parsed;
  };
  if (text.size() > kMaxFileBytes) {
    return reject(std::to_string(text.size()) + " bytes is more than a tuning cache holds");
  }
  if (text.empty() || text.back() != '\n') {
    return reject("it does not end with a complete line (truncated?)");
  }
  std::vector<std::string> lines;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t newline = text.find('\n', at);  // found: the text ends with one
    lines.emplace_back(text.substr(at, newline - at));
    at = newline + 1;
  }
  if (lines.size() < 5 || lines[0] != kMagic) {
    return reject("it does not start with '" + std::string(kMagic) + "'");
  }
  const auto device = field(lines[1], "device");
  const auto driver = field(lines[2], "driver");
  const auto version = field(lines[3], "vknn");
  if (!device || !driver || !version) {
    return reject("lines 2-4 must be 'device', 'driver' and 'vknn'");
  }
  const std::string ours = std::to_string(identity.driver_version);
  if (*device != identity.device_uuid || *driver != ours || *version != identity.vknn_version) {
    return reject("it was measured for device " + printable(*device) + ", driver " +
                  printable(*driver) + ", vknn " + printable(*version) + "; this is device " +
                  identity.device_uuid + ", driver " + ours + ", vknn " + identity.vknn_version);
  }
  const auto end = field(lines.back(), "end");
  const std::size_t count = lines.size() - 5;
  if (!end || *end != std::to_string(count)) {
    return reject("its last line is not 'end " + std::to_string(count) + "' (truncated?)");
  }
  // A NUL would end up inside a choice's token, which store() could never
  // have written.
  if (const std::size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return reject("it is not text (a NUL byte at offset " + std::to_string(nul) + ")");
  }
  for (std::size_t i = 4; i + 1 < lines.size(); ++i) {
    const auto record = field(lines[i], "choice");
    std::istringstream fields(record.value_or(""));
    std::string op, shape, variant, extra;
    if (!record || !(fields >> op >> shape >> variant) || (fields >> extra)) {
      return reject("line " + std::to_string(i + 1) + " is not 'choice <op> <shape> <variant>'");
    }
    parsed.choices[{op, shape}] = variant;
  }
  return parsed;
}

std::string serialise_tuning_cache(const TuningIdentity& identity, const TuningChoices& choices) {
  std::ostringstream out;
  out << kMagic << "\n"
      << "device " << identity.device_uuid << "\n"
      << "driver " << identity.driver_version << "\n"
      << "vknn " << identity.vknn_version << "\n";
  for (const auto& [key, variant] : choices) {
    out << "choice " << key.first << " " << key.second << " " << variant << "\n";
  }
  out << "end " << choices.size() << "\n";
  return out.str();
}

namespace {

// The file's text; nullopt (and why) where it cannot be read.
std::optional<std::string> read_text(const std::filesystem::path& file, std::string& problem) {
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(file, ec);
  if (ec || size > kMaxFileBytes) {
    problem = ec ? "cannot read its size (" + ec.message() + ")"
                 : std::to_string(size) + " bytes is more than a tuning cache holds";
    return std::nullopt;
  }
  std::ifstream in(file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    problem = "cannot read it";
    return std::nullopt;
  }
  return text;
}

}  // namespace

void TuningCache::read() {
  std::error_code ec;
  if (!std::filesystem::exists(file_, ec)) return;
  std::string problem;
  // The size first (read_text): a huge file, not ours, is never read into memory.
  const auto text = read_text(file_, problem);
  ParsedTuningCache parsed = text ? parse_tuning_cache(*text, identity_) : ParsedTuningCache{{}, problem};
  if (!parsed.accepted()) {
    choices_.clear();
    if (warn_) {
      warn_("ignoring the tuning cache " + file_.string() + ": " + parsed.problem +
            "; it will be rewritten");
    }
    return;
  }
  choices_ = std::move(parsed.choices);
}

std::map<std::pair<std::string, std::string>, std::string> TuningCache::merge_from_file() {
  // Another process using the same folder (a test suite run in parallel,
  // two programs started together) may have stored choices since this
  // cache read the file; keep them rather than overwrite them. Quietly:
  // read() warned about a bad file already, and the write replaces it.
  std::error_code ec;
  if (!enabled_ || !std::filesystem::exists(file_, ec)) return {};
  std::string problem;
  const auto text = read_text(file_, problem);
  if (!text) return {};
  ParsedTuningCache parsed = parse_tuning_cache(*text, identity_);
  for (const auto& [key, variant] : parsed.choices) choices_.emplace(key, variant);
  return std::move(parsed.choices);
}

std::optional<std::string> TuningCache::find_in_file(const std::string& op,
                                                     const std::string& shape) {
  const auto in_file = merge_from_file();
  const auto it = in_file.find({op, shape});
  if (it == in_file.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> TuningCache::find(const std::string& op,
                                             const std::string& shape) const {
  const auto it = choices_.find({op, shape});
  if (it == choices_.end()) return std::nullopt;
  return it->second;
}

void TuningCache::store(const std::string& op, const std::string& shape,
                        const std::string& variant) {
  if (!is_token(op) || !is_token(shape) || !is_token(variant)) {
    throw Error("tuning cache: op '" + op + "', shape '" + shape + "' and variant '" + variant +
                "' must each be non-empty and without whitespace");
  }
  choices_[{op, shape}] = variant;
  if (!enabled_) return;
  merge_from_file();
  const std::string text = serialise_tuning_cache(identity_, choices_);
  try {
    io::write_file_atomically(
        file_, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
  } catch (const Error& e) {
    disable(std::string("cannot write the tuning cache: ") + e.what());
  }
}

}  // namespace vknn::vk
