#include "common/files.hpp"

#include <algorithm>
#include <system_error>

#include "vknn/data/idx.hpp"
#include "vknn/io/atomic_file.hpp"

namespace vknn::examples {

namespace fs = std::filesystem;

void write_file_atomically(const fs::path& path, std::span<const unsigned char> bytes) {
  // The library's writer: temporary file, fsync, rename (vknn/io/atomic_file.hpp).
  vknn::io::write_file_atomically(path, bytes);
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
  // Last, the official .gz files as Debian installs them (the reader takes gz).
  if (name == "fashion-mnist") candidates.emplace_back(vknn::data::kDebianFashionMnistDir);
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
  if (name == "fashion-mnist") {
    message += " Fashion-MNIST comes from Debian's package dataset-fashion-mnist "
               "(sudo apt-get install dataset-fashion-mnist).";
  }
  throw std::runtime_error(message);
}

}  // namespace vknn::examples
