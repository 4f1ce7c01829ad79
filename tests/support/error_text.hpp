// The message of the vknn::Error a call throws, for tests that check what
// users are told.
#pragma once

#include <string>

#include "vknn/error.hpp"

namespace vknn_test {

// The what() of the vknn::Error `f` throws, or "(no error)".
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const vknn::Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace vknn_test
