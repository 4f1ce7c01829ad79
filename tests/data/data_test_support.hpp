// Helpers shared by the tests in tests/data: temporary folders, raw file
// writing, hand-built IDX bytes, gzip through zlib, and error-message checks.
#pragma once

#include <gtest/gtest.h>

#include "support/error_text.hpp"
#include "support/temp_dir.hpp"
#include <zlib.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "vknn/error.hpp"

#ifdef _WIN32
#include <process.h>
#define VKNN_TEST_GETPID _getpid
#else
#include <unistd.h>
#define VKNN_TEST_GETPID getpid
#endif

// Set by tests/CMakeLists.txt; the fallbacks serve direct compiles from the
// repository root.
#ifndef VKNN_TEST_SOURCE_DIR
#define VKNN_TEST_SOURCE_DIR ""
#endif
#ifndef VKNN_TEST_BINARY_DIR
#define VKNN_TEST_BINARY_DIR ""
#endif

namespace vknn::data::testing {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

// The repository root: VKNN_TEST_SOURCE_DIR, or the folder three levels above
// this header when that is not set.
inline fs::path source_dir() {
  const std::string configured = VKNN_TEST_SOURCE_DIR;
  if (!configured.empty()) return fs::path(configured);
  return fs::absolute(fs::path(__FILE__)).parent_path().parent_path().parent_path();
}

using TempDir = vknn_test::TempDir;

inline void write_file(const fs::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("test helper: cannot write " + path.string());
}

inline void write_text(const fs::path& path, const std::string& text) {
  write_file(path, Bytes(text.begin(), text.end()));
}

inline Bytes read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("test helper: cannot read " + path.string());
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::string read_text(const fs::path& path) {
  const Bytes b = read_file(path);
  return std::string(b.begin(), b.end());
}

inline void append_be32(Bytes& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 24));
  out.push_back(static_cast<std::uint8_t>(v >> 16));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

// An IDX header with the given magic and dimensions, followed by payload.
inline Bytes idx_bytes(std::uint32_t magic, std::initializer_list<std::uint32_t> dims,
                       const Bytes& payload) {
  Bytes out;
  append_be32(out, magic);
  for (std::uint32_t d : dims) append_be32(out, d);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

// n bytes of a fixed pseudo-random pattern.
inline Bytes pattern(std::size_t n, std::uint32_t seed = 1) {
  std::mt19937 rng(seed);
  Bytes out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng() & 0xff);
  return out;
}

// gzip (RFC 1952) through zlib, as `gzip` would write it.
inline Bytes gzip(const Bytes& data) {
  z_stream zs;
  std::memset(&zs, 0, sizeof zs);
  if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    throw std::runtime_error("test helper: deflateInit2 failed");
  }
  Bytes out(deflateBound(&zs, static_cast<uLong>(data.size())) + 64);
  zs.next_in = const_cast<Bytef*>(data.data());
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("test helper: deflate failed");
  out.resize(zs.total_out);
  return out;
}

using vknn_test::error_of;

}  // namespace vknn::data::testing

// EXPECT_CONTAINS(haystack, needle): needle is a substring of haystack.
#define EXPECT_CONTAINS(haystack, needle)                                               \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos)                      \
      << "expected to find \"" << (needle) << "\" in:\n  " << (haystack)
