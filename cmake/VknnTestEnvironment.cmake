# What every test runs with, and every program a test starts (they inherit
# it): vknn's caches (the autotuner's kernel choices, the kept Vulkan
# pipeline cache; on by default) go to a folder of this build, never to the
# user's ~/.cache/vknn. One folder for the whole suite, so each op shape is
# measured once per build, not once per test process (every gtest case is a
# process of its own). Delete it to measure again. Tests that check what the
# tuner measures or writes set VKNN_CACHE_DIR to a temporary folder
# themselves.
set(VKNN_TEST_CACHE_DIR ${PROJECT_BINARY_DIR}/test-cache)
set(VKNN_TEST_ENVIRONMENT "VKNN_CACHE_DIR=${VKNN_TEST_CACHE_DIR}")

# vknn_test_environment(<test>...): adds VKNN_TEST_ENVIRONMENT to each
# test's ENVIRONMENT (after any set_tests_properties(... ENVIRONMENT ...),
# which replaces the property). gtest_discover_tests suites pass
# VKNN_TEST_ENVIRONMENT in their PROPERTIES instead. The test
# tests.every_test_keeps_its_caches_in_the_build fails where a test has
# neither.
function(vknn_test_environment)
  foreach(test IN LISTS ARGN)
    set_property(TEST ${test} APPEND PROPERTY ENVIRONMENT ${VKNN_TEST_ENVIRONMENT})
  endforeach()
endfunction()
