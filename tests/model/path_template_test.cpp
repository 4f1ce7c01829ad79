// The filepath templates of ModelCheckpoint (src/model/path_template.*)
// against Python: every expected text below is what CPython 3.11 printed for
// format(value, spec), epochs as ints and metrics as floats. (While writing
// the formatter, 20,000 random specs and values agreed with Python, errors'
// words included, but for the refusals tested at the end.)
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "model/path_template.hpp"
#include "support/error_text.hpp"

namespace {

using vknn::model::format_value;
using vknn::model::PathTemplate;
using vknn::model::TemplateValue;

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

struct Case {
  TemplateValue value;
  std::string spec;
  std::string python;  // format(value, spec)
};

TEST(PathTemplate, FormatsNumbersAsPythonDoes) {
  const std::vector<Case> cases{
    {std::int64_t(3), "02d", "03"},
    {std::int64_t(3), "", "3"},
    {std::int64_t(12), "03", "012"},
    {std::int64_t(7), ">4", "   7"},
    {std::int64_t(7), "<4", "7   "},
    {std::int64_t(7), "^5", "  7  "},
    {std::int64_t(7), "*^6", "**7***"},
    {std::int64_t(-5), "*=6d", "-****5"},
    {std::int64_t(7), "+d", "+7"},
    {std::int64_t(7), " d", " 7"},
    {std::int64_t(255), "x", "ff"},
    {std::int64_t(255), "#X", "0XFF"},
    {std::int64_t(255), "#010x", "0x000000ff"},
    {std::int64_t(5), "b", "101"},
    {std::int64_t(8), "#o", "0o10"},
    {std::int64_t(1234567), ",", "1,234,567"},
    {std::int64_t(12345678), "_x", "bc_614e"},
    {std::numeric_limits<std::int64_t>::min(), "d", "-9223372036854775808"},
    {std::int64_t(3), ".2f", "3.00"},
    {std::int64_t(3), "e", "3.000000e+00"},
    {std::int64_t(1), "%", "100.000000%"},
    {std::int64_t(12), "n", "12"},
    {std::int64_t(7), "é>3", "éé7"},
    {0.123456789, "", "0.123456789"},
    {1.0, "", "1.0"},
    {-0.0, "", "-0.0"},
    {1e-05, "", "1e-05"},
    {0.0001, "", "0.0001"},
    {1e+16, "", "1e+16"},
    {123456789012345.0, "", "123456789012345.0"},
    {1e+22, "", "1e+22"},
    {0.30000000000000004, "", "0.30000000000000004"},
    {kNan, "", "nan"},
    {kInf, "", "inf"},
    {-kInf, "", "-inf"},
    {0.39123, ".2f", "0.39"},
    {0.39523, ".2f", "0.40"},
    {0.125, ".2f", "0.12"},
    {2.5, ".0f", "2"},
    {1.0, "#.0f", "1."},
    {0.5, ".4f", "0.5000"},
    {-0.001, "z.1f", "0.0"},
    {-0.001, ".1f", "-0.0"},
    {1234567.891, "+,.2f", "+1,234,567.89"},
    {1234.5, "_.1f", "1_234.5"},
    {0.5, "%", "50.000000%"},
    {0.9375, ".1%", "93.8%"},
    {12345.678, "e", "1.234568e+04"},
    {12345.678, ".3E", "1.235E+04"},
    {0.000123, ".2e", "1.23e-04"},
    {kInf, "F", "INF"},
    {kNan, "+.2f", "+nan"},
    {kInf, "08.2f", "00000inf"},
    {0.1, "g", "0.1"},
    {1e-05, "g", "1e-05"},
    {123456789.0, "g", "1.23457e+08"},
    {1.0, "#g", "1.00000"},
    {0.5, ".3g", "0.5"},
    {1234.5, "G", "1234.5"},
    {0.1, "n", "0.1"},
    {1.0, ".2", "1.0"},
    {10.0, ".2", "1e+01"},
    {100.0, ".3", "1e+02"},
    {123.0, ".3", "1.23e+02"},
    {0.5, ".3", "0.5"},
    {0.000123456, ".3", "0.000123"},
    {1.5, ".0", "2e+00"},
    {1.5, "#.0", "2.e+00"},
    {9.5, ".1", "1e+01"},
    {0.95, ".1", "0.9"},
    {1.0, "#.3", "1.00"},
    {1.0, "#", "1.0"},
    {1e+16, "#", "1.e+16"},
    {0.41, ">10.3f", "     0.410"},
    {0.41, "x<8.2f", "0.41xxxx"},
    {-0.41, "=+09.3f", "-0000.410"},
    {0.41, "010.4f", "00000.4100"},
    {0.41, "+", "+0.41"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(format_value(c.value, c.spec), c.python) << "spec '" << c.spec << "'";
  }
}

TEST(PathTemplate, RefusesWhatPythonRefusesInPythonsWords) {
  const std::vector<std::pair<Case, std::string>> refused{
      {{1.0, "d", ""}, "Unknown format code 'd' for object of type 'float'"},
      {{std::int64_t(1), "s", ""}, "Unknown format code 's' for object of type 'int'"},
      {{std::int64_t(1), ".2d", ""}, "Precision not allowed in integer format specifier"},
      {{std::int64_t(1), "z", ""}, "Negative zero coercion (z) not allowed in integer format specifier"},
      {{std::int64_t(1), ",x", ""}, "Cannot specify ',' with 'x'."},
      {{1.0, ",n", ""}, "Cannot specify ',' with 'n'."},
      {{1.0, ",_", ""}, "Cannot specify both ',' and '_'."},
      {{1.0, ".", ""}, "Format specifier missing precision"},
      {{1.0, ".2fx", ""}, "Invalid format specifier '.2fx' for object of type 'float'"},
      // Python takes these; a file name never needs them.
      {{std::int64_t(65), "c", ""}, "the format code 'c' (a character) is not supported"},
      {{std::int64_t(1234), "08,d", ""}, "grouping with zero padding is not supported"},
      {{1.0, ".1001f", ""}, "a precision above 1000 is not supported"},
  };
  for (const auto& [c, message] : refused) {
    vknn_test::expect_error_mentions([&] { format_value(c.value, c.spec); }, {message});
  }
}

TEST(PathTemplate, FillsFieldsAndUnescapesBraces) {
  const PathTemplate t("ckpt/{{run}}-{epoch:02d}-{val_loss:.2f}-{epoch}.keras", "Test");
  ASSERT_EQ(t.fields().size(), 3u);
  EXPECT_TRUE(t.names("val_loss"));
  EXPECT_FALSE(t.names("loss"));
  EXPECT_EQ(t.fill({{"epoch", std::int64_t(3)}, {"val_loss", 0.3949}}, "(here)"), "ckpt/{run}-03-0.39-3.keras");
  vknn_test::expect_error_mentions(
      [&] { t.fill({{"epoch", std::int64_t(3)}, {"loss", 0.5}}, "(ModelCheckpoint, epoch 3)"); },
      {"Failed to format this callback filepath: \"ckpt/{{run}}-{epoch:02d}-{val_loss:.2f}-{epoch}.keras\". "
       "Reason: the logs have no 'val_loss'; available keys: epoch, loss (ModelCheckpoint, epoch 3)"});
  EXPECT_EQ(PathTemplate("plain.w", "Test").fill({}, ""), "plain.w");
  EXPECT_EQ(PathTemplate("a}}{{b", "Test").fill({}, ""), "a}{b");
}

}  // namespace
