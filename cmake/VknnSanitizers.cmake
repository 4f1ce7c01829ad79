# Instrumented builds, each in a build folder of its own (scripts/sanitize.sh
# uses build-asan, scripts/fuzz.sh build-fuzz); both are off by default.
#
# VKNN_SANITIZE=ON: AddressSanitizer + UndefinedBehaviorSanitizer on the
#   library, its tests and the examples. Undefined behaviour aborts at the
#   first report (-fno-sanitize-recover), so a finding fails the test that
#   caused it. Works with GCC or Clang.
# VKNN_BUILD_FUZZERS=ON: the libFuzzer targets in tests/fuzz. Needs Clang
#   (Debian: clang-14 and libclang-rt-14-dev). Everything is compiled with
#   -fsanitize=fuzzer-no-link,address,undefined (coverage for libFuzzer plus
#   the sanitizers); only the fuzz targets link libFuzzer itself.
option(VKNN_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(VKNN_BUILD_FUZZERS "Build the libFuzzer targets in tests/fuzz (needs Clang)" OFF)

set(VKNN_SANITIZER_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer
                         -fno-sanitize-recover=undefined -g)

if(VKNN_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR
      "VKNN_BUILD_FUZZERS needs Clang (libFuzzer is part of Clang), but the C++ compiler is "
      "${CMAKE_CXX_COMPILER_ID} (${CMAKE_CXX_COMPILER}). Configure a separate build folder with "
      "-DCMAKE_CXX_COMPILER=clang++-14 (Debian: apt-get install clang-14 libclang-rt-14-dev), "
      "or run scripts/fuzz.sh, which does that.")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link ${VKNN_SANITIZER_FLAGS})
  add_link_options(-fsanitize=address,undefined)
elseif(VKNN_SANITIZE)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    message(FATAL_ERROR "VKNN_SANITIZE needs GCC or Clang, not ${CMAKE_CXX_COMPILER_ID}")
  endif()
  add_compile_options(${VKNN_SANITIZER_FLAGS})
  add_link_options(-fsanitize=address,undefined)
endif()
