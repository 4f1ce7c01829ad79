// Users' own pictures: a folder with one subfolder per class, read as Keras's
// tf.keras.utils.image_dataset_from_directory reads it (keras
// src/utils/image_dataset_utils.py and dataset_utils.py), into uint8 NHWC
// pixels and class-index labels that Sequential::fit takes.
//
//   auto train = vknn::data::read_image_folder("horse-or-human", {
//       .height = 300, .width = 300, .validation_split = 0.2,
//       .subset = vknn::data::Subset::training, .seed = 1337});
//   model.fit(vknn::Samples::of_pixels(train.pixels, train.count, train.shape()),
//             train.labels, {.epochs = 15});
//
// What is matched, and how:
// - classes: the subfolders of `directory` (not those whose name starts with
//   a dot, e.g. .ipynb_checkpoints), in byte order of their names (Keras's
//   sorted(listdir)); label i is class_names[i]. Files in each class folder
//   and in its subfolders, recursively, folders in byte order of their
//   paths and files sorted within each, whose name ends (case-insensitively)
//   in .bmp, .gif, .jpeg, .jpg or .png; other files are skipped, as Keras
//   skips them (counted in ImageFolderData::skipped_files).
// - shuffle: the per-class lists concatenated in class order, then shuffled
//   with numpy's legacy RandomState(seed).shuffle (MT19937 seeded as numpy
//   seeds an integer, numpy's bounded draws), so the file order, and so
//   which files a validation split takes, are Keras's for the same seed.
// - validation_split: the last int(split * count) files of that order are
//   the validation subset, the rest the training subset.
// - resizing: TensorFlow's tf.image.resize (half-pixel centres, no
//   antialiasing) bilinear, or nearest; the float result rounded to the
//   nearest uint8 (Keras keeps float32; the difference is at most 0.5/255
//   after dividing by 255). A picture already at the size is copied as is.
// - decoding: JPEG through libjpeg-turbo (TensorFlow's decoder, with its
//   defaults), PNG, BMP and GIF through stb_image, chosen by content.
// - colour: rgb drops alpha and repeats a grey channel; rgba adds alpha
//   255 where there is none; grayscale is libjpeg's luma plane for a JPEG
//   and stb's luma (77 R + 150 G + 29 B) >> 8 otherwise (libpng's, which
//   TensorFlow uses, differs by at most one level). A GIF's first frame is
//   read (expand_animations=False). A 16-bit PNG keeps the top 8 bits of
//   each value, as tf.io.decode_png(dtype=uint8).
//
// Bad input throws vknn::Error naming the folder or the file: a missing
// folder, no class subfolders, no pictures at all, class_names that are not
// the subfolders, a file that cannot be read, one that is not a picture in
// a supported format or is truncated or corrupt, one larger than
// max_pixels (checked from its header before anything is decoded).
// docs/image-folders.md lists each case with its message.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace vknn::data {

enum class ColorMode { grayscale, rgb, rgba };
// Keras's label_mode. `int_labels` ('int', flow_from_directory's 'sparse')
// and `categorical` give the same class indices here: the C++ fit takes
// class indices with sparse categorical cross-entropy, which is the
// categorical cross-entropy of one-hot labels (`one_hot()` makes those for
// other uses). `binary` needs exactly two classes; its labels are 0 and 1.
enum class LabelMode { int_labels, categorical, binary };
enum class Interpolation { bilinear, nearest };
enum class Subset { all, training, validation };

const char* to_string(ColorMode mode);
const char* to_string(LabelMode mode);
const char* to_string(Interpolation interpolation);
const char* to_string(Subset subset);

struct ImageFolderOptions {
  // Keras's image_size=(256, 256): every picture is resized to this.
  int height = 256;
  int width = 256;
  ColorMode color_mode = ColorMode::rgb;
  LabelMode label_mode = LabelMode::int_labels;
  // Empty: the subfolders' names, sorted. Otherwise the same names in the
  // order that gives their labels.
  std::vector<std::string> class_names;
  bool shuffle = true;
  // The seed of the shuffle (numpy's RandomState seeds: 0 .. 2^32-1). Keras
  // draws one when none is given, and so does this (from std::random_device),
  // which makes the order differ from run to run; a validation split with
  // shuffling therefore needs one, as in Keras.
  std::optional<std::uint32_t> seed;
  // In (0, 1) with subset training or validation; 0 with subset all.
  double validation_split = 0.0;
  Subset subset = Subset::all;
  Interpolation interpolation = Interpolation::bilinear;
  bool follow_links = false;
  // Decoding threads; 0: std::thread::hardware_concurrency().
  int threads = 0;
  // The largest picture decoded, in pixels (width x height, read from the
  // file's header before decoding): 8192 x 8192 by default, 256 MiB as RGBA.
  std::int64_t max_pixels = 8192LL * 8192LL;
  // 1: Keras's lines ("Found 2000 files belonging to 2 classes.", "Using
  // 1600 files for training.") and, for 1000 pictures or more, a progress
  // line while decoding. 0: silent.
  int verbose = 1;
  std::FILE* output = stdout;
};

// The files of a folder, in the order read_image_folder returns them.
struct ImageFolderIndex {
  std::vector<std::filesystem::path> files;
  std::vector<std::uint8_t> labels;  // class index per file
  std::vector<std::string> class_names;
  std::int64_t files_found = 0;      // before the validation split
  std::int64_t skipped_files = 0;    // files whose extension is not a picture's
};

struct ImageFolderData {
  std::int64_t count = 0;
  int height = 0;
  int width = 0;
  int channels = 0;  // 1, 3 or 4 (color_mode)
  // count x height x width x channels, NHWC, picture after picture.
  std::vector<std::uint8_t> pixels;
  std::vector<std::uint8_t> labels;  // class indices, 0..classes-1
  std::vector<std::string> class_names;
  LabelMode label_mode = LabelMode::int_labels;
  std::vector<std::filesystem::path> files;  // the source of each sample
  std::int64_t skipped_files = 0;

  std::vector<int> shape() const { return {height, width, channels}; }
  std::size_t picture_bytes() const {
    return std::size_t(height) * std::size_t(width) * std::size_t(channels);
  }
  // count x classes floats, 1 at each sample's class.
  std::vector<float> one_hot() const;
};

// Lists the folder and splits it as read_image_folder does, decoding nothing.
ImageFolderIndex index_image_folder(const std::filesystem::path& directory,
                                    const ImageFolderOptions& options = {});

// Lists, splits, decodes and resizes on `threads` host threads; the result's
// order is the index's whatever the thread count.
ImageFolderData read_image_folder(const std::filesystem::path& directory,
                                  const ImageFolderOptions& options = {});

// One picture file decoded as read_image_folder decodes it (by content:
// JPEG through libjpeg-turbo, PNG, BMP and GIF through stb_image behind the
// library's checks), at its own size, with `channels` (1, 3 or 4) per
// pixel. For programs reading a picture a user names (the examples'
// explore_convolutions): Debian's stb_image 2.27 alone reads out of bounds
// on some corrupt JPEGs and allocates what a PNG's chunk header claims
// (docs/image-folders.md). Throws vknn::Error naming the file: unreadable,
// not a supported picture, truncated or corrupt, over max_pixels.
struct Picture {
  int width = 0;
  int height = 0;
  int channels = 0;
  std::vector<std::uint8_t> pixels;  // height x width x channels, row-major
};
Picture read_picture(const std::filesystem::path& file, int channels,
                     std::int64_t max_pixels = ImageFolderOptions{}.max_pixels);

}  // namespace vknn::data
