// What the fuzz targets share: a scratch file for readers that take a path,
// and the rule that turns an unexpected exception into a crash.
//
// A reader may throw vknn::Error (bad input, reported properly); any other
// exception escaping a target is a finding, so it is left to escape:
// libFuzzer reports the uncaught exception (std::terminate -> abort) as a
// crash, with the input saved.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include <unistd.h>

namespace vknn::fuzz {

// A folder of this process's own (in /dev/shm when there is one, so a
// million inputs cost no disk writes), removed at a normal exit. libFuzzer
// ends a timed run with _Exit, which skips that, so scripts/fuzz.sh names
// the folder (VKNN_FUZZ_SCRATCH) and removes it itself.
inline const std::filesystem::path& scratch_folder() {
  static const std::filesystem::path folder = [] {
    if (const char* given = std::getenv("VKNN_FUZZ_SCRATCH")) {
      std::filesystem::create_directories(given);
      return std::filesystem::path(given);
    }
    std::filesystem::path base = "/dev/shm";
    if (!std::filesystem::is_directory(base)) base = std::filesystem::temp_directory_path();
    std::filesystem::path f = base / ("vknn-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(f);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_folder(), ec);
    });
    return f;
  }();
  return folder;
}

// Writes the bytes to scratch_folder()/name and returns the path.
inline std::filesystem::path write_scratch_file(const std::string& name, const std::uint8_t* data,
                                                std::size_t size) {
  const std::filesystem::path path = scratch_folder() / name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();  // the harness itself failed, not the reader
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  if (std::fclose(f) != 0) std::abort();
  return path;
}

// Whether VKNN_FUZZ_CENSUS is set: targets then print one line per input
// saying how far it got (scripts/fuzz.sh --census counts them).
inline bool census_requested() {
  static const bool on = std::getenv("VKNN_FUZZ_CENSUS") != nullptr;
  return on;
}

}  // namespace vknn::fuzz
