# ctest script: builds and runs a consumer of vknn.
#   MODE=install       install BINARY_DIR into a fresh prefix, then
#                      find_package(vknn) from tests/packaging/consumer
#   MODE=subdirectory  add_subdirectory(SOURCE_DIR) from
#                      tests/packaging/subdirectory_consumer
#   CONSUMER_LINK_FLAGS (optional) extra link flags for the consumer program
#                      (a sanitized vknn needs the sanitizer runtimes)
# Usage: cmake -DMODE=... -DSOURCE_DIR=... -DBINARY_DIR=... -DWORK_DIR=... -P consume.cmake
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT result EQUAL 0)
    string(REPLACE ";" " " command "${ARGN}")
    message(FATAL_ERROR "failed (${result}): ${command}\n${out}\n${err}")
  endif()
  message("${out}")
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
if(MODE STREQUAL "install")
  run(${CMAKE_COMMAND} --install ${BINARY_DIR} --prefix ${WORK_DIR}/prefix)
  foreach(f include/vknn/device.hpp lib/cmake/vknn/vknnConfig.cmake
            lib/cmake/vknn/vknnConfigVersion.cmake lib/pkgconfig/vknn.pc bin/vknn-info)
    if(NOT EXISTS ${WORK_DIR}/prefix/${f})
      message(FATAL_ERROR "install did not produce ${f}")
    endif()
  endforeach()
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/packaging/consumer -B ${WORK_DIR}/build -G Ninja
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix
      "-DCMAKE_EXE_LINKER_FLAGS=${CONSUMER_LINK_FLAGS}")
elseif(MODE STREQUAL "subdirectory")
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/packaging/subdirectory_consumer -B ${WORK_DIR}/build
      -G Ninja -DCMAKE_BUILD_TYPE=Release -DVKNN_SOURCE_DIR=${SOURCE_DIR})
else()
  message(FATAL_ERROR "MODE must be install or subdirectory")
endif()
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build --parallel 2)
run(${WORK_DIR}/build/consumer)
