// scripts/fashion_mnist_to_idx.js, run through Node.js on the miniature
// fixture in tests/data/fixtures/fashion_json (see its README), read back with
// the library's IDX reader. Skipped when node is not installed.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "data_test_support.hpp"
#include "vknn/data/idx.hpp"

namespace vknn::data {
namespace {

using namespace vknn::data::testing;

constexpr int kClasses = 10;
constexpr int kPerClass = 3;
constexpr int kTrain = 2;

// (Strings here are built with append rather than "literal" + string: GCC 12
// warns falsely (-Wrestrict) about the latter at -O3.)
std::string quote(const fs::path& p) {
  std::string s = "\"";
  s.append(p.string()).append("\"");
  return s;
}

bool node_available() {
#ifdef _WIN32
  return std::system("node --version > NUL 2>&1") == 0;
#else
  return std::system("node --version > /dev/null 2>&1") == 0;
#endif
}

struct RunResult {
  int status;
  std::string out;
  std::string err;
};

// Runs the converter with `args`; captures stdout and stderr into dir.
RunResult run_converter(const TempDir& dir, const std::string& args) {
  const fs::path script = source_dir() / "scripts" / "fashion_mnist_to_idx.js";
  const fs::path out = dir / "stdout.txt";
  const fs::path err = dir / "stderr.txt";
  const std::string cmd =
      "node " + quote(script) + " " + args + " > " + quote(out) + " 2> " + quote(err);
  RunResult r;
  r.status = std::system(cmd.c_str());
  r.out = fs::exists(out) ? read_text(out) : "";
  r.err = fs::exists(err) ? read_text(err) : "";
  return r;
}

// The fixture's record i of class c (tests/data/fixtures/README.md).
Bytes fixture_record(int c, int i) {
  Bytes r(784, 0);
  r[0] = static_cast<std::uint8_t>(c);
  r[1] = static_cast<std::uint8_t>(i);
  r[2] = 255;
  r[3] = static_cast<std::uint8_t>(25 * c + i);
  r[783] = static_cast<std::uint8_t>(200 + c);
  return r;
}

// JSON for one class file with `records` given as text, e.g. "[1,2,3]".
std::string class_json(const std::vector<std::string>& records) {
  std::string s = "{\"data\":[";
  for (std::size_t i = 0; i < records.size(); ++i) {
    s += i != 0 ? ",\n" : "\n";
    s += records[i];
  }
  return s + "\n]}\n";
}

std::string record_text(const Bytes& r) {
  std::string s = "[";
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (i != 0) s += ',';
    s += std::to_string(r[i]);
  }
  return s + "]";
}

// A copy of the fixture folder to modify.
fs::path copy_fixture(const TempDir& dir) {
  const fs::path to = dir / "json";
  fs::create_directories(to);
  for (int c = 0; c < kClasses; ++c) {
    const std::string name = std::to_string(c) + ".json";
    fs::copy_file(source_dir() / "tests/data/fixtures/fashion_json" / name, to / name);
  }
  return to;
}

class FashionConverter : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!node_available()) GTEST_SKIP() << "node (Node.js) is not installed; the converter needs it";
    fixture_ = source_dir() / "tests/data/fixtures/fashion_json";
    ASSERT_TRUE(fs::exists(fixture_ / "0.json")) << fixture_ << " is missing";
  }
  std::string args(const fs::path& input, const fs::path& output, int per_class = kPerClass) const {
    return "--input " + quote(input) + " --output " + quote(output) + " --per-class " +
           std::to_string(per_class) + " --train " + std::to_string(kTrain);
  }
  bool no_idx_files_in(const fs::path& out) const {
    for (const char* n : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                          "t10k-labels-idx1-ubyte"}) {
      if (fs::exists(out / n)) return false;
    }
    return true;
  }
  fs::path fixture_;
};

TEST_F(FashionConverter, ConvertsTheFixtureInterleavedByClass) {
  TempDir dir;
  const fs::path out = dir / "idx";
  const RunResult r = run_converter(dir, args(fixture_, out));
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_CONTAINS(r.out, "0.json: dropped 2 empty record(s) at index 1, 4");

  const DatasetSplits d = load_fashion_mnist(out);
  ASSERT_EQ(d.train.size(), kClasses * kTrain);
  ASSERT_EQ(d.test.size(), kClasses * (kPerClass - kTrain));
  EXPECT_EQ(d.train.images.rows, 28);
  EXPECT_EQ(d.train.images.cols, 28);

  // Sample k of a split: class k % 10, record (first + k / 10) of that class.
  auto expect_split = [](const LabeledImages& split, int first, const char* name) {
    Bytes pixels;
    std::vector<std::uint8_t> labels;
    for (int k = 0; k < static_cast<int>(split.size()); ++k) {
      const Bytes r = fixture_record(k % kClasses, first + k / kClasses);
      pixels.insert(pixels.end(), r.begin(), r.end());
      labels.push_back(static_cast<std::uint8_t>(k % kClasses));
    }
    EXPECT_EQ(split.images.pixels, pixels) << name;
    EXPECT_EQ(split.labels, labels) << name;
  };
  expect_split(d.train, 0, "train");
  expect_split(d.test, kTrain, "test");

  // The exact file sizes: header + payload.
  EXPECT_EQ(fs::file_size(out / "train-images-idx3-ubyte"), 16u + 20u * 784u);
  EXPECT_EQ(fs::file_size(out / "t10k-labels-idx1-ubyte"), 8u + 10u);
}

