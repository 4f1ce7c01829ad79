// Golden tests for Architecture::summary(): the Keras (TF 2.9 - 2.12)
// model.summary() table, character for character.
//
// The expected texts were produced by a transcription of Keras's
// print_summary / print_row (keras/utils/layer_utils.py, 2.9 - 2.12) and
// agree with the tables in the course notes (tests below compare with those
// too): 65 columns, columns ending at 29, 55 and 65, a too-long field
// continued on the next line, a line of 65 spaces after each layer row.
#include <gtest/gtest.h>

#include <sstream>

#include "model/architecture.hpp"
#include "model_test_support.hpp"

namespace vknn::model {
namespace {

using testing::course_model;
using testing::one_conv_model;

// clang-format off
const char* const k64 =
    "Model: \"sequential\"\n"
    "_________________________________________________________________\n"
    " Layer (type)                Output Shape              Param #   \n"
    "=================================================================\n"
    " conv2d (Conv2D)             (None, 26, 26, 64)        640       \n"
    "                                                                 \n"
    " max_pooling2d (MaxPooling2D  (None, 13, 13, 64)       0         \n"
    " )                                                               \n"
    "                                                                 \n"
    " conv2d_1 (Conv2D)           (None, 11, 11, 64)        36928     \n"
    "                                                                 \n"
    " max_pooling2d_1 (MaxPooling  (None, 5, 5, 64)         0         \n"
    " 2D)                                                             \n"
    "                                                                 \n"
    " flatten (Flatten)           (None, 1600)              0         \n"
    "                                                                 \n"
    " dense (Dense)               (None, 128)               204928    \n"
    "                                                                 \n"
    " dense_1 (Dense)             (None, 10)                1290      \n"
    "                                                                 \n"
    "=================================================================\n"
    "Total params: 243,786\n"
    "Trainable params: 243,786\n"
    "Non-trainable params: 0\n"
    "_________________________________________________________________\n";

const char* const k16 =
    "Model: \"sequential\"\n"
    "_________________________________________________________________\n"
    " Layer (type)                Output Shape              Param #   \n"
    "=================================================================\n"
    " conv2d (Conv2D)             (None, 26, 26, 16)        160       \n"
    "                                                                 \n"
    " max_pooling2d (MaxPooling2D  (None, 13, 13, 16)       0         \n"
    " )                                                               \n"
    "                                                                 \n"
    " conv2d_1 (Conv2D)           (None, 11, 11, 16)        2320      \n"
    "                                                                 \n"
    " max_pooling2d_1 (MaxPooling  (None, 5, 5, 16)         0         \n"
    " 2D)                                                             \n"
    "                                                                 \n"
    " flatten (Flatten)           (None, 400)               0         \n"
    "                                                                 \n"
    " dense (Dense)               (None, 128)               51328     \n"
    "                                                                 \n"
    " dense_1 (Dense)             (None, 10)                1290      \n"
    "                                                                 \n"
    "=================================================================\n"
    "Total params: 55,098\n"
    "Trainable params: 55,098\n"
    "Non-trainable params: 0\n"
    "_________________________________________________________________\n";

const char* const kOneConv =
    "Model: \"sequential\"\n"
    "_________________________________________________________________\n"
    " Layer (type)                Output Shape              Param #   \n"
    "=================================================================\n"
    " conv2d (Conv2D)             (None, 26, 26, 64)        640       \n"
    "                                                                 \n"
    " max_pooling2d (MaxPooling2D  (None, 13, 13, 64)       0         \n"
    " )                                                               \n"
    "                                                                 \n"
    " flatten (Flatten)           (None, 10816)             0         \n"
    "                                                                 \n"
    " dense (Dense)               (None, 128)               1384576   \n"
    "                                                                 \n"
    " dense_1 (Dense)             (None, 10)                1290      \n"
    "                                                                 \n"
    "=================================================================\n"
    "Total params: 1,386,506\n"
    "Trainable params: 1,386,506\n"
    "Non-trainable params: 0\n"
    "_________________________________________________________________\n";

const char* const kLongName =
    "Model: \"m\"\n"
    "_________________________________________________________________\n"
    " Layer (type)                Output Shape              Param #   \n"
    "=================================================================\n"
    " a_rather_long_layer_name_th  (None, 10)               7850      \n"
    " at_overflows (Dense)                                            \n"
    "                                                                 \n"
    "=================================================================\n"
    "Total params: 7,850\n"
    "Trainable params: 7,850\n"
    "Non-trainable params: 0\n"
    "_________________________________________________________________\n";

const char* const kBreakCondition =
    "Model: \"sequential\"\n"
    "_________________________________________________________________\n"
    " Layer (type)                Output Shape              Param #   \n"
    "=================================================================\n"
    " odd),                       (None, 10)                7850      \n"
    " name (Dense)                                                    \n"
    "                                                                 \n"
    "=================================================================\n"
    "Total params: 7,850\n"
    "Trainable params: 7,850\n"
    "Non-trainable params: 0\n"
    "_________________________________________________________________\n";
// clang-format on

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(Summary, CourseModel64Filters) {
  EXPECT_EQ(Architecture::build(course_model(64)).summary(), k64);
}

TEST(Summary, CourseModel16Filters) {
  EXPECT_EQ(Architecture::build(course_model(16)).summary(), k16);
}

TEST(Summary, OneConvVariant) {
  EXPECT_EQ(Architecture::build(one_conv_model(64)).summary(), kOneConv);
}

TEST(Summary, LongNameWrapsInItsColumn) {
  Dense dense(10, Activation::softmax, Shape{784});
  dense.name = "a_rather_long_layer_name_that_overflows";
  EXPECT_EQ(Architecture::build({dense}).summary("m"), kLongName);
}

TEST(Summary, BreaksAfterAClosingBracketAndComma) {
  Dense dense(10, Activation::softmax, Shape{784});
  dense.name = "odd),name";
  EXPECT_EQ(Architecture::build({dense}).summary(), kBreakCondition);
}

TEST(Summary, EveryTableLineIs65Wide) {
  for (const std::string& line : lines_of(Architecture::build(course_model(64)).summary())) {
    if (line.rfind("Model:", 0) == 0 || line.find("params:") != std::string::npos) continue;
    EXPECT_EQ(line.size(), 65u) << "[" << line << "]";
  }
}

// The course notes' table (16 filters), as a TF 2.9+ Colab printed it and the
// notes kept it: Keras's global name counters (conv2d_2, ...), trailing spaces
// trimmed and the blank separator lines dropped. Giving the layers those
// names must reproduce it line for line after the same trimming.
TEST(Summary, MatchesTheCourseNotesTable) {
  const char* const notes[] = {
      "Model: \"sequential_2\"",
      "_________________________________________________________________",
      " Layer (type)                Output Shape              Param #",
      "=================================================================",
      " conv2d_2 (Conv2D)           (None, 26, 26, 16)        160",
      " max_pooling2d_2 (MaxPooling  (None, 13, 13, 16)       0",
      " 2D)",
      " conv2d_3 (Conv2D)           (None, 11, 11, 16)        2320",
      " max_pooling2d_3 (MaxPooling  (None, 5, 5, 16)         0",
      " 2D)",
      " flatten_2 (Flatten)         (None, 400)               0",
      " dense_4 (Dense)             (None, 128)               51328",
      " dense_5 (Dense)             (None, 10)                1290",
      "=================================================================",
      "Total params: 55,098",
      "Trainable params: 55,098",
      "Non-trainable params: 0",
      "_________________________________________________________________",
  };
  std::vector<Layer> layers = course_model(16);
  const char* names[] = {"conv2d_2", "max_pooling2d_2", "conv2d_3", "max_pooling2d_3",
                         "flatten_2", "dense_4", "dense_5"};
  for (std::size_t i = 0; i < layers.size(); ++i) {
    std::visit([&](auto& l) { l.name = names[i]; }, layers[i]);
  }
  std::vector<std::string> got;
  for (std::string line : lines_of(Architecture::build(layers).summary("sequential_2"))) {
    line.erase(line.find_last_not_of(' ') + 1);
    if (!line.empty()) got.push_back(line);
  }
  ASSERT_EQ(got.size(), std::size(notes));
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], notes[i]) << "line " << i;
}

}  // namespace
}  // namespace vknn::model
