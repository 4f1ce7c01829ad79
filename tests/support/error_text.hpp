// What users are told: the message of the vknn::Error a call throws.
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "vknn/error.hpp"

namespace vknn_test {

// The what() of the vknn::Error `f` throws. A test failure (and "") when
// `f` throws nothing or something other than vknn::Error.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const vknn::Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected vknn::Error, got another exception: " << e.what();
    return {};
  }
  ADD_FAILURE() << "expected vknn::Error, nothing was thrown";
  return {};
}

// Expects `call` to throw a vknn::Error whose message holds every fragment.
inline void expect_error_mentions(const std::function<void()>& call,
                                  const std::vector<std::string>& fragments) {
  const std::string message = error_of(call);
  for (const auto& fragment : fragments) {
    EXPECT_NE(message.find(fragment), std::string::npos)
        << "message '" << message << "' lacks '" << fragment << "'";
  }
}

}  // namespace vknn_test
