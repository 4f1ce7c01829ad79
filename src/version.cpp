#include "vknn/version.hpp"

namespace vknn {

const char* version_string() { return VKNN_VERSION_STRING; }

}  // namespace vknn
