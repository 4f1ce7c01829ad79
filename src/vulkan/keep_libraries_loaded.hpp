// Keeps the Vulkan drivers and layers in memory for the life of the process
// in sanitizer builds, so LeakSanitizer can still name their frames at exit.
#pragma once

namespace vknn::vk {

// In a build with AddressSanitizer (GCC's -fsanitize=address defines
// __SANITIZE_ADDRESS__; Clang answers __has_feature(address_sanitizer)):
// marks every shared object loaded now as never to be unloaded
// (dlopen RTLD_NOLOAD | RTLD_NODELETE). Called right after vkCreateInstance,
// when the loader has opened the drivers (ICDs) and layers. Elsewhere a no-op.
//
// Why: the Vulkan loader dlcloses the ICD when the instance is destroyed.
// lavapipe keeps some one-time allocations (the loader's realloc'd arrays
// among them) that LeakSanitizer then finds at exit; with the library gone,
// their frames have no module name, and a suppression such as
// `leak:libvulkan_lvp.so` (tests/sanitizers/lsan.supp) cannot match them.
// With the module still mapped the frame is named and suppressed, while a
// leak whose stack has no third-party frame still fails
// (tests/sanitizers/deliberate_leak.cpp proves it). docs/reliability.md says
// why the same commit passed on some machines and failed on others.
void keep_loaded_libraries_resident_in_sanitizer_builds();

}  // namespace vknn::vk
