// Checkpoint files: the training state as safetensors tensors plus string
// metadata, written atomically and read back strictly.
#include "model/checkpoint.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <thread>

#include "vknn/error.hpp"
#include "vknn/io/atomic_file.hpp"

namespace vknn::model {

namespace {

constexpr const char* kHistoryPrefix = "history.";
constexpr const char* kHistoryEpochs = "history.epochs";

// The scalar keys every checkpoint has, besides the history's.
const std::vector<std::string>& required_keys() {
  static const std::vector<std::string> keys = {
      kCheckpointVersionKey,   "model",          "architecture",   "optimizer",
      "optimizer.iterations",  "optimizer.learning_rate",          "fit.seed",
      "fit.shuffle",           "fit.batch_size", "fit.samples",    "progress.epoch",
      "progress.step",         "progress.totals", kHistoryEpochs};
  return keys;
}

std::string format(const char* pattern, double value) {
  char text[64];
  std::snprintf(text, sizeof text, pattern, value);
  return text;
}

// Exact text forms: %.9g round-trips every float, %.17g every double.
std::string float_text(float value) { return format("%.9g", double(value)); }
std::string double_text(double value) { return format("%.17g", value); }

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? separator : "") + items[i];
  return out;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> items;
  if (text.empty()) return items;
  std::size_t begin = 0;
  while (true) {
    const std::size_t end = text.find(separator, begin);
    items.push_back(text.substr(begin, end - begin));
    if (end == std::string::npos) return items;
    begin = end + 1;
  }
}

// MetricTotals as hexadecimal u32 words, one per 4 bytes: the float sums
// bit for bit, which a decimal print would not promise.
constexpr std::size_t kTotalsWords = sizeof(MetricTotals) / 4;
// Backups written before sample weights held only the first four words
// (loss, compensation, correct, samples); the rest read as zero.
constexpr std::size_t kUnweightedTotalsWords = 4;

std::string totals_text(const MetricTotals& totals) {
  std::uint32_t words[kTotalsWords];
  std::memcpy(words, &totals, sizeof words);
  std::string text;
  for (const std::uint32_t word : words) {
    char hex[9];
    std::snprintf(hex, sizeof hex, "%08" PRIx32, word);
    if (!text.empty()) text += ' ';
    text += hex;
  }
  return text;
}

// Parses the metadata of one file, naming the file and the key in errors.
class MetadataReader {
 public:
  MetadataReader(const WeightsFile& file) : source_(file.source) {
    for (const auto& [key, value] : file.metadata) values_[key] = value;
  }

  bool has(const std::string& key) const { return values_.count(key) != 0; }
  const std::string& text(const std::string& key) const {
    const auto it = values_.find(key);
    if (it == values_.end()) fail(key, "is missing");
    return it->second;
  }
  const std::map<std::string, std::string>& all() const { return values_; }

  std::uint64_t unsigned_integer(const std::string& key, std::uint64_t max) const {
    return unsigned_of(key, text(key), max);
  }
  bool boolean(const std::string& key) const {
    const std::string& t = text(key);
    if (t == "true") return true;
    if (t == "false") return false;
    fail(key, "must be true or false, got '" + t + "'");
  }
  float finite_float(const std::string& key) const {
    const std::string& t = text(key);
    char* end = nullptr;
    errno = 0;
    const float value = t.empty() ? 0.0f : std::strtof(t.c_str(), &end);
    if (t.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(value)) {
      fail(key, "must be a finite number, got '" + t + "'");
    }
    return value;
  }
  MetricTotals totals(const std::string& key) const {
    const auto words = split(text(key), ' ');
    if (words.size() != kTotalsWords && words.size() != kUnweightedTotalsWords) {
      fail(key, "must be " + std::to_string(kTotalsWords) + " (or, from older backups, " +
                    std::to_string(kUnweightedTotalsWords) + ") hexadecimal words, got '" + text(key) +
                    "'");
    }
    std::uint32_t bits[kTotalsWords] = {};
    for (std::size_t i = 0; i < words.size(); ++i) {
      const std::string& w = words[i];
      if (w.size() != 8 || w.find_first_not_of("0123456789abcdef") != std::string::npos) {
        fail(key, "word " + std::to_string(i + 1) + " '" + w + "' is not 8 lowercase hex digits");
      }
      bits[i] = std::uint32_t(std::strtoul(w.c_str(), nullptr, 16));
    }
    MetricTotals t;
    std::memcpy(&t, bits, sizeof t);
    return t;
  }
  std::vector<double> reals(const std::string& key) const {
    std::vector<double> values;
    for (const std::string& item : split(text(key), ',')) {
      char* end = nullptr;
      const double value = item.empty() ? 0.0 : std::strtod(item.c_str(), &end);
      if (item.empty() || *end != '\0') fail(key, "holds '" + item + "', which is not a number");
      values.push_back(value);
    }
    return values;
  }
  std::vector<std::uint64_t> unsigned_list(const std::string& key, std::uint64_t max) const {
    std::vector<std::uint64_t> values;
    for (const std::string& item : split(text(key), ',')) values.push_back(unsigned_of(key, item, max));
    return values;
  }

