#include "common/history_csv.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

#include "common/files.hpp"

namespace vknn::examples {

namespace {

// Shortest text that reads back as the same double; "nan"/"inf" as Python
// writes them, so the file loads into pandas unchanged.
std::string number(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

}  // namespace

std::string history_csv(const History& history) {
  // std::map keeps the names sorted, as CSVLogger sorts its keys.
  std::string csv = "epoch";
  for (const auto& [name, values] : history.history) {
    if (values.size() != history.epoch.size()) {
      throw std::runtime_error("history: metric '" + name + "' has " + std::to_string(values.size()) +
                               " values for " + std::to_string(history.epoch.size()) + " epochs");
    }
    csv += ',';
    csv += name;
  }
  csv += "\n";
  for (std::size_t row = 0; row < history.epoch.size(); ++row) {
    csv += std::to_string(history.epoch[row]);
    for (const auto& entry : history.history) {
      csv += ',';
      csv += number(entry.second[row]);
    }
    csv += "\n";
  }
  return csv;
}

void write_history_csv(const std::filesystem::path& path, const History& history) {
  write_file_atomically(path, history_csv(history));
}

}  // namespace vknn::examples
