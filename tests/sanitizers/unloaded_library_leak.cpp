// The mechanism behind issue 23, reproduced on any host: a library keeps a
// block reachable only from its own global, and is then dlclosed, as the
// Vulkan loader dlcloses the driver in vkDestroyInstance. With the library
// unmapped the block has no root and LeakSanitizer reports it from a frame
// with no module, which no suppression can name. With the library kept
// resident by vknn's keep_loaded_libraries_resident_in_sanitizer_builds()
// (called where vknn creates its Vulkan instance), the global stays a root
// and nothing leaks.
//
// usage: vknn_unloaded_library_leak LIBRARY keep|unload
// check_leak_report.cmake runs both: `keep` must report no leak, `unload`
// must report the 128-byte block (so the check can fail).
#include <dlfcn.h>

#include <cstdio>
#include <cstring>

#include "vulkan/keep_libraries_loaded.hpp"

int main(int argc, char** argv) {
  if (argc != 3 || (std::strcmp(argv[2], "keep") != 0 && std::strcmp(argv[2], "unload") != 0)) {
    std::fprintf(stderr, "usage: %s LIBRARY keep|unload\n", argv[0]);
    return 2;
  }
  void* library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    std::fprintf(stderr, "dlopen %s: %s\n", argv[1], dlerror());
    return 2;
  }
  auto hold = reinterpret_cast<void (*)()>(dlsym(library, "hold_an_allocation"));
  if (hold == nullptr) {
    std::fprintf(stderr, "dlsym hold_an_allocation: %s\n", dlerror());
    return 2;
  }
  hold();
  if (std::strcmp(argv[2], "keep") == 0) vknn::vk::keep_loaded_libraries_resident_in_sanitizer_builds();
  dlclose(library);
  std::puts("unloaded_library_leak: held an allocation, closed the library");
  // Flushed now: LeakSanitizer ends the process at exit before stdio would.
  std::fflush(stdout);
  return 0;
}
