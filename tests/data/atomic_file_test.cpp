// vknn::io::write_file_atomically and AtomicFileWriter: a reader sees the
// old file or the whole new one, and a failure changes nothing.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "vknn/error.hpp"
#include "vknn/io/atomic_file.hpp"
#include "support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;

class AtomicFile : public ::testing::Test {
 protected:
  std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  std::vector<std::string> entries() { return dir_.entries(); }
  static std::span<const std::uint8_t> bytes(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
  }
  vknn_test::TempDir dir_;
};

TEST_F(AtomicFile, WritesAndReplacesKeepingTheMode) {
  const fs::path path = dir_ / "file.bin";
  vknn::io::write_file_atomically(path, bytes("first"));
  EXPECT_EQ(read(path), "first");
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0644u);  // an ordinary file, not mkstemp's 0600
  ::chmod(path.c_str(), 0640);
  vknn::io::write_file_atomically(path, bytes("second, longer"));
  EXPECT_EQ(read(path), "second, longer");
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0640u);  // a replaced file keeps its mode
  EXPECT_EQ(entries(), std::vector<std::string>{"file.bin"});
}

TEST_F(AtomicFile, AWriterDestroyedBeforeCommitChangesNothing) {
  const fs::path path = dir_ / "file.bin";
  vknn::io::write_file_atomically(path, bytes("kept"));
  {
    vknn::io::AtomicFileWriter writer(path);
    writer.write("partial", 7);
  }  // no commit: as if the program failed half way
  EXPECT_EQ(read(path), "kept");
  EXPECT_EQ(entries(), std::vector<std::string>{"file.bin"});
}

TEST_F(AtomicFile, FailuresNameThePathAndLeaveNoTemporary) {
  try {
    vknn::io::write_file_atomically(dir_ / "missing" / "file.bin", bytes("x"));
    FAIL() << "expected vknn::Error";
  } catch (const vknn::Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("missing/file.bin"), std::string::npos) << message;
    EXPECT_NE(message.find("cannot create a temporary file"), std::string::npos) << message;
  }
  fs::create_directory(dir_ / "folder");
  try {
    vknn::io::write_file_atomically(dir_ / "folder", bytes("x"));
    FAIL() << "expected vknn::Error";
  } catch (const vknn::Error& e) {
    EXPECT_NE(std::string(e.what()).find("is a folder"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_directory(dir_ / "folder"));
  EXPECT_THROW(vknn::io::write_file_atomically("", bytes("x")), vknn::Error);
  EXPECT_EQ(entries(), std::vector<std::string>{"folder"});
}

}  // namespace
