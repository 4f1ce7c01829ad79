// The autotuner's memory: which kernel variant won for an op at a shape on
// one device, kept in a small text file so a later run pays nothing.
//
// Where: VKNN_CACHE_DIR, else $XDG_CACHE_HOME/vknn, else $HOME/.cache/vknn;
// one file per device, tuning-<device UUID>.txt. The file names the device
// UUID, the driver version and the vknn version it was measured with (the
// version with a fingerprint of the embedded shaders); a choice is only
// trusted by the same three.
//
// The cache is never an error: a corrupt, truncated or foreign file is
// ignored with one warning (and rewritten, atomically, at the next store);
// a folder that cannot be created or written disables caching with one
// warning.
//
// Format (text, one record a line, fields separated by one space):
//   vknn-tuning 1
//   device <32 hex digits>
//   driver <decimal>
//   vknn <version>+kernels.<fingerprint of the shaders>
//   choice <op> <shape> <variant>      (any number; op, shape, variant without spaces)
//   end <number of choice lines>
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace vknn::vk {

class Device;

struct TuningIdentity {
  std::string device_uuid;  // 32 lowercase hex digits (VkPhysicalDeviceIDProperties::deviceUUID)
  std::uint32_t driver_version = 0;  // VkPhysicalDeviceProperties::driverVersion
  std::string vknn_version;  // "0.1.0+kernels.<fingerprint>" (kernels_fingerprint.hpp)

  bool operator==(const TuningIdentity&) const = default;
};

TuningIdentity tuning_identity_of(const Device& device);

// Two hex digits a byte, as the cache file names write UUIDs.
std::string lowercase_hex(const std::uint8_t* bytes, std::size_t count);

// The folder for vknn's caches (see above); nullopt where no variable names one.
std::optional<std::filesystem::path> cache_directory();

// The remembered choices: (op, shape) -> variant.
using TuningChoices = std::map<std::pair<std::string, std::string>, std::string>;

// What parse_tuning_cache made of a file's text: the choices, or why the
// text was rejected (then `choices` is empty).
struct ParsedTuningCache {
  TuningChoices choices;
  std::string problem;  // empty: accepted
  bool accepted() const { return problem.empty(); }
};

// Parses the text of a tuning-<uuid>.txt (format above) for `identity`:
// pure, no file or device, so tests and the fuzzer call it directly. Never
// throws on any input; a corrupt, truncated or foreign text is a `problem`
// sentence that TuningCache turns into its one warning.
ParsedTuningCache parse_tuning_cache(std::string_view text, const TuningIdentity& identity);

// The file's text for these choices (what parse_tuning_cache reads back).
std::string serialise_tuning_cache(const TuningIdentity& identity, const TuningChoices& choices);

// Receives the cache's warnings (each at most once per cache object).
using TuningWarning = std::function<void(const std::string&)>;
// Prints "vknn: warning: ..." to stderr.
void print_tuning_warning(const std::string& message);

class TuningCache {
 public:
  // Reads <folder>/tuning-<uuid>.txt if it exists. An empty `folder`
  // disables caching silently (no folder is configured).
  TuningCache(std::filesystem::path folder, TuningIdentity identity,
              TuningWarning warn = print_tuning_warning);

  bool enabled() const { return enabled_; }
  const std::filesystem::path& file() const { return file_; }

  std::optional<std::string> find(const std::string& op, const std::string& shape) const;
  // The choice the file holds now (another process may have stored one
  // since this cache read it), also remembering the file's other choices.
  std::optional<std::string> find_in_file(const std::string& op, const std::string& shape);
  // Remembers the choice and rewrites the file atomically, keeping the
  // choices other processes stored there meanwhile. `op`, `shape`
  // and `variant` must be non-empty and without whitespace (vknn::Error).
  void store(const std::string& op, const std::string& shape, const std::string& variant);

 private:
  void read();
  // Adds the file's choices this cache does not have; returns the file's.
  std::map<std::pair<std::string, std::string>, std::string> merge_from_file();
  void disable(const std::string& why);

  TuningIdentity identity_;
  TuningWarning warn_;
  std::filesystem::path folder_;
  std::filesystem::path file_;
  bool enabled_ = false;
  TuningChoices choices_;
};

}  // namespace vknn::vk