  [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
    throw Error(source_ + ": checkpoint metadata \"" + key + "\" " + problem);
  }
  [[noreturn]] void fail(const std::string& problem) const {
    throw Error(source_ + ": " + problem);
  }

 private:
  std::uint64_t unsigned_of(const std::string& key, const std::string& t, std::uint64_t max) const {
    if (t.empty() || t.size() > 20 || t.find_first_not_of("0123456789") != std::string::npos ||
        (t.size() > 1 && t[0] == '0')) {
      fail(key, "must be a whole number without sign or leading zeros, got '" + t + "'");
    }
    errno = 0;
    const unsigned long long value = std::strtoull(t.c_str(), nullptr, 10);
    if (errno == ERANGE || value > max) {
      fail(key, "is " + t + ", above the largest valid value " + std::to_string(max));
    }
    return value;
  }

  std::string source_;
  std::map<std::string, std::string> values_;
};

// The file is a vknn checkpoint of a version this build reads.
void check_is_checkpoint(const MetadataReader& meta) {
  if (!meta.has(kCheckpointVersionKey)) {
    meta.fail(std::string("is not a vknn checkpoint (its metadata has no \"") + kCheckpointVersionKey +
              "\"); a weights file written by save_weights or --save loads with load_weights "
              "or --load instead");
  }
  const std::string& version = meta.text(kCheckpointVersionKey);
  if (version != kCheckpointVersion) {
    meta.fail(std::string("is a checkpoint of format version '") + version + "', but this vknn reads "
              "only version " + kCheckpointVersion + " (was it written by a newer vknn?)");
  }
}

TrainingProgress read_progress(const MetadataReader& meta) {
  TrainingProgress p;
  p.fit.seed = meta.unsigned_integer("fit.seed", UINT64_MAX);
  p.fit.shuffle = meta.boolean("fit.shuffle");
  p.fit.batch_size = int(meta.unsigned_integer("fit.batch_size", 1u << 30));
  p.fit.samples = std::int64_t(meta.unsigned_integer("fit.samples", UINT32_MAX));
  if (meta.has("fit.augmentation")) p.fit.augmentation = meta.text("fit.augmentation");
  p.epoch = int(meta.unsigned_integer("progress.epoch", 1u << 30));
  p.step = std::int64_t(meta.unsigned_integer("progress.step", UINT32_MAX));
  p.totals = meta.totals("progress.totals");

  if ((p.fit.samples == 0) != (p.fit.batch_size == 0) ||
      (p.fit.batch_size > p.fit.samples)) {
    meta.fail("fit.batch_size", "is " + std::to_string(p.fit.batch_size) + " for " +
                                    std::to_string(p.fit.samples) + " samples (fit.samples); fit "
                                    "uses a batch size of 1 up to the sample count");
  }
  if (p.fit.samples == 0 && (p.epoch != 0 || p.step != 0)) {
    meta.fail("progress.epoch", "is " + std::to_string(p.epoch) + " with step " +
                                    std::to_string(p.step) + ", but no fit is recorded (fit.samples is 0)");
  }
  const std::int64_t steps = p.fit.steps_per_epoch();
  if (p.step > steps) {
    meta.fail("progress.step", "is " + std::to_string(p.step) + ", beyond the " +
                                   std::to_string(steps) + " steps of an epoch (" + describe(p.fit) + ")");
  }
  // The totals hold exactly the samples of the steps taken.
  const std::int64_t expected_samples = std::min(p.step * p.fit.batch_size, p.fit.samples);
  if (std::int64_t(p.totals.samples) != expected_samples || p.totals.correct > p.totals.samples ||
      (p.step == 0 && (p.totals.loss_sum != 0.0f || p.totals.loss_compensation != 0.0f))) {
    meta.fail("progress.totals", "counts " + std::to_string(p.totals.samples) + " samples and " +
                                     std::to_string(p.totals.correct) + " correct after " +
                                     std::to_string(p.step) + " steps; expected " +
                                     std::to_string(expected_samples) + " samples");
  }

  // Under sample weights, the sums of w * correct and of w: finite, and
  // 0 <= sum(w * correct) <= sum(w) up to the float sums' rounding.
  const double weighted_correct = double(p.totals.weighted_correct) - p.totals.weighted_correct_compensation;
  const double weights = double(p.totals.weight_sum) - p.totals.weight_compensation;
  if (!std::isfinite(p.totals.weighted_correct) || !std::isfinite(p.totals.weighted_correct_compensation) ||
      !std::isfinite(p.totals.weight_sum) || !std::isfinite(p.totals.weight_compensation) ||
      weighted_correct < 0.0 || weighted_correct > weights * (1.0 + 1e-6)) {
    meta.fail("progress.totals", "holds sample-weight sums that are not finite or not 0 <= weighted "
                                 "correct <= weights (weighted correct " + std::to_string(weighted_correct) +
                                     ", weights " + std::to_string(weights) + ")");
  }

  // The history: one value per completed epoch of this fit for every
  // metric; the epochs are consecutive and end just before progress.epoch
  // (0, 1, ... from the start; from initial_epoch when fit began there).
  const auto epochs = meta.unsigned_list(kHistoryEpochs, 1u << 30);
  if (epochs.size() > std::size_t(p.epoch)) {
    meta.fail(kHistoryEpochs, "lists " + std::to_string(epochs.size()) + " epochs, but " +
                                  std::to_string(p.epoch) + " are completed (progress.epoch)");
  }
  const std::size_t first = std::size_t(p.epoch) - epochs.size();
  for (std::size_t i = 0; i < epochs.size(); ++i) {
    if (epochs[i] != first + i) {
      meta.fail(kHistoryEpochs, "must list consecutive epochs in order up to " +
                                    std::to_string(p.epoch - 1) + " (progress.epoch - 1), as " +
                                    std::to_string(first) + ", " + std::to_string(first + 1) + ", ...");
    }
    p.history.epoch.push_back(int(first + i));
  }
  for (const auto& [key, value] : meta.all()) {
    if (key.rfind(kHistoryPrefix, 0) != 0 || key == kHistoryEpochs) continue;
    const std::string metric = key.substr(std::strlen(kHistoryPrefix));
    if (metric.empty()) meta.fail(key, "names no metric");
    auto values = meta.reals(key);
    if (values.size() != epochs.size()) {
      meta.fail(key, "has " + std::to_string(values.size()) + " values for " +
                         std::to_string(epochs.size()) + " epochs");
    }
    p.history.history[metric] = std::move(values);
  }
  return p;
}

