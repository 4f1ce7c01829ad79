// vknn::Error: the one exception type the library throws.
//
// Every message names what the library was doing and what was wrong, so a
// user can act on it without a debugger (for example "conv2d: kernel 5x5 does
// not fit a 3x3 input with padding 'valid'; use padding 'same' or a kernel of
// at most 3x3").
#pragma once

#include <stdexcept>
#include <string>

namespace vknn {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace vknn
