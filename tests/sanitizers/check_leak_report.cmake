# Runs a program under LeakSanitizer with the project's suppressions and
# checks its leak report (tests/sanitizers/CMakeLists.txt registers the
# cases). Variables:
#   PROGRAM, ARGS (a ;-list), SUPPRESSIONS: what to run, and with what.
#   EXPECT: "none" (exit 0, no report) or the exact summary line's text,
#           e.g. "48 byte(s) leaked in 1 allocation(s)".
#   FRAME:  with a leak expected, text the report must contain (the leaking
#           function's name, or "<unknown module>").
set(ENV{ASAN_OPTIONS} "detect_leaks=1")
set(ENV{LSAN_OPTIONS} "suppressions=${SUPPRESSIONS}:print_suppressions=0")
execute_process(COMMAND "${PROGRAM}" ${ARGS} RESULT_VARIABLE status OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
set(report "${out}${err}")
message("${report}")
if(NOT report MATCHES "(trained|closed the library)")
  message(FATAL_ERROR "${PROGRAM} failed before its leak check (exit ${status}); see above")
endif()
if(EXPECT STREQUAL "none")
  if(NOT status EQUAL 0 OR report MATCHES "LeakSanitizer")
    message(FATAL_ERROR "expected no leak report, got exit ${status} (see above)")
  endif()
  return()
endif()
if(status EQUAL 0)
  message(FATAL_ERROR "expected LeakSanitizer to report '${EXPECT}', but the program exited 0 "
                      "(detect_leaks off, or a suppression matching vknn's own code?)")
endif()
string(REPLACE "(" "\\(" expect_regex "${EXPECT}")
string(REPLACE ")" "\\)" expect_regex "${expect_regex}")
if(NOT report MATCHES "SUMMARY: AddressSanitizer: ${expect_regex}")
  message(FATAL_ERROR "expected the summary 'SUMMARY: AddressSanitizer: ${EXPECT}': more was "
                      "reported (an unsuppressed driver or library leak?) or something else")
endif()
if(NOT report MATCHES "${FRAME}")
  message(FATAL_ERROR "the leak report does not contain '${FRAME}'")
endif()
