// IDX datasets: the file format of MNIST and Fashion-MNIST (what Keras,
// PyTorch and the original sites use), read strictly.
//
// An IDX file is a big-endian header followed by the raw payload:
//   images: magic 0x00000803 (unsigned bytes, 3 dimensions), count, rows,
//           cols, then count*rows*cols bytes, row-major, one image after
//           the other;
//   labels: magic 0x00000801 (unsigned bytes, 1 dimension), count, then
//           count bytes.
// The readers accept nothing else: the magic must match exactly, every
// dimension must be positive, the file size must equal header plus payload
// (no truncation, no trailing bytes), labels must be below num_classes, and a
// pair's image and label counts must be equal. Gzipped files (gzip magic
// 1f 8b, or a ".gz" suffix) are decompressed through zlib and read the same
// way. Every error throws vknn::Error naming the file and the problem.
//
// Datasets on disk come from scripts/get_data.sh, which writes
//   <data>/fashion-mnist/ and <data>/mnist/ with the standard names
//   train-images-idx3-ubyte, train-labels-idx1-ubyte,
//   t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte.
// Both are the official releases in the official split and order: the
// Fashion-MNIST files are Zalando's, unpacked from Debian's package
// dataset-fashion-mnist (kDebianFashionMnistDir, which load_fashion_mnist
// also reads as it is, gzipped); MNIST's are LeCun's. The order is shuffled,
// not grouped by class, so a prefix of a split is only roughly balanced.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

namespace vknn::data {

// count images of rows x cols unsigned bytes, stored one after the other,
// each row-major (pixel (r, c) of image i at pixels[(i*rows + r)*cols + c]).
struct ImageSet {
  std::int64_t count = 0;
  int rows = 0;
  int cols = 0;
  std::vector<std::uint8_t> pixels;  // count * rows * cols bytes

  std::size_t image_size() const {
    return static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
  }
  // The pixels of image i (no bounds check beyond what span gives).
  std::span<const std::uint8_t> image(std::int64_t i) const {
    return {pixels.data() + static_cast<std::size_t>(i) * image_size(), image_size()};
  }
};

// Images with one label each, label[i] in [0, num_classes).
struct LabeledImages {
  ImageSet images;
  std::vector<std::uint8_t> labels;
  int num_classes = 0;

  std::int64_t size() const { return images.count; }
};

struct DatasetSplits {
  LabeledImages train;
  LabeledImages test;
};

// Reads an IDX image file (magic 0x00000803), plain or gzipped.
ImageSet read_idx_images(const std::filesystem::path& path);

// Reads an IDX label file (magic 0x00000801), plain or gzipped; every label
// must be below num_classes (1..256).
std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& path, int num_classes);

// Reads an image file and its label file; their counts must be equal.
LabeledImages load_idx_pair(const std::filesystem::path& images_path,
                            const std::filesystem::path& labels_path, int num_classes);

// Reads the standard four files (train-images-idx3-ubyte, train-labels-idx1-ubyte,
// t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each also accepted with ".gz"
// appended) from dir. Train and test images must have the same size.
// `dataset_name` only appears in error messages. A missing folder or file is
// an error that says to run scripts/get_data.sh.
DatasetSplits load_idx_dataset(const std::filesystem::path& dir, int num_classes,
                               const char* dataset_name = "IDX dataset");

// Where Debian's package dataset-fashion-mnist puts Zalando's four official
// files (train-images-idx3-ubyte.gz, ...). scripts/get_data.sh unpacks them
// from here (a test checks that it names the same folder), and the Python
// load_data() and the examples fall back to it when there is no
// data/fashion-mnist.
inline constexpr char kDebianFashionMnistDir[] = "/usr/share/datasets/fashion-mnist";

// Fashion-MNIST (10 classes, 28x28) from dir, e.g. <repo>/data/fashion-mnist
// or kDebianFashionMnistDir.
DatasetSplits load_fashion_mnist(const std::filesystem::path& dir);

// MNIST (10 classes, 28x28) from dir, e.g. <repo>/data/mnist.
DatasetSplits load_mnist(const std::filesystem::path& dir);

// Write IDX files atomically: a temporary file in the destination folder,
// fsync, rename over path. On failure the temporary file is removed and
// vknn::Error is thrown; path is then untouched. A path ending in ".gz" is
// written gzip-compressed. The data must be something the readers accept
// (positive dimensions, pixels.size() == count*rows*cols, non-empty labels,
// counts that fit the 32-bit header).
void write_idx_images(const std::filesystem::path& path, const ImageSet& images);
void write_idx_labels(const std::filesystem::path& path, std::span<const std::uint8_t> labels);

}  // namespace vknn::data
