// Helpers shared by the tests in tests/model: the course models, temporary
// folders, raw file access, and error-message checks.
#pragma once

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <string>
#include <vector>

#include "vknn/error.hpp"
#include "vknn/model/layers.hpp"

#include <unistd.h>

namespace vknn::model::testing {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

// The TensorFlow course's Fashion-MNIST CNN (Course 1, week 3).
inline std::vector<Layer> course_model(int filters) {
  return {
      Conv2D(filters, {3, 3}, Activation::relu, Shape{28, 28, 1}),
      MaxPooling2D(Size2{2, 2}),
      Conv2D(filters, {3, 3}, Activation::relu),
      MaxPooling2D(Size2{2, 2}),
      Flatten(),
      Dense(128, Activation::relu),
      Dense(10, Activation::softmax),
  };
}

// The same with only one Conv2D + MaxPooling2D pair.
inline std::vector<Layer> one_conv_model(int filters) {
  return {
      Conv2D(filters, {3, 3}, Activation::relu, Shape{28, 28, 1}),
      MaxPooling2D(Size2{2, 2}),
      Flatten(),
      Dense(128, Activation::relu),
      Dense(10, Activation::softmax),
  };
}

using TempDir = vknn_test::TempDir;

inline Bytes read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_bytes(const fs::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

// Runs f, expects a vknn::Error whose message contains every fragment, and
// returns the message.
inline std::string expect_error(const std::function<void()>& f,
                                std::initializer_list<std::string> fragments) {
  try {
    f();
  } catch (const Error& e) {
    const std::string message = e.what();
    for (const std::string& fragment : fragments) {
      EXPECT_NE(message.find(fragment), std::string::npos)
          << "message: " << message << "\nlacks: " << fragment;
    }
    return message;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected vknn::Error, got another exception: " << e.what();
    return {};
  }
  ADD_FAILURE() << "expected vknn::Error, nothing was thrown";
  return {};
}

}  // namespace vknn::model::testing