// Tests stretch the window between writing a checkpoint and committing it,
// to kill a process in the middle of a write: VKNN_TEST_CHECKPOINT_WRITE_DELAY_MS.
// Not for users; docs/checkpoints.md says so.
void test_write_delay() {
  static const long delay_ms = [] {
    const char* text = std::getenv("VKNN_TEST_CHECKPOINT_WRITE_DELAY_MS");
    return text ? std::strtol(text, nullptr, 10) : 0L;
  }();
  if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
}

}  // namespace

std::string describe(const FitIdentity& fit) {
  if (fit.samples == 0) return "no fit";
  return "batch size " + std::to_string(fit.batch_size) + " over " + std::to_string(fit.samples) +
         " samples, " +
         (fit.shuffle ? "shuffled with seed " + std::to_string(fit.seed) : std::string("not shuffled")) +
         (fit.augmentation.empty() ? std::string() : ", augmented with " + fit.augmentation);
}

std::string optimizer_text(const Optimizer& optimizer) {
  if (optimizer.kind == Optimizer::Kind::adam) {
    return "adam(beta_1=" + float_text(optimizer.adam.beta_1) +
           ", beta_2=" + float_text(optimizer.adam.beta_2) +
           ", epsilon=" + float_text(optimizer.adam.epsilon) + ")";
  }
  if (optimizer.kind == Optimizer::Kind::rmsprop) {
    return "rmsprop(rho=" + float_text(optimizer.rmsprop.rho) +
           ", momentum=" + float_text(optimizer.rmsprop.momentum) +
           ", epsilon=" + float_text(optimizer.rmsprop.epsilon) + ")";
  }
  return "sgd(momentum=" + float_text(optimizer.sgd.momentum) + ")";
}

std::vector<std::string> optimizer_state_names(const Optimizer& optimizer,
                                               const std::string& parameter) {
  if (optimizer.kind == Optimizer::Kind::adam) {
    return {"optimizer/adam/m/" + parameter, "optimizer/adam/v/" + parameter};
  }
  if (optimizer.kind == Optimizer::Kind::rmsprop) {
    if (optimizer.rmsprop.momentum != 0.0f) {
      return {"optimizer/rmsprop/velocity/" + parameter, "optimizer/rmsprop/momentum/" + parameter};
    }
    return {"optimizer/rmsprop/velocity/" + parameter};
  }
  if (optimizer.sgd.momentum != 0.0f) return {"optimizer/sgd/velocity/" + parameter};
  return {};
}

