# ctest script: vknn-bench --tune --quick with an empty cache folder, then
# again with the cache it wrote. The first run must measure and name the
# conv2d and dense shapes it chose for; the second must say "cached" and
# measure nothing.
# Usage: cmake -DBENCH=<vknn-bench> -DCACHE_DIR=<folder, emptied first> -P tune_test.cmake
file(REMOVE_RECURSE ${CACHE_DIR})
set(ENV{VKNN_CACHE_DIR} ${CACHE_DIR})
set(ENV{VKNN_AUTOTUNE} 1)

function(run_tune output_var)
  execute_process(COMMAND ${BENCH} --tune --quick RESULT_VARIABLE result
                  OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("${out}${err}")
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "vknn-bench --tune exited with ${result}")
  endif()
  set(${output_var} "${out}" PARENT_SCOPE)
endfunction()

function(expect text pattern why)
  if(NOT text MATCHES "${pattern}")
    message(FATAL_ERROR "vknn-bench --tune: ${why} (no match for '${pattern}')")
  endif()
endfunction()

run_tune(first)
# conv2d's shape tokens are Conv2DGeometry::describe(); dense's M.._N.._K..
# conv1 is the fused conv + relu + pool op, forward and parameter gradients
# (one kernel each, nothing to choose); conv2's ops have variants.
expect("${first}" "\\| conv2d_forward \\| [^|]*kernel_3x3x8x8[^|]* \\| [a-z_]+ \\| [a-z_]+ [0-9.]+ ms"
       "the first run names conv2's forward shape with measured candidates")
expect("${first}" "\\| conv2d_backward_kernel \\| [^|]*kernel_3x3x8x8[^|]* \\| [a-z_]+ \\|"
       "the first run names conv2's kernel-gradient shape")
expect("${first}" "\\| conv2d_backward_kernel \\| [^|]+ \\| [a-z_]+ \\|"
       "the first run names a conv2d backward shape")
# The dense GEMM has variants to measure on GPUs only (on a CPU driver
# shared_tiled is not measured: src/ops/vulkan/variant_choice.hpp).
set(gpu_measures_dense FALSE)
if(first MATCHES "\\| dense_gemm \\|")
  set(gpu_measures_dense TRUE)
  expect("${first}" "\\| dense_gemm \\| M4_N128_K[0-9]+[^|]* \\| [a-z_]+ \\| [a-z_]+ [0-9.]+ ms"
         "the first run names the Dense(128) GEMM at batch 4")
endif()
expect("${first}" "course_model_one_conv" "the one-conv exercise model is reported")
expect("${first}" "tuning took [0-9.]+ s" "the tuning time is printed")
if(first MATCHES "\\| cached \\|")
  message(FATAL_ERROR "vknn-bench --tune: the first run, on an empty cache, reported a cached choice")
endif()
file(GLOB cache_files ${CACHE_DIR}/tuning-*.txt)
if(NOT cache_files)
  message(FATAL_ERROR "vknn-bench --tune wrote no tuning-*.txt in ${CACHE_DIR}")
endif()

run_tune(second)
expect("${second}" "\\| conv2d_backward_kernel \\| [^|]*kernel_3x3x8x8[^|]* \\| [a-z_]+ \\| cached \\|"
       "the second run reads conv2's kernel-gradient choice from the cache")
if(gpu_measures_dense)
  expect("${second}" "\\| dense_gemm \\| M4_N128_K[0-9]+[^|]* \\| [a-z_]+ \\| cached \\|"
         "the second run reads the dense choice from the cache")
endif()
if(second MATCHES " ms")
  message(FATAL_ERROR "vknn-bench --tune: the second run, on a warm cache, measured something")
endif()
