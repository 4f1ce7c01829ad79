// Helpers for the example tests: temporary folders, running the example
// programs as a user would, reading files back.
#pragma once

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace vknn_examples_test {

namespace fs = std::filesystem;

using TempDir = vknn_test::TempDir;

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The path of an example program; fails the test if it was not built.
inline fs::path example_program(const std::string& name) {
  const fs::path path = fs::path(VKNN_EXAMPLES_DIR) / name;
  EXPECT_TRUE(fs::exists(path)) << path << " is missing; build the examples (cmake --build <build>)";
  return path;
}

// Single-quotes an argument for /bin/sh.
inline std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct RunResult {
  int status = -1;  // exit status, or -1 if it did not exit normally
  std::string out;
  std::string err;
};

// Runs `program args...` through the shell with `env` (e.g. "VKNN_VALIDATION=1")
// in front, capturing stdout and stderr into files under `dir`.
inline RunResult run_example(const std::string& program, const std::string& args, const TempDir& dir,
                             const std::string& env = "") {
  const fs::path out = dir / "stdout.txt";
  const fs::path err = dir / "stderr.txt";
  const std::string command = (env.empty() ? "" : env + " ") + shell_quote(example_program(program)) +
                              " " + args + " > " + shell_quote(out) + " 2> " + shell_quote(err);
  const int raw = std::system(command.c_str());
  RunResult result;
  result.status = (raw != -1 && WIFEXITED(raw)) ? WEXITSTATUS(raw) : -1;
  result.out = read_text(out);
  result.err = read_text(err);
  return result;
}

inline bool contains(const std::string& text, const std::string& fragment) {
  return text.find(fragment) != std::string::npos;
}

// Expects `run` to have ended with exit `status` (2: bad flags, 1: a
// failure) and to have said `fragment` on stderr.
inline void expect_exit_saying(const RunResult& run, int status, const std::string& fragment) {
  EXPECT_EQ(run.status, status) << run.err;
  EXPECT_TRUE(contains(run.err, fragment)) << run.err;
}

}  // namespace vknn_examples_test
