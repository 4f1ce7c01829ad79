// Writing files atomically: readers see the old file or the complete new
// one, never a partial one, and a failed write leaves the old file as it
// was. Used for weights, datasets and every file the examples write.
//
// How: the data goes to a temporary file in the target's folder (so the
// final rename cannot cross file systems), which is flushed and fsynced,
// then renamed over the target; the folder is fsynced so the rename itself
// survives a crash. On any failure the temporary file is removed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace vknn::io {

// A file being written; commit() makes it appear at `path`. Destroying an
// uncommitted writer removes the temporary file. Errors are vknn::Error
// naming the path and what failed.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(const std::filesystem::path& path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void write(const void* data, std::size_t bytes);
  void commit();

 private:
  [[noreturn]] void fail(const std::string& problem, int error_number);
  void discard() noexcept;

  std::filesystem::path path_;
  std::string temp_;
  int fd_ = -1;
  std::size_t written_ = 0;
};

void write_file_atomically(const std::filesystem::path& path, std::span<const std::uint8_t> bytes);

}  // namespace vknn::io
