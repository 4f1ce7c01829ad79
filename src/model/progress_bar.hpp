// Keras's progress bar (keras.utils.Progbar), for fit/evaluate/predict:
//
//   1875/1875 [==============================] - 6s 3ms/step - loss: 0.4393 - accuracy: 0.8398
//
// While running (verbose 1, on a terminal) the line is redrawn in place
// with an ETA, at most a few times a second; the caller decides when to
// refresh, since reading the metrics costs a wait on the device. On a file
// or pipe only the final line of each bar is written. verbose 2 writes one
// line per epoch in Keras's verbose-2 form.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace vknn::model {

using MetricValues = std::vector<std::pair<std::string, double>>;

// Formatting, separate from timing so it can be tested exactly.
std::string format_duration(double seconds);        // ETA: "1:23:45", "1:23", "9s"
std::string format_time_per_step(double seconds);   // "3ms/step", "12us/step", "2s/step"
std::string format_metric_value(double value);      // "0.4393", "1.2346e-04"
std::string format_progress_line(long current, long target, double elapsed_seconds,
                                 const MetricValues& values, bool finalize);
std::string format_epoch_line(long target, double elapsed_seconds, const MetricValues& values);

class ProgressBar {
 public:
  // verbose: 0 silent, 1 bar, 2 one line at the end.
  ProgressBar(long target, int verbose, std::FILE* out);

  // Whether enough time has passed since the last drawing to draw again
  // (the caller then reads the metrics and calls update()).
  bool wants_refresh() const;
  void update(long current, const MetricValues& values);
  void finish(const MetricValues& values);
  double elapsed_seconds() const;

 private:
  long target_;
  int verbose_;
  std::FILE* out_;
  bool dynamic_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  std::size_t last_width_ = 0;
};

}  // namespace vknn::model
