// CSVLogger: one row per epoch, rewritten atomically.
#include <algorithm>
#include <charconv>
#include <fstream>
#include <iterator>
#include <system_error>

#include "vknn/distributed.hpp"
#include "vknn/error.hpp"
#include "vknn/io/atomic_file.hpp"
#include "vknn/model/callbacks.hpp"
#include "vknn/model/sequential.hpp"

namespace vknn {

namespace {

// The shortest text that reads back to the same double (what Python's str
// of a float is, but for the ".0" it adds to integers).
std::string number_text(double value) {
  char text[32];
  const auto result = std::to_chars(std::begin(text), std::end(text), value);
  return std::string(text, result.ptr);
}

void write(const std::filesystem::path& path, const std::string& content) {
  io::write_file_atomically(
      path, {reinterpret_cast<const std::uint8_t*>(content.data()), content.size()});
}

}  // namespace

CSVLogger::CSVLogger(std::filesystem::path filename, char separator, bool append)
    : filename_(std::move(filename)), separator_(separator), append_(append) {
  if (filename_.empty()) throw Error("CSVLogger: filename must not be empty");
  if (separator_ == '\r' || separator_ == '\n' || separator_ == '"') {
    throw Error("CSVLogger: the separator cannot be a quote or a line break");
  }
}

void CSVLogger::on_train_begin(Sequential& /*model*/) {
  if (!distributed::is_primary()) return;  // one file per job, written by rank 0
  keys_.clear();
  content_.clear();
  if (append_) {
    std::ifstream in(filename_, std::ios::binary);
    if (in) content_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  header_needed_ = content_.empty();
  // As Keras opens (and without append truncates) the file here: a path
  // that cannot be written stops fit before its first step.
  write(filename_, content_);
}

void CSVLogger::on_epoch_end(Sequential& model, int epoch, const Logs& logs) {
  if (!distributed::is_primary()) return;
  if (keys_.empty()) {
    for (const auto& [key, value] : logs) keys_.push_back(key);  // std::map: sorted
  }
  std::string row = std::to_string(epoch);
  for (const std::string& key : keys_) {
    row += separator_;
    const auto it = logs.find(key);
    if (it != logs.end()) {
      row += number_text(it->second);
    } else if (model.stop_training) {
      row += "NA";  // as Keras, so that readers of the last row do not fail
    } else {
      throw Error("CSVLogger: the logs of epoch " + std::to_string(epoch + 1) + " have no '" + key +
                  "', a column of " + filename_.string());
    }
  }
  if (header_needed_) {
    std::string header = "epoch";
    for (const std::string& key : keys_) header += separator_ + key;
    content_ += header + "\r\n";
    header_needed_ = false;
  }
  content_ += row + "\r\n";
  write(filename_, content_);
}

}  // namespace vknn
