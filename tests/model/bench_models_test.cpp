// The models vknn-bench times (bench/bench_models.hpp) are the courses'
// models: their summary() totals and output shapes are the courses' numbers,
// so a benchmark of them times the model the course trains.
#include <gtest/gtest.h>

#include "bench_models.hpp"
#include "model/architecture.hpp"

namespace vknn::model {
namespace {

std::string total_line(const Architecture& a) {
  const std::string summary = a.summary();
  const auto start = summary.find("Total params: ");
  return summary.substr(start, summary.find('\n', start) - start);
}

TEST(BenchModels, CourseModelHasTheCourseParameterCount) {
  const Architecture a = Architecture::build(bench::course_model(28, 64).layers);
  EXPECT_EQ(a.total_params(), 243786);
  EXPECT_EQ(total_line(a), "Total params: 243,786");
}

// What the courses' binary pictures models share: a summary() total, an
// input shape, a Flatten width, one sigmoid output and binary cross-entropy
// under RMSprop.
void expect_binary_course_model(const bench::BenchModel& m, const std::string& total,
                                const Shape& input, const Shape& flattened) {
  const Architecture a = Architecture::build(m.layers);
  EXPECT_EQ(total_line(a), "Total params: " + total);
  EXPECT_EQ(a.input_shape(), input);
  EXPECT_EQ(a.layer("flatten").output_shape, flattened);
  EXPECT_EQ(a.output_shape(), Shape{1});
  EXPECT_EQ(m.loss, "binary_crossentropy");
  EXPECT_EQ(m.optimizer.kind, Optimizer::Kind::rmsprop);
}

TEST(BenchModels, CatsVsDogsHasCourse2sParameterCount) {
  const bench::BenchModel m = bench::cats_vs_dogs();
  // Course 2's table: 148 -> 74 -> 72 -> 36 -> 34 -> 17, Flatten 18,496.
  expect_binary_course_model(m, "9,494,561", Shape{150, 150, 3}, Shape{18496});
  EXPECT_EQ(m.label_classes, 2);
}

TEST(BenchModels, HorsesOrHumansHasCourse1Week4sParameterCount) {
  // 298 -> 149 -> 147 -> 73 -> 71 -> 35 -> 33 -> 16 -> 14 -> 7: Flatten 3,136.
  expect_binary_course_model(bench::horses_or_humans(), "1,704,097", Shape{300, 300, 3},
                             Shape{3136});
}

TEST(BenchModels, NamesAreTheBenchmarkNamesAndUnknownOnesAreRefused) {
  EXPECT_EQ(bench::bench_model_named("course", false).name, "course_model");
  EXPECT_EQ(bench::bench_model_named("cats_vs_dogs", false).name, "cats_vs_dogs");
  EXPECT_EQ(bench::bench_model_named("horses_or_humans", true).name, "horses_or_humans");
  try {
    bench::bench_model_named("cats", false);
    FAIL() << "no error for an unknown model";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cats_vs_dogs, horses_or_humans"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vknn::model
