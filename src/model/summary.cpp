// model.summary(): the Keras table of a model's layers, output shapes and
// parameter counts, and the formatting helpers it prints with.
#include "model/summary.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "model/architecture.hpp"

namespace vknn::model {
namespace {

constexpr int kLineLength = 65;
// Keras: positions [.45, .85, 1.] of the line length, truncated to int.
constexpr std::array<int, 3> kPositions = {29, 55, 65};

// Keras's print_row (keras/utils/layer_utils.py, 2.9 - 2.12): each column is
// cut at its width less 2 (the separating spaces; the last column has none),
// or earlier just after a "),", "},", "]," or "'," inside that cut; what is
// left continues on the next line in the same column. The first column gets a
// leading space, and every column is padded to its end position (a column
// that overflowed pushes the next one right; padding never shrinks a line).
void print_row(std::string& out, std::array<std::string, 3> fields) {
  static constexpr std::array<std::string_view, 4> kBreaks = {"),", "},", "],", "',"};
  auto any_left = [&] {
    return std::any_of(fields.begin(), fields.end(),
                       [](const std::string& f) { return !f.empty(); });
  };
  while (any_left()) {
    std::string line;
    for (std::size_t col = 0; col < fields.size(); ++col) {
      const int start = col > 0 ? kPositions[col - 1] : 0;
      const int end = kPositions[col];
      const int space = col != fields.size() - 1 ? 2 : 0;
      std::size_t cutoff = static_cast<std::size_t>(end - start - space);
      std::string fit = fields[col].substr(0, cutoff);
      std::size_t earliest = std::string::npos;
      for (std::string_view b : kBreaks) {
        const std::size_t at = fit.find(b);
        if (at != std::string::npos) earliest = std::min(earliest, at + b.size());
      }
      if (earliest != std::string::npos) {
        cutoff = earliest;
        fit.resize(cutoff);
      }
      if (col == 0) line += ' ';
      line += fit;
      line.append(static_cast<std::size_t>(space), ' ');
      fields[col] = cutoff < fields[col].size() ? fields[col].substr(cutoff) : std::string();
      if (line.size() < static_cast<std::size_t>(end)) line.append(end - line.size(), ' ');
    }
    out += line;
    out += '\n';
  }
}

}  // namespace

std::string format_batched_shape(const Shape& shape) {
  std::string s = "(None";
  for (int d : shape) s += ", " + std::to_string(d);
  return s + ")";
}

std::string with_thousands(std::int64_t value) {
  const bool negative = value < 0;
  // Via unsigned so that the most negative value has a magnitude too.
  std::uint64_t magnitude = negative ? 0 - static_cast<std::uint64_t>(value)
                                     : static_cast<std::uint64_t>(value);
  std::string digits = std::to_string(magnitude);
  std::string out;
  const std::size_t n = digits.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0 && (n - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return negative ? "-" + out : out;
}

std::string Architecture::summary(const std::string& model_name) const {
  const std::string underscores(kLineLength, '_');
  const std::string equals(kLineLength, '=');
  const std::string blank(kLineLength, ' ');

  std::string out = "Model: \"" + model_name + "\"\n";
  out += underscores + '\n';
  print_row(out, {"Layer (type)", "Output Shape", "Param #"});
  out += equals + '\n';
  for (const LayerInfo& info : layers_) {
    print_row(out, {info.name + " (" + info.type_name() + ")",
                    format_batched_shape(info.output_shape), std::to_string(info.params)});
    // TF 2.9+ separates (and ends) the layer rows with a line of spaces.
    out += blank + '\n';
  }
  out += equals + '\n';
  out += "Total params: " + with_thousands(total_params()) + '\n';
  out += "Trainable params: " + with_thousands(trainable_params()) + '\n';
  out += "Non-trainable params: " + with_thousands(non_trainable_params()) + '\n';
  out += underscores + '\n';
  return out;
}

}  // namespace vknn::model
