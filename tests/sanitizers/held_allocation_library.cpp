// A stand-in for a Vulkan driver in tests/sanitizers/unloaded_library_leak:
// like Mesa's util_cpu_caps.L3_affinity_mask on AMD Zen hosts (issue 23), it
// keeps a realloc'd block for the life of the library, reachable only from
// one of its own globals. C linkage so the test finds it with dlsym.
#include <cstdlib>

namespace {
void* held_for_the_life_of_the_library;

}  // namespace

extern "C" void hold_an_allocation() {
  held_for_the_life_of_the_library = std::realloc(held_for_the_life_of_the_library, 128);
}
