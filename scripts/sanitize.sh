#!/usr/bin/env bash
# Builds the library, its tests and the examples with AddressSanitizer +
# UndefinedBehaviorSanitizer (VKNN_SANITIZE=ON) in build-asan and runs the
# CPU, data, model, Vulkan runtime and example suites plus the installed-
# package consumer under them. Any sanitizer report fails the test that
# caused it (undefined behaviour aborts; ASan and LSan exit non-zero).
#
# usage: scripts/sanitize.sh [CTEST_LABEL_REGEX]
#   default labels: cpu|data|model|vulkan|examples|packaging|sanitizers
#   ("sanitizers": the leak checks of tests/sanitizers, which prove that a
#   leak in vknn's code fails while the Vulkan driver's do not)
#   (the op cross-checks, label "ops", add most of the time and no host
#   code the model suites do not already run; pass 'cpu|data|model|vulkan|
#   examples|packaging|ops' to include them)
# env: VKNN_ASAN_BUILD_DIR (default build-asan), VKNN_ASAN_JOBS (default 2)
#
# The Python package is not built here (VKNN_BUILD_PYTHON=OFF): its suite
# runs in the main build, and an install of a build without its module
# would fail the package-consumer test.
#
# Leaks: tests/sanitizers/lsan.supp suppresses leaks only inside lavapipe
# (Mesa's CPU Vulkan driver and its LLVM), the Vulkan loader and the Khronos
# validation layer, never in vknn's own code. Sanitizer builds keep those
# libraries loaded after vkDestroyInstance (src/vulkan/keep_libraries_loaded.cpp),
# or their frames could not be named (docs/reliability.md, issue 23).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${VKNN_ASAN_BUILD_DIR:-$repo/build-asan}"
jobs="${VKNN_ASAN_JOBS:-2}"
labels="${1:-cpu|data|model|vulkan|examples|packaging|sanitizers}"

fail() { printf 'sanitize.sh: error: %s\n' "$*" >&2; exit 2; }

launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
echo "==> Configuring the ASan+UBSan build in $build"
cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" \
  -DVKNN_SANITIZE=ON -DVKNN_BUILD_TESTS=ON -DVKNN_BUILD_EXAMPLES=ON -DVKNN_BUILD_PYTHON=OFF \
  -DVKNN_BUILD_BENCHMARKS=OFF >/dev/null || fail "configuring $build failed"
# Only what the chosen suites run (the op cross-checks are the largest
# test binary and are built only when asked for).
targets=(vknn vknn-info vknn_cpu_tests vknn_data_tests vknn_model_tests vknn_vulkan_tests
         vknn_example_tests)
[[ "$labels" == *ops* ]] && targets+=(vknn_crosscheck_tests)
[[ "$labels" == *sanitizers* ]] &&
  targets+=(vknn_deliberate_leak vknn_unloaded_library_leak vknn_held_allocation)
echo "==> Building ${targets[*]}"
cmake --build "$build" --parallel "$jobs" --target "${targets[@]}" ||
  fail "the build failed (see above)"

# halt_on_error / abort: the first report ends the test with a failure.
# detect_leaks: LSan at exit; the suppressions name third-party libraries only.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$repo/tests/sanitizers/lsan.supp:print_suppressions=0"

# Every test sets VKNN_CACHE_DIR to $build/test-cache itself
# (cmake/VknnTestEnvironment.cmake); this covers anything run outside it.
export VKNN_CACHE_DIR="$build/test-cache"

echo "==> Running the suites labelled '$labels' under ASan+UBSan"
ctest --test-dir "$build" -L "$labels" --output-on-failure -j"$jobs" ||
  fail "tests failed under the sanitizers (see the reports above)"
echo "==> No sanitizer findings in: $labels"
