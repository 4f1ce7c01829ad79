#include "model/progress_bar.hpp"

#include <cmath>
#include <cstdio>
#include <unistd.h>

namespace vknn::model {

namespace {
// Keras redraws every 0.05 s; reading metrics here means a device wait, so
// a bar refreshes at most 5 times a second.
constexpr double kRefreshSeconds = 0.2;
constexpr int kBarWidth = 30;

std::string printf_string(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}
}  // namespace

std::string format_duration(double seconds) {
  const long s = long(seconds);
  char buffer[64];
  if (s > 3600) {
    std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", s / 3600, (s % 3600) / 60, s % 60);
  } else if (s > 60) {
    std::snprintf(buffer, sizeof buffer, "%ld:%02ld", s / 60, s % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%lds", s);
  }
  return buffer;
}

std::string format_time_per_step(double seconds) {
  if (seconds >= 1 || seconds == 0) return printf_string("%.0fs/step", seconds);
  if (seconds >= 1e-3) return printf_string("%.0fms/step", seconds * 1e3);
  return printf_string("%.0fus/step", seconds * 1e6);
}

std::string format_metric_value(double value) {
  return std::fabs(value) > 1e-3 ? printf_string("%.4f", value) : printf_string("%.4e", value);
}

static std::string metrics_suffix(const MetricValues& values) {
  std::string s;
  for (const auto& [name, value] : values) s += " - " + name + ": " + format_metric_value(value);
  return s;
}

std::string format_progress_line(long current, long target, double elapsed_seconds,
                                 const MetricValues& values, bool finalize) {
  const int digits = int(std::to_string(target).size());
  char counter[64];
  std::snprintf(counter, sizeof counter, "%*ld/%ld [", digits, current, target);
  std::string line = counter;
  const int filled = target > 0 ? int(double(kBarWidth) * double(current) / double(target)) : 0;
  if (filled > 0) {
    line += std::string(filled - 1, '=');
    line += current < target ? '>' : '=';
  }
  line += std::string(kBarWidth - std::max(filled, 0), '.');
  line += ']';

  const double per_step = current > 0 ? elapsed_seconds / double(current) : 0.0;
  if (finalize || current >= target) {
    line += " - " + printf_string("%.0fs", elapsed_seconds) + " " + format_time_per_step(per_step);
  } else {
    line += " - ETA: " + format_duration(per_step * double(target - current));
  }
  return line + metrics_suffix(values);
}

std::string format_epoch_line(long target, double elapsed_seconds, const MetricValues& values) {
  const double per_step = target > 0 ? elapsed_seconds / double(target) : 0.0;
  return std::to_string(target) + "/" + std::to_string(target) + " - " +
         printf_string("%.0fs", elapsed_seconds) + metrics_suffix(values) + " - " +
         printf_string("%.0fs/epoch", elapsed_seconds) + " - " + format_time_per_step(per_step);
}

ProgressBar::ProgressBar(long target, int verbose, std::FILE* out)
    : target_(target),
      verbose_(verbose),
      out_(out),
      dynamic_(out && isatty(fileno(out))),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

double ProgressBar::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

bool ProgressBar::wants_refresh() const {
  if (verbose_ != 1 || !dynamic_ || !out_) return false;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - last_draw_).count() >=
         kRefreshSeconds;
}

void ProgressBar::update(long current, const MetricValues& values) {
  if (verbose_ != 1 || !dynamic_ || !out_) return;
  // The last step's line is finish()'s to draw. Drawn here too, it would be
  // drawn twice: on a terminal the second overwrites the first, but where
  // the carriage returns become line breaks (mpirun forwarding rank 0's
  // pseudo-terminal, seen in CI) it showed as a second finished bar.
  if (target_ > 0 && current >= target_) return;
  last_draw_ = std::chrono::steady_clock::now();
  const std::string line = format_progress_line(current, target_, elapsed_seconds(), values, false);
  // Redraw in place; pad with spaces when the new line is shorter.
  std::string padded = line;
  if (padded.size() < last_width_) padded += std::string(last_width_ - padded.size(), ' ');
  last_width_ = line.size();
  std::fprintf(out_, "\r%s", padded.c_str());
  std::fflush(out_);
}

void ProgressBar::finish(const MetricValues& values) {
  if (!out_ || verbose_ == 0) return;
  std::string line = verbose_ == 2
                         ? format_epoch_line(target_, elapsed_seconds(), values)
                         : format_progress_line(target_, target_, elapsed_seconds(), values, true);
  if (dynamic_ && verbose_ == 1) {
    if (line.size() < last_width_) line += std::string(last_width_ - line.size(), ' ');
    std::fprintf(out_, "\r%s\n", line.c_str());
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

}  // namespace vknn::model