TEST_F(FashionConverter, RejectsAValueAbove255) {
  TempDir dir;
  const fs::path json = copy_fixture(dir);
  Bytes r0 = fixture_record(3, 0);
  std::string bad = record_text(fixture_record(3, 1));
  // pixel 5 of record 1 becomes 256
  bad = "[3,1,255,76,0,256" + bad.substr(std::string("[3,1,255,76,0,0").size());
  write_text(json / "3.json", class_json({record_text(r0), bad, record_text(fixture_record(3, 2))}));
  const fs::path out = dir / "idx";
  const RunResult r = run_converter(dir, args(json, out));
  EXPECT_NE(r.status, 0);
  EXPECT_CONTAINS(r.err, (json / "3.json").string());
  EXPECT_CONTAINS(r.err, "record 1, pixel 5: value 256 is not an integer in 0..255");
  EXPECT_TRUE(no_idx_files_in(out)) << "nothing may be written when a class is bad";
}

TEST_F(FashionConverter, RejectsNegativeAndFractionalValues) {
  TempDir dir;
  const fs::path json = copy_fixture(dir);
  Bytes ok = fixture_record(7, 0);
  std::string text = record_text(ok);
  write_text(json / "7.json",
             class_json({"[-1" + text.substr(2), record_text(fixture_record(7, 1)), record_text(ok)}));
  RunResult r = run_converter(dir, args(json, dir / "idx"));
  EXPECT_NE(r.status, 0);
  EXPECT_CONTAINS(r.err, (json / "7.json").string());
  EXPECT_CONTAINS(r.err, "record 0, pixel 0: value -1");

  write_text(json / "7.json",
             class_json({record_text(ok), "[7.5" + text.substr(2), record_text(ok)}));
  r = run_converter(dir, args(json, dir / "idx"));
  EXPECT_NE(r.status, 0);
  EXPECT_CONTAINS(r.err, "record 1, pixel 0: value 7.5");
}

TEST_F(FashionConverter, RejectsARecordOfTheWrongLength) {
  TempDir dir;
  const fs::path json = copy_fixture(dir);
  Bytes shorter = fixture_record(5, 2);
  shorter.pop_back();
  write_text(json / "5.json", class_json({record_text(fixture_record(5, 0)),
                                          record_text(fixture_record(5, 1)), record_text(shorter)}));
  const fs::path out = dir / "idx";
  const RunResult r = run_converter(dir, args(json, out));
  EXPECT_NE(r.status, 0);
  EXPECT_CONTAINS(r.err, (json / "5.json").string());
  EXPECT_CONTAINS(r.err, "record 2 has 783 values, expected 784");
  EXPECT_TRUE(no_idx_files_in(out));
}

TEST_F(FashionConverter, RejectsAClassWithTheWrongCount) {
  TempDir dir;
  const fs::path out = dir / "idx";
  const RunResult r = run_converter(dir, args(fixture_, out, kPerClass + 1));
  EXPECT_NE(r.status, 0);
  EXPECT_CONTAINS(r.err, (fixture_ / "0.json").string());
  EXPECT_CONTAINS(r.err, "holds 3 records after dropping 2 empty one(s), expected exactly 4");
  EXPECT_TRUE(no_idx_files_in(out));
}

TEST_F(FashionConverter, RejectsMalformedJsonAndMissingFiles) {
  TempDir dir;
  const fs::path json = copy_fixture(dir);
  write_text(json / "2.json", "{\"data\": [[1, 2,");
  RunResult r = run_converter(dir, args(json, dir / "idx"));
  EXPECT_NE(r.status, 0);
  EXPECT_CONTAINS(r.err, (json / "2.json").string());
  EXPECT_CONTAINS(r.err, "not valid JSON");

  fs::remove(json / "2.json");
  r = run_converter(dir, args(json, dir / "idx"));
  EXPECT_NE(r.status, 0);
  EXPECT_CONTAINS(r.err, (json / "2.json").string());
  EXPECT_CONTAINS(r.err, "cannot read");
}

}  // namespace
}  // namespace vknn::data
