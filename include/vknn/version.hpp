// The library's version, as CMake's project() declares it.
#pragma once

namespace vknn {

const char* version_string();  // "MAJOR.MINOR.PATCH"

}  // namespace vknn
