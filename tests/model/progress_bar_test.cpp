// Golden tests for what users read while training: Keras's progress bar.
#include <gtest/gtest.h>

#include "model/progress_bar.hpp"

namespace {

using namespace vknn::model;

TEST(ProgressBar, FinalLineMatchesKeras) {
  // 1875 steps in 6.2 s: Keras prints "- 6s 3ms/step".
  EXPECT_EQ(format_progress_line(1875, 1875, 6.2, {{"loss", 0.4393}, {"accuracy", 0.8398}}, true),
            "1875/1875 [==============================] - 6s 3ms/step - loss: 0.4393 - "
            "accuracy: 0.8398");
}

TEST(ProgressBar, RunningLineShowsAnEtaAndAnArrow) {
  // 32 of 1875 steps after 2 s: 0.0625 s/step, 1843 steps to go = 115 s.
  EXPECT_EQ(format_progress_line(32, 1875, 2.0, {{"loss", 0.5157}}, false),
            "  32/1875 [..............................] - ETA: 1:55 - loss: 0.5157");
  EXPECT_EQ(format_progress_line(938, 1875, 3.0, {}, false),
            " 938/1875 [==============>...............] - ETA: 2s");
}

TEST(ProgressBar, EvaluationLine) {
  EXPECT_EQ(format_progress_line(313, 313, 1.0, {{"loss", 0.279}, {"accuracy", 0.8994}}, true),
            "313/313 [==============================] - 1s 3ms/step - loss: 0.2790 - "
            "accuracy: 0.8994");
}

TEST(ProgressBar, TimeAndValueFormats) {
  EXPECT_EQ(format_duration(3725), "1:02:05");
  EXPECT_EQ(format_duration(75), "1:15");
  EXPECT_EQ(format_duration(9.7), "9s");
  EXPECT_EQ(format_time_per_step(0.0031), "3ms/step");
  EXPECT_EQ(format_time_per_step(0.000012), "12us/step");
  EXPECT_EQ(format_time_per_step(2.4), "2s/step");
  EXPECT_EQ(format_metric_value(0.4393), "0.4393");
  EXPECT_EQ(format_metric_value(0.00012345), "1.2345e-04");
}

TEST(ProgressBar, VerboseTwoEpochLine) {
  EXPECT_EQ(format_epoch_line(1875, 6.0, {{"loss", 0.4393}, {"accuracy", 0.8398}}),
            "1875/1875 - 6s - loss: 0.4393 - accuracy: 0.8398 - 6s/epoch - 3ms/step");
}

}  // namespace