void write_checkpoint(const std::filesystem::path& path, const CheckpointContents& c) {
  const TrainingProgress& p = c.progress;
  Metadata metadata = {
      {kCheckpointVersionKey, kCheckpointVersion},
      {"model", c.model_name},
      {"architecture", c.architecture},
      {"optimizer", c.optimizer},
      {"optimizer.iterations", std::to_string(c.iterations)},
      {"optimizer.learning_rate", float_text(c.learning_rate)},
      {"fit.seed", std::to_string(p.fit.seed)},
      {"fit.shuffle", p.fit.shuffle ? "true" : "false"},
      {"fit.batch_size", std::to_string(p.fit.batch_size)},
      {"fit.samples", std::to_string(p.fit.samples)},
      {"progress.epoch", std::to_string(p.epoch)},
      {"progress.step", std::to_string(p.step)},
      {"progress.totals", totals_text(p.totals)},
  };
  if (!p.fit.augmentation.empty()) metadata.emplace_back("fit.augmentation", p.fit.augmentation);
  std::vector<std::string> epochs;
  for (int e : p.history.epoch) epochs.push_back(std::to_string(e));
  metadata.emplace_back(kHistoryEpochs, join(epochs, ","));
  for (const auto& [metric, values] : p.history.history) {
    std::vector<std::string> items;
    for (double v : values) items.push_back(double_text(v));
    metadata.emplace_back(kHistoryPrefix + metric, join(items, ","));
  }
  const std::vector<std::uint8_t> bytes = encode_safetensors(c.tensors, metadata);
  io::AtomicFileWriter file(path);
  file.write(bytes.data(), bytes.size());
  test_write_delay();
  file.commit();
}

CheckpointContents read_checkpoint(const std::filesystem::path& path,
                                   const std::string& architecture, const std::string& optimizer,
                                   const std::vector<io::TensorSpec>& tensors) {
  WeightsFile file = load_safetensors(path);
  const MetadataReader meta(file);
  check_is_checkpoint(meta);

  // Known keys only: a key this build does not know would be state it drops.
  std::set<std::string> known(required_keys().begin(), required_keys().end());
  // Optional: fit.augmentation, written only by a fit that augments (an
  // older build refuses such a file rather than resume it unaugmented).
  known.insert({"format", "library", "fit.augmentation"});
  for (const auto& [key, value] : meta.all()) {
    if (!known.count(key) && key.rfind(kHistoryPrefix, 0) != 0) {
      meta.fail("has the metadata key \"" + key + "\", which checkpoint format " +
                std::string(kCheckpointVersion) + " does not have");
    }
  }

  CheckpointContents c;
  c.model_name = meta.text("model");
  c.architecture = meta.text("architecture");
  if (c.architecture != architecture) {
    meta.fail("is a checkpoint of another architecture: the file has " + c.architecture +
              ", this model is " + architecture);
  }
  c.optimizer = meta.text("optimizer");
  if (c.optimizer != optimizer) {
    meta.fail("was written with the optimizer " + c.optimizer + ", but this model is compiled with " +
              optimizer + "; compile with the same optimizer to resume");
  }
  check_tensors(file, tensors);
  // As load_weights checks weights: one NaN in a weight or an optimizer
  // moment makes every later loss NaN, and a resumed run would train on.
  io::check_finite(file, "a checkpoint's weights and optimizer state must be finite numbers "
                         "(was it saved by a diverged run?); training resumed from it would "
                         "only produce NaN losses: resume from an earlier checkpoint or train "
                         "from the start");
  c.iterations = std::uint32_t(meta.unsigned_integer("optimizer.iterations", UINT32_MAX));
  c.learning_rate = meta.finite_float("optimizer.learning_rate");
  if (!learning_rate_is_valid(c.learning_rate)) {
    meta.fail("optimizer.learning_rate",
              std::string("must be ") + kLearningRateRule + ", got " + float_text(c.learning_rate));
  }
  c.progress = read_progress(meta);
  c.tensors = std::move(file.tensors);
  return c;
}

TrainingProgress read_checkpoint_progress(const std::filesystem::path& path) {
  const WeightsFile file = load_safetensors(path);
  const MetadataReader meta(file);
  check_is_checkpoint(meta);
  return read_progress(meta);
}

}  // namespace vknn::model
