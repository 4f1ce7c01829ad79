#include "common/files.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vknn::examples {

namespace fs = std::filesystem;

namespace {

std::runtime_error io_error(const fs::path& path, const std::string& what, int error) {
  return std::runtime_error("cannot " + what + " '" + path.string() + "': " + std::strerror(error));
}

}  // namespace

void write_file_atomically(const fs::path& path, std::span<const unsigned char> bytes) {
  if (path.empty()) throw std::runtime_error("cannot write a file: the path is empty");
  const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    throw std::runtime_error("cannot write '" + path.string() + "': the folder '" + folder.string() +
                             "' does not exist");
  }
  if (fs::is_directory(path, ec)) {
    throw std::runtime_error("cannot write '" + path.string() + "': it is a folder");
  }
  // mkstemp gives a name nobody else is using, in the destination folder
  // so that the rename below stays on one file system (and is atomic).
  std::string temp_name = ".";  // built in steps: GCC 12 misreports "." + s + "..." (-Wrestrict)
  temp_name += path.filename().string();
  temp_name += ".tmp.XXXXXX";
  std::string temp = (folder / temp_name).string();
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) throw io_error(path, "create a temporary file for", errno);
  const auto fail = [&](const std::string& what, int error) {
    ::close(fd);
    ::unlink(temp.c_str());
    return io_error(path, what, error);
  };
  // mkstemp creates the file 0600; a result file should have the usual
  // permissions (0666 less the umask), as a plain fopen would give it.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw fail("write", errno);
    }
    written += std::size_t(n);
  }
  if (::fsync(fd) != 0) throw fail("flush", errno);
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    throw io_error(path, "close", error);
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    throw io_error(path, "rename a temporary file onto", error);
  }
}

void write_file_atomically(const fs::path& path, const std::string& text) {
  write_file_atomically(path, std::span(reinterpret_cast<const unsigned char*>(text.data()), text.size()));
}

fs::path executable_path() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe;
}

std::vector<fs::path> dataset_dir_candidates(const std::string& name) {
  std::vector<fs::path> candidates;
  const auto add_upwards = [&](fs::path dir) {
    // The executable sits a few levels below the repository root
    // (build/examples/...); the current folder may be anywhere in it.
    for (int depth = 0; depth < 6 && !dir.empty(); ++depth) {
      const fs::path candidate = dir / "data" / name;
      if (std::find(candidates.begin(), candidates.end(), candidate) == candidates.end()) {
        candidates.push_back(candidate);
      }
      if (dir == dir.parent_path()) break;
      dir = dir.parent_path();
    }
  };
  if (const fs::path exe = executable_path(); !exe.empty()) add_upwards(exe.parent_path());
  std::error_code ec;
  if (const fs::path cwd = fs::current_path(ec); !ec) add_upwards(cwd);
  return candidates;
}

fs::path find_dataset_dir(const std::string& name) {
  const auto candidates = dataset_dir_candidates(name);
  for (const auto& candidate : candidates) {
    std::error_code ec;
    if (fs::is_directory(candidate, ec)) return candidate;
  }
  std::string message = "no data/" + name + " folder found; looked in:";
  for (const auto& candidate : candidates) message += "\n  " + candidate.string();
  message += "\nRun scripts/get_data.sh from the repository root to fetch the datasets, or give "
             "--data-dir DIR.";
  throw std::runtime_error(message);
}

}  // namespace vknn::examples
