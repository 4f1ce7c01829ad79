// Small helpers shared by the CPU reference tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "vknn/error.hpp"

namespace vknn::test {

// The message of the vknn::Error that `f` throws; fails the test if it
// throws none.
template <class F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a vknn::Error";
  return "";
}

// True if `text` contains every one of `parts` (for checking that an error
// message names the op, the value at fault and what would be valid).
inline ::testing::AssertionResult mentions(const std::string& text,
                                           const std::vector<std::string>& parts) {
  for (const std::string& part : parts) {
    if (text.find(part) == std::string::npos) {
      return ::testing::AssertionFailure() << "\"" << text << "\" does not mention \"" << part
                                           << "\"";
    }
  }
  return ::testing::AssertionSuccess();
}

template <class To, class From>
std::vector<To> convert(const std::vector<From>& values) {
  return std::vector<To>(values.begin(), values.end());
}

}  // namespace vknn::test
