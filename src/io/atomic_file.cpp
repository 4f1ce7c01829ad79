#include "vknn/io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "vknn/error.hpp"

namespace vknn::io {

namespace fs = std::filesystem;

namespace {

std::string system_message(int error_number) {
  return error_number ? std::strerror(error_number) : "unknown error";
}

// Makes a rename durable: the folder entry itself must reach the disk.
void sync_directory(const fs::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

fs::path folder_of(const fs::path& path) {
  return path.has_parent_path() ? path.parent_path() : fs::path(".");
}

}  // namespace

AtomicFileWriter::AtomicFileWriter(const fs::path& path) : path_(path) {
  const std::string target = path.string();
  if (target.empty()) throw Error("cannot write a file with an empty path; give a file path");
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw Error(target + ": is a folder; give a file path");
  // Built with append rather than `+`: GCC 12 warns falsely (-Wrestrict)
  // about the latter at -O3.
  std::string name = target;
  name.append(".tmp-XXXXXX");
  fd_ = ::mkstemp(name.data());
  if (fd_ < 0) {
    const int err = errno;
    throw Error(target + ": cannot create a temporary file in " + folder_of(path).string() + " (" +
                system_message(err) + "); check that the folder exists and is writable");
  }
  temp_ = name;
  // mkstemp creates mode 0600; keep the mode of a file being replaced, else
  // make an ordinary rw-r--r-- file.
  struct stat existing {};
  const mode_t mode = ::stat(target.c_str(), &existing) == 0 && S_ISREG(existing.st_mode)
                          ? (existing.st_mode & 07777)
                          : 0644;
  if (::fchmod(fd_, mode) != 0) fail("cannot set the temporary file's permissions", errno);
}

AtomicFileWriter::~AtomicFileWriter() { discard(); }

void AtomicFileWriter::write(const void* data, std::size_t bytes) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  while (bytes > 0) {
    const ssize_t n = ::write(fd_, p, std::min<std::size_t>(bytes, std::size_t{1} << 30));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("writing to " + temp_ + " failed after " + std::to_string(written_) + " bytes", errno);
    }
    p += n;
    bytes -= static_cast<std::size_t>(n);
    written_ += static_cast<std::size_t>(n);
  }
}

void AtomicFileWriter::commit() {
  // fsync before rename: otherwise a crash can leave the new name pointing
  // at a file whose data never reached the disk.
  if (::fsync(fd_) != 0) fail("flushing " + temp_ + " to disk failed", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("closing " + temp_ + " failed", errno);
  if (std::rename(temp_.c_str(), path_.c_str()) != 0) {
    fail("cannot rename " + temp_ + " over it", errno);
  }
  temp_.clear();
  sync_directory(folder_of(path_));
}

void AtomicFileWriter::fail(const std::string& problem, int error_number) {
  discard();
  throw Error(path_.string() + ": " + problem + " (" + system_message(error_number) +
              "); the file was not changed");
}

void AtomicFileWriter::discard() noexcept {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (!temp_.empty()) {
    ::unlink(temp_.c_str());
    temp_.clear();
  }
}

void write_file_atomically(const fs::path& path, std::span<const std::uint8_t> bytes) {
  AtomicFileWriter file(path);
  file.write(bytes.data(), bytes.size());
  file.commit();
}

}  // namespace vknn::io
