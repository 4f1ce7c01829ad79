// Files for the example programs: atomic writes and finding the datasets.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace vknn::examples {

// Writes bytes to path atomically: a temporary file next to it, flushed and
// fsynced, then renamed over path, so a reader never sees half a file and a
// failure leaves path as it was. The folder must exist. Throws
// std::runtime_error naming the path and the system's reason.
void write_file_atomically(const std::filesystem::path& path, std::span<const unsigned char> bytes);
void write_file_atomically(const std::filesystem::path& path, const std::string& text);

// The running executable (from /proc/self/exe; empty if unknown).
std::filesystem::path executable_path();

// The folder <repo>/data/<name> (e.g. "fashion-mnist"), looked for upwards
// from the executable's folder and then from the current folder; for
// "fashion-mnist", last, data::kDebianFashionMnistDir (Debian's package
// dataset-fashion-mnist, the official .gz files). Throws
// std::runtime_error listing where it looked and saying to run
// scripts/get_data.sh (or to pass --data-dir) when there is none.
std::filesystem::path find_dataset_dir(const std::string& name);

// The folders find_dataset_dir would try, in order (for its message and tests).
std::vector<std::filesystem::path> dataset_dir_candidates(const std::string& name);

}  // namespace vknn::examples
