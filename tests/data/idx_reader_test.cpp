// The IDX reader and writer (include/vknn/data/idx.hpp): round trips, gzip,
// and every way a file can be malformed. Each error test checks that the
// message names the file and the problem.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "data_test_support.hpp"
#include "vknn/data/idx.hpp"
#include "vknn/error.hpp"

namespace vknn::data {
namespace {

using namespace vknn::data::testing;

constexpr std::uint32_t kImages = 0x00000803;
constexpr std::uint32_t kLabels = 0x00000801;

ImageSet sample_images(std::int64_t count, int rows, int cols, std::uint32_t seed = 7) {
  ImageSet s;
  s.count = count;
  s.rows = rows;
  s.cols = cols;
  s.pixels = pattern(static_cast<std::size_t>(count * rows * cols), seed);
  return s;
}

std::vector<std::uint8_t> sample_labels(std::size_t n, int classes) {
  std::vector<std::uint8_t> l(n);
  for (std::size_t i = 0; i < n; ++i) l[i] = static_cast<std::uint8_t>((i * 7 + 3) % classes);
  return l;
}

// --------------------------------------------------------------- round trips

TEST(IdxRoundTrip, ImagesAndLabelsReadBackExactly) {
  TempDir dir;
  const ImageSet images = sample_images(5, 3, 4);
  const auto labels = sample_labels(5, 10);
  write_idx_images(dir / "images", images);
  write_idx_labels(dir / "labels", labels);

  // The bytes on disk are the standard big-endian layout.
  const Bytes raw = read_file(dir / "images");
  ASSERT_EQ(raw.size(), 16u + 60u);
  EXPECT_EQ(raw, idx_bytes(kImages, {5, 3, 4}, images.pixels));
  EXPECT_EQ(read_file(dir / "labels"), idx_bytes(kLabels, {5}, labels));

  const ImageSet back = read_idx_images(dir / "images");
  EXPECT_EQ(back.count, 5);
  EXPECT_EQ(back.rows, 3);
  EXPECT_EQ(back.cols, 4);
  EXPECT_EQ(back.pixels, images.pixels);
  EXPECT_EQ(back.image_size(), 12u);
  EXPECT_EQ(back.image(2)[0], images.pixels[24]);
  EXPECT_EQ(read_idx_labels(dir / "labels", 10), labels);

  const LabeledImages pair = load_idx_pair(dir / "images", dir / "labels", 10);
  EXPECT_EQ(pair.size(), 5);
  EXPECT_EQ(pair.num_classes, 10);
  EXPECT_EQ(pair.images.pixels, images.pixels);
  EXPECT_EQ(pair.labels, labels);
}

TEST(IdxRoundTrip, WriterReplacesAnExistingFileAndLeavesNoTemporaries) {
  TempDir dir;
  write_idx_labels(dir / "labels", sample_labels(100, 10));
  const auto labels = sample_labels(3, 10);
  write_idx_labels(dir / "labels", labels);
  EXPECT_EQ(read_idx_labels(dir / "labels", 10), labels);
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) {
    ++entries;
    EXPECT_EQ(e.path().filename(), "labels") << "leftover file " << e.path();
  }
  EXPECT_EQ(entries, 1);
}

TEST(IdxRoundTrip, WriterWritesGzipForAGzSuffix) {
  TempDir dir;
  const ImageSet images = sample_images(20, 28, 28);
  write_idx_images(dir / "images.gz", images);
  const Bytes raw = read_file(dir / "images.gz");
  ASSERT_GE(raw.size(), 2u);
  EXPECT_EQ(raw[0], 0x1f);
  EXPECT_EQ(raw[1], 0x8b);
  EXPECT_EQ(read_idx_images(dir / "images.gz").pixels, images.pixels);
}

TEST(IdxGzip, ReadsGzipWrittenByZlib) {
  TempDir dir;
  const Bytes payload = pattern(7 * 5 * 6, 3);
  write_file(dir / "train-images-idx3-ubyte.gz", gzip(idx_bytes(kImages, {7, 5, 6}, payload)));
  const ImageSet s = read_idx_images(dir / "train-images-idx3-ubyte.gz");
  EXPECT_EQ(s.count, 7);
  EXPECT_EQ(s.rows, 5);
  EXPECT_EQ(s.cols, 6);
  EXPECT_EQ(s.pixels, payload);

  const Bytes labels = {0, 1, 2, 9, 9, 0, 4};
  write_file(dir / "train-labels-idx1-ubyte.gz", gzip(idx_bytes(kLabels, {7}, labels)));
  EXPECT_EQ(read_idx_labels(dir / "train-labels-idx1-ubyte.gz", 10), labels);
}

TEST(IdxGzip, DetectsGzipByMagicWithoutTheSuffix) {
  TempDir dir;
  const Bytes payload = pattern(2 * 3 * 3);
  write_file(dir / "images", gzip(idx_bytes(kImages, {2, 3, 3}, payload)));
  EXPECT_EQ(read_idx_images(dir / "images").pixels, payload);
}

TEST(IdxGzip, ReadsLargePayloadsAndConcatenatedMembers) {
  TempDir dir;
  // Larger than the reader's internal chunks, split across two gzip members
  // (what `cat a.gz b.gz` gives; gzip reads it as one stream).
  const Bytes payload = pattern(3000 * 28 * 28, 11);
  const Bytes whole = idx_bytes(kImages, {3000, 28, 28}, payload);
  const std::size_t half = whole.size() / 2 + 17;
  Bytes gz = gzip(Bytes(whole.begin(), whole.begin() + half));
  const Bytes second = gzip(Bytes(whole.begin() + half, whole.end()));
  gz.insert(gz.end(), second.begin(), second.end());
  write_file(dir / "images.gz", gz);
  EXPECT_EQ(read_idx_images(dir / "images.gz").pixels, payload);
}

TEST(IdxGzip, GzSuffixOnAPlainFileIsAnError) {
  TempDir dir;
  const fs::path p = dir / "images.gz";
  write_file(p, idx_bytes(kImages, {1, 2, 2}, pattern(4)));
  const std::string msg = error_of([&] { read_idx_images(p); });
  EXPECT_CONTAINS(msg, p.string());
  EXPECT_CONTAINS(msg, ".gz suffix but is not gzip data");
}

TEST(IdxGzip, TruncatedGzipIsAnError) {
  TempDir dir;
  const Bytes gz = gzip(idx_bytes(kImages, {50, 28, 28}, pattern(50 * 28 * 28)));
  const fs::path p = dir / "images.gz";
  write_file(p, Bytes(gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(gz.size() / 2)));
  const std::string msg = error_of([&] { read_idx_images(p); });
  EXPECT_CONTAINS(msg, p.string());
  EXPECT_CONTAINS(msg, "truncated");
}

TEST(IdxGzip, CorruptGzipIsAnError) {
  TempDir dir;
  Bytes gz = gzip(idx_bytes(kImages, {50, 28, 28}, Bytes(50 * 28 * 28, 0)));
  gz[gz.size() - 6] ^= 0xff;  // inside the CRC-32 / size trailer
  const fs::path p = dir / "images.gz";
  write_file(p, gz);
  const std::string msg = error_of([&] { read_idx_images(p); });
  EXPECT_CONTAINS(msg, p.string());
  EXPECT_CONTAINS(msg, "corrupt gzip data");
}

TEST(IdxGzip, TrailingGarbageAfterTheGzipStreamIsAnError) {
  TempDir dir;
  Bytes gz = gzip(idx_bytes(kLabels, {3}, {1, 2, 3}));
  gz.push_back(0x00);
  gz.push_back(0x42);
  const fs::path p = dir / "labels.gz";
  write_file(p, gz);
  const std::string msg = error_of([&] { read_idx_labels(p, 10); });
  EXPECT_CONTAINS(msg, p.string());
  EXPECT_CONTAINS(msg, "after the end of the gzip stream");
}

TEST(IdxGzip, DecompressedSizeMustMatchTheHeader) {
  TempDir dir;
  const fs::path shorter = dir / "short.gz";
  write_file(shorter, gzip(idx_bytes(kImages, {10, 28, 28}, pattern(9 * 28 * 28))));
  std::string msg = error_of([&] { read_idx_images(shorter); });
  EXPECT_CONTAINS(msg, shorter.string());
  EXPECT_CONTAINS(msg, "decompressed data is 7072 bytes but the header (10 images of 28x28) needs 7856 bytes");

  const fs::path longer = dir / "long.gz";
  write_file(longer, gzip(idx_bytes(kLabels, {4}, {1, 2, 3, 4, 5})));
  msg = error_of([&] { read_idx_labels(longer, 10); });
  EXPECT_CONTAINS(msg, longer.string());
  EXPECT_CONTAINS(msg, "longer than the 12 bytes that the header (4 labels) needs");
}

TEST(IdxGzip, HugeDeclaredSizeDoesNotAllocateIt) {
  // 60000 images of 65536x65536 (about 2.6e14 bytes) declared in a tiny gzip
  // file: the reader must fail on the missing data, not try to allocate.
  TempDir dir;
  const fs::path p = dir / "huge.gz";
  write_file(p, gzip(idx_bytes(kImages, {60000, 65536, 65536}, pattern(1000))));
  const std::string msg = error_of([&] { read_idx_images(p); });
  EXPECT_CONTAINS(msg, p.string());
  EXPECT_CONTAINS(msg, "truncated");
}

// --------------------------------------------------------------- malformed files

TEST(IdxErrors, TruncatedPayload) {
  TempDir dir;
  const fs::path p = dir / "train-images-idx3-ubyte";
  write_file(p, idx_bytes(kImages, {5, 3, 4}, pattern(50)));
  const std::string msg = error_of([&] { read_idx_images(p); });
  EXPECT_CONTAINS(msg, p.string());
  EXPECT_CONTAINS(msg, "file is 66 bytes but the header (5 images of 3x4) needs 76 bytes");
  EXPECT_CONTAINS(msg, "truncated: 10 bytes missing");
}

TEST(IdxErrors, TruncatedHeader) {
  TempDir dir;
  const fs::path p = dir / "images";
  Bytes b = idx_bytes(kImages, {5, 3, 4}, {});
  b.resize(10);
  write_file(p, b);
  std::string msg = error_of([&] { read_idx_images(p); });
  EXPECT_CONTAINS(msg, p.string());
  EXPECT_CONTAINS(msg, "file is 10 bytes, too short for the 16-byte IDX header");

  write_file(p, {0x00, 0x00, 0x08});
  msg = error_of([&] { read_idx_images(p); });
  EXPECT_CONTAINS(msg, p.string());
  EXPECT_CONTAINS(msg, "file is 3 bytes, too short for an IDX header");
}

TEST(IdxErrors, ExtraTrailingBytes) {
  TempDir dir;
  const fs::path p = dir / "t10k-labels-idx1-ubyte";
  write_file(p, idx_bytes(kLabels, {4}, {1, 2, 3, 4, 0}));
  std::string msg = error_of([&] { read_idx_labels(p, 10); });
  EXPECT_CONTAINS(msg, p.string());
  EXPECT_CONTAINS(msg, "file is 13 bytes but the header (4 labels) needs 12 bytes");
  EXPECT_CONTAINS(msg, "1 byte of extra trailing data");

  const fs::path q = dir / "images";
  write_file(q, idx_bytes(kImages, {1, 2, 2}, pattern(4 + 100)));
  msg = error_of([&] { read_idx_images(q); });
  EXPECT_CONTAINS(msg, q.string());
  EXPECT_CONTAINS(msg, "100 bytes of extra trailing data");
}

TEST(IdxErrors, WrongMagic) {
  TempDir dir;
  // A label file where images are expected.
  const fs::path p = dir / "train-images-idx3-ubyte";
  write_file(p, idx_bytes(kLabels, {4}, {1, 2, 3, 4}));
  std::string msg = error_of([&] { read_idx_images(p); });
  EXPECT_CONTAINS(msg, p.string());
  EXPECT_CONTAINS(msg, "wrong magic number 0x00000801, expected 0x00000803");
  EXPECT_CONTAINS(msg, "label file");

  // An image file where labels are expected.
  const fs::path q = dir / "train-labels-idx1-ubyte";
  write_file(q, idx_bytes(kImages, {1, 1, 1}, {0}));
  msg = error_of([&] { read_idx_labels(q, 10); });
  EXPECT_CONTAINS(msg, q.string());
  EXPECT_CONTAINS(msg, "wrong magic number 0x00000803, expected 0x00000801");

  // Not IDX at all.
  write_file(p, Bytes{'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  msg = error_of([&] { read_idx_images(p); });
  EXPECT_CONTAINS(msg, p.string());
  EXPECT_CONTAINS(msg, "wrong magic number 0x504b0304");
  EXPECT_CONTAINS(msg, "not an IDX file");

  // IDX of float32 elements.
  write_file(p, idx_bytes(0x00000D03, {1, 1, 1}, {0, 0, 0, 0}));
  msg = error_of([&] { read_idx_images(p); });
  EXPECT_CONTAINS(msg, p.string());
  EXPECT_CONTAINS(msg, "element type 0x0d (float32) is not supported");
}

TEST(IdxErrors, WrongDimensionCount) {
  TempDir dir;
  const fs::path p = dir / "images";
  write_file(p, idx_bytes(0x00000802, {4, 4}, pattern(16)));
  std::string msg = error_of([&] { read_idx_images(p); });
  EXPECT_CONTAINS(msg, p.string());
  EXPECT_CONTAINS(msg, "the file has 2 dimensions, expected 3");

  const fs::path q = dir / "labels";
  write_file(q, idx_bytes(0x00000804, {1, 1, 1, 1}, {0}));
  msg = error_of([&] { read_idx_labels(q, 10); });
  EXPECT_CONTAINS(msg, q.string());
  EXPECT_CONTAINS(msg, "the file has 4 dimensions, expected 1");
}

TEST(IdxErrors, ZeroAndHugeDimensions) {
  TempDir dir;
  const fs::path p = dir / "images";
  write_file(p, idx_bytes(kImages, {3, 0, 28}, {}));
  std::string msg = error_of([&] { read_idx_images(p); });
  EXPECT_CONTAINS(msg, p.string());
  EXPECT_CONTAINS(msg, "declares 0 rows");

  write_file(p, idx_bytes(kImages, {0, 28, 28}, {}));
  msg = error_of([&] { read_idx_images(p); });
  EXPECT_CONTAINS(msg, "declares 0 images");

  const fs::path q = dir / "labels";
  write_file(q, idx_bytes(kLabels, {0}, {}));
  msg = error_of([&] { read_idx_labels(q, 10); });
  EXPECT_CONTAINS(msg, q.string());
  EXPECT_CONTAINS(msg, "declares 0 labels");

  // Beyond int range.
  write_file(p, idx_bytes(kImages, {1, 0x80000000u, 1}, {}));
  msg = error_of([&] { read_idx_images(p); });
  EXPECT_CONTAINS(msg, p.string());
  EXPECT_CONTAINS(msg, "declares 2147483648 rows");

  // The product overflows 64 bits.
  write_file(p, idx_bytes(kImages, {0xFFFFFFFFu, 0x7FFFFFFFu, 0x7FFFFFFFu}, {}));
  msg = error_of([&] { read_idx_images(p); });
  EXPECT_CONTAINS(msg, p.string());
  EXPECT_CONTAINS(msg, "overflow");

  // Huge but representable: a size mismatch, found before any allocation.
  write_file(p, idx_bytes(kImages, {60000, 65536, 65536}, pattern(100)));
  msg = error_of([&] { read_idx_images(p); });
  EXPECT_CONTAINS(msg, "file is 116 bytes but the header (60000 images of 65536x65536) needs");
}

TEST(IdxErrors, LabelOutOfRange) {
  TempDir dir;
  const fs::path p = dir / "train-labels-idx1-ubyte";
  write_file(p, idx_bytes(kLabels, {5}, {0, 9, 3, 10, 2}));
  std::string msg = error_of([&] { read_idx_labels(p, 10); });
  EXPECT_CONTAINS(msg, p.string());
  EXPECT_CONTAINS(msg, "label 10 at index 3 is out of range for 10 classes (expected 0..9)");

  EXPECT_EQ(read_idx_labels(p, 11).size(), 5u);
  msg = error_of([&] { read_idx_labels(p, 0); });
  EXPECT_CONTAINS(msg, "num_classes must be in 1..256");
}

TEST(IdxErrors, CountMismatchBetweenImagesAndLabels) {
  TempDir dir;
  const fs::path images = dir / "train-images-idx3-ubyte";
  const fs::path labels = dir / "train-labels-idx1-ubyte";
  write_idx_images(images, sample_images(5, 2, 2));
  write_idx_labels(labels, sample_labels(4, 10));
  const std::string msg = error_of([&] { load_idx_pair(images, labels, 10); });
  EXPECT_CONTAINS(msg, images.string() + " holds 5 images");
  EXPECT_CONTAINS(msg, labels.string() + " holds 4 labels");
  EXPECT_CONTAINS(msg, "must have the same count");
}

TEST(IdxErrors, EmptyFile) {
  TempDir dir;
  const fs::path p = dir / "t10k-images-idx3-ubyte";
  write_file(p, {});
  std::string msg = error_of([&] { read_idx_images(p); });
  EXPECT_CONTAINS(msg, p.string());
  EXPECT_CONTAINS(msg, "file is empty (0 bytes)");

  const fs::path q = dir / "t10k-labels-idx1-ubyte.gz";
  write_file(q, {});
  msg = error_of([&] { read_idx_labels(q, 10); });
  EXPECT_CONTAINS(msg, q.string());
  EXPECT_CONTAINS(msg, "file is empty (0 bytes)");
}

TEST(IdxErrors, MissingFileAndDirectoryInsteadOfFile) {
  TempDir dir;
  const fs::path p = dir / "no-such-file-idx3-ubyte";
  std::string msg = error_of([&] { read_idx_images(p); });
  EXPECT_CONTAINS(msg, p.string());
  EXPECT_CONTAINS(msg, "file not found");

  msg = error_of([&] { read_idx_labels(dir.path(), 10); });
  EXPECT_CONTAINS(msg, dir.path().string());
  EXPECT_CONTAINS(msg, "is a directory");
}

TEST(IdxErrors, EveryTruncationAndByteFlipFailsCleanly) {
  // Robustness: every prefix of a valid file and every single-byte change of
  // its header either reads or throws vknn::Error, plain and gzipped.
  TempDir dir;
  const Bytes valid = idx_bytes(kImages, {3, 4, 5}, pattern(60));
  const Bytes valid_gz = gzip(valid);
  const fs::path p = dir / "images";
  for (const Bytes* src : {&valid, &valid_gz}) {
    for (std::size_t n = 0; n < src->size(); ++n) {
      write_file(p, Bytes(src->begin(), src->begin() + static_cast<std::ptrdiff_t>(n)));
      const std::string msg = error_of([&] { read_idx_images(p); });
      EXPECT_CONTAINS(msg, p.string()) << " (prefix of " << n << " bytes)";
    }
    for (std::size_t i = 0; i < std::min<std::size_t>(src->size(), 24); ++i) {
      for (std::uint8_t flip : {0x01, 0x80, 0xff}) {
        Bytes b = *src;
        b[i] ^= flip;
        write_file(p, b);
        try {
          (void)read_idx_images(p);
        } catch (const vknn::Error& e) {
          EXPECT_CONTAINS(e.what(), p.string());
        } catch (const std::exception& e) {
          ADD_FAILURE() << "byte " << i << " ^ " << int(flip) << ": not a vknn::Error: " << e.what();
        }
      }
    }
  }
}

// --------------------------------------------------------------- writer errors

TEST(IdxWriter, RejectsWhatTheReaderWouldReject) {
  TempDir dir;
  const fs::path p = dir / "images";
  ImageSet bad = sample_images(2, 3, 3);
  bad.pixels.pop_back();
  std::string msg = error_of([&] { write_idx_images(p, bad); });
  EXPECT_CONTAINS(msg, "write_idx_images");
  EXPECT_CONTAINS(msg, p.string());
  EXPECT_CONTAINS(msg, "pixels holds 17 bytes, expected 2*3*3");

  ImageSet empty;
  msg = error_of([&] { write_idx_images(p, empty); });
  EXPECT_CONTAINS(msg, "dimensions must be positive");

  msg = error_of([&] { write_idx_labels(dir / "labels", {}); });
  EXPECT_CONTAINS(msg, "no labels");
  EXPECT_FALSE(fs::exists(p));
  EXPECT_FALSE(fs::exists(dir / "labels"));
}

TEST(IdxWriter, MissingFolderIsAnErrorNamingIt) {
  TempDir dir;
  const fs::path p = dir / "no-such-folder" / "labels";
  const std::string msg = error_of([&] { write_idx_labels(p, sample_labels(3, 10)); });
  EXPECT_CONTAINS(msg, p.string());
  EXPECT_CONTAINS(msg, "cannot create a temporary file");
}

// --------------------------------------------------------------- datasets

void write_dataset(const fs::path& dir, const std::string& suffix, std::int64_t train, std::int64_t test,
                   int rows = 28, int cols = 28) {
  fs::create_directories(dir);
  write_idx_images(dir / ("train-images-idx3-ubyte" + suffix), sample_images(train, rows, cols, 1));
  write_idx_labels(dir / ("train-labels-idx1-ubyte" + suffix), sample_labels(static_cast<std::size_t>(train), 10));
  write_idx_images(dir / ("t10k-images-idx3-ubyte" + suffix), sample_images(test, rows, cols, 2));
  write_idx_labels(dir / ("t10k-labels-idx1-ubyte" + suffix), sample_labels(static_cast<std::size_t>(test), 10));
}

TEST(IdxDataset, LoadsTheStandardNamesPlainOrGzipped) {
  TempDir dir;
  write_dataset(dir / "plain", "", 30, 10);
  write_dataset(dir / "gz", ".gz", 30, 10);
  for (const char* sub : {"plain", "gz"}) {
    const DatasetSplits d = load_fashion_mnist(dir / sub);
    EXPECT_EQ(d.train.size(), 30) << sub;
    EXPECT_EQ(d.test.size(), 10) << sub;
    EXPECT_EQ(d.train.images.pixels, sample_images(30, 28, 28, 1).pixels) << sub;
    EXPECT_EQ(d.test.labels, sample_labels(10, 10)) << sub;
    EXPECT_EQ(d.train.num_classes, 10);
  }
  EXPECT_EQ(load_mnist(dir / "gz").test.images.count, 10);
}

TEST(IdxDataset, MissingFolderSaysToRunGetData) {
  TempDir dir;
  const fs::path missing = dir / "fashion-mnist";
  std::string msg = error_of([&] { load_fashion_mnist(missing); });
  EXPECT_CONTAINS(msg, "Fashion-MNIST");
  EXPECT_CONTAINS(msg, missing.string());
  EXPECT_CONTAINS(msg, "does not exist");
  EXPECT_CONTAINS(msg, "scripts/get_data.sh");

  msg = error_of([&] { load_mnist(missing); });
  EXPECT_CONTAINS(msg, "MNIST");
  EXPECT_CONTAINS(msg, "scripts/get_data.sh");
}

TEST(IdxDataset, MissingFileSaysToRunGetData) {
  TempDir dir;
  write_dataset(dir.path(), "", 10, 10);
  fs::remove(dir / "t10k-labels-idx1-ubyte");
  const std::string msg = error_of([&] { load_fashion_mnist(dir.path()); });
  EXPECT_CONTAINS(msg, (dir / "t10k-labels-idx1-ubyte").string());
  EXPECT_CONTAINS(msg, "not found");
  EXPECT_CONTAINS(msg, "scripts/get_data.sh");
}

TEST(IdxDataset, TrainAndTestImageSizesMustAgree) {
  TempDir dir;
  write_dataset(dir.path(), "", 10, 10);
  write_idx_images(dir / "t10k-images-idx3-ubyte", sample_images(10, 28, 27));
  const std::string msg = error_of([&] { load_mnist(dir.path()); });
  EXPECT_CONTAINS(msg, dir.path().string());
  EXPECT_CONTAINS(msg, "test images are 28x27 but training images are 28x28");
}

}  // namespace
}  // namespace vknn::data
