#include "vulkan/keep_libraries_loaded.hpp"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VKNN_ADDRESS_SANITIZER 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define VKNN_ADDRESS_SANITIZER 1
#endif

#if defined(VKNN_ADDRESS_SANITIZER) && defined(__linux__)
#include <dlfcn.h>
#include <link.h>

#include <string>
#include <vector>
#endif

namespace vknn::vk {

void keep_loaded_libraries_resident_in_sanitizer_builds() {
#if defined(VKNN_ADDRESS_SANITIZER) && defined(__linux__)
  // Every object, not a list of driver names: ICDs and layers differ by
  // vendor and package (lavapipe, radv, anv, NVIDIA's GLX library), and
  // keeping an already-loaded library mapped costs nothing but address space.
  std::vector<std::string> loaded;
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* out) {
        if (info->dlpi_name != nullptr && info->dlpi_name[0] != '\0') {
          static_cast<std::vector<std::string>*>(out)->emplace_back(info->dlpi_name);
        }
        return 0;
      },
      &loaded);
  for (const std::string& name : loaded) {
    // RTLD_NOLOAD loads nothing new; RTLD_NODELETE marks the object so no
    // later dlclose (the loader's, in vkDestroyInstance) unmaps it. The
    // handle is deliberately never closed.
    (void)dlopen(name.c_str(), RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
  }
#endif
}

}  // namespace vknn::vk
