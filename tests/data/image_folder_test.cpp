// data::read_image_folder: Keras's folder rules (class order, file order,
// the numpy shuffle, the validation split), decoding and resizing, and
// every bad input named.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "data/numpy_shuffle.hpp"
#include "data/picture_decoder.hpp"
#include "data/resize.hpp"
#include "data_test_support.hpp"
#include "picture_files.hpp"
#include "vknn/data/image_folder.hpp"

namespace vknn::data::testing {
namespace {

using Pixels = std::vector<std::uint8_t>;

// A w x h RGB picture whose every pixel is (r, g, b).
Pixels flat_rgb(int w, int h, std::uint8_t r, std::uint8_t g, std::uint8_t b) {
  Pixels p;
  for (int i = 0; i < w * h; ++i) p.insert(p.end(), {r, g, b});
  return p;
}

// Writes a 4x4 PNG whose red value is `tag`, so a sample names its file.
void tagged_png(const fs::path& path, std::uint8_t tag) {
  fs::create_directories(path.parent_path());
  write_file(path, png_bytes(4, 4, 3, flat_rgb(4, 4, tag, 0, 0)));
}

ImageFolderOptions small(int size = 4) {
  ImageFolderOptions o;
  o.height = size;
  o.width = size;
  o.verbose = 0;
  o.shuffle = false;
  return o;
}

std::vector<std::string> names(const std::vector<fs::path>& files, const fs::path& root) {
  std::vector<std::string> out;
  for (const auto& f : files) out.push_back(fs::relative(f, root).generic_string());
  return out;
}

TEST(ImageFolder, ClassesInByteOrderFilesSortedPerFolderOthersSkipped) {
  TempDir dir;
  const fs::path root = dir.path();
  tagged_png(root / "b" / "2.png", 1);
  tagged_png(root / "b" / "10.PNG", 2);  // upper-case extension counts
  tagged_png(root / "a" / "x.png", 3);
  tagged_png(root / "a" / "sub" / "y.png", 4);
  tagged_png(root / "C" / "z.png", 5);
  tagged_png(root / ".ipynb_checkpoints" / "w.png", 6);  // a dot folder is no class
  write_text(root / "a" / "notes.txt", "not a picture");
  write_text(root / "README.md", "top-level files are no class");

  const auto data = read_image_folder(root, small());
  EXPECT_EQ(data.class_names, (std::vector<std::string>{"C", "a", "b"}));
  EXPECT_EQ(names(data.files, root),
            (std::vector<std::string>{"C/z.png", "a/x.png", "a/sub/y.png", "b/10.PNG", "b/2.png"}));
  EXPECT_EQ(data.labels, (Pixels{0, 1, 1, 2, 2}));
  EXPECT_EQ(data.skipped_files, 1);
  ASSERT_EQ(data.count, 5);
  EXPECT_EQ(data.shape(), (std::vector<int>{4, 4, 3}));
  // Sample i holds the pixels of file i.
  const Pixels tags = {5, 3, 4, 2, 1};
  for (std::size_t i = 0; i < tags.size(); ++i) EXPECT_EQ(data.pixels[i * 48], tags[i]) << i;
}

TEST(ImageFolder, GivenClassNamesSetTheLabels) {
  TempDir dir;
  tagged_png(dir.path() / "cats" / "1.png", 1);
  tagged_png(dir.path() / "dogs" / "1.png", 2);
  auto o = small();
  o.class_names = {"dogs", "cats"};
  const auto data = read_image_folder(dir.path(), o);
  EXPECT_EQ(data.class_names, o.class_names);
  EXPECT_EQ(data.labels, (Pixels{0, 1}));
  EXPECT_EQ(data.pixels[0], 2);
}

TEST(ImageFolder, ShuffleIsNumpysLegacyRandomState) {
  // np.random.RandomState(seed).shuffle(list(range(n))), printed by numpy 1.24.
  using Order = std::vector<std::size_t>;
  EXPECT_EQ(detail::numpy_shuffled_order(10, 1337), (Order{6, 3, 0, 4, 5, 2, 1, 9, 8, 7}));
  EXPECT_EQ(detail::numpy_shuffled_order(7, 0), (Order{6, 2, 1, 3, 0, 5, 4}));
  EXPECT_EQ(detail::numpy_shuffled_order(40, 42),
            (Order{19, 16, 15, 26, 4, 12, 37, 27, 39, 6, 25, 9, 13, 31, 34, 8, 17, 24, 0, 33,
                   5, 11, 1, 29, 21, 2, 30, 36, 3, 35, 23, 32, 10, 22, 18, 20, 7, 14, 28, 38}));
}

TEST(ImageFolder, ValidationSplitTakesTheLastFractionOfTheShuffledOrder) {
  TempDir dir;
  for (int i = 0; i < 6; ++i) tagged_png(dir.path() / "a" / ("a" + std::to_string(i) + ".png"), 0);
  for (int i = 0; i < 4; ++i) tagged_png(dir.path() / "b" / ("b" + std::to_string(i) + ".png"), 0);
  auto o = small();
  o.shuffle = true;
  o.seed = 1337;
  const auto all = index_image_folder(dir.path(), o);
  ASSERT_EQ(all.files.size(), 10u);
  // Unshuffled: a0..a5, b0..b3; numpy's order for seed 1337 above.
  EXPECT_EQ(names(all.files, dir.path())[0], "b/b0.png");  // element 6
  EXPECT_EQ(names(all.files, dir.path())[1], "a/a3.png");  // element 3

  o.validation_split = 0.25;  // int(0.25 * 10) = 2 validation files
  o.subset = Subset::training;
  const auto training = index_image_folder(dir.path(), o);
  o.subset = Subset::validation;
  const auto validation = index_image_folder(dir.path(), o);
  EXPECT_EQ(training.files, std::vector<fs::path>(all.files.begin(), all.files.begin() + 8));
  EXPECT_EQ(validation.files, std::vector<fs::path>(all.files.begin() + 8, all.files.end()));
  EXPECT_EQ(validation.labels, Pixels(all.labels.begin() + 8, all.labels.end()));
  EXPECT_EQ(training.files_found, 10);
}

TEST(ImageFolder, DecodesPngJpegBmpAndGif) {
  TempDir dir;
  const Pixels rgb = flat_rgb(4, 4, 200, 100, 50);
  fs::create_directories(dir.path() / "x");
  write_file(dir.path() / "x" / "1.png", png_bytes(4, 4, 3, rgb));
  write_file(dir.path() / "x" / "2.jpg", jpeg_bytes(4, 4, 3, rgb));
  write_file(dir.path() / "x" / "3.bmp", bmp_bytes(4, 4, 3, rgb));
  write_file(dir.path() / "x" / "4.gif", red_pixel_gif());
  const auto data = read_image_folder(dir.path(), small());
  ASSERT_EQ(data.count, 4);
  for (int i = 0; i < 3; ++i) {
    for (int k = 0; k < 16; ++k) {
      for (int c = 0; c < 3; ++c) {
        // JPEG (libjpeg-turbo) is lossy: a flat colour comes back within a few levels.
        EXPECT_NEAR(data.pixels[std::size_t(i * 48 + k * 3 + c)], rgb[std::size_t(c)], 3)
            << "file " << i << " pixel " << k;
      }
    }
  }
  // The GIF's one red pixel, resized to 4x4.
  EXPECT_EQ(Pixels(data.pixels.begin() + 144, data.pixels.end()), flat_rgb(4, 4, 255, 0, 0));
}

TEST(ImageFolder, ColorModesFollowStbsConversions) {
  TempDir dir;
  fs::create_directories(dir.path() / "x");
  write_file(dir.path() / "x" / "rgb.png", png_bytes(1, 1, 3, {200, 100, 50}));
  write_file(dir.path() / "x" / "shade.png", png_bytes(1, 1, 1, {77}));
  auto o = small(1);
  o.color_mode = ColorMode::grayscale;
  auto data = read_image_folder(dir.path(), o);
  EXPECT_EQ(data.channels, 1);
  EXPECT_EQ(data.pixels, (Pixels{(77 * 200 + 150 * 100 + 29 * 50) >> 8, 77}));
  o.color_mode = ColorMode::rgb;
  data = read_image_folder(dir.path(), o);
  EXPECT_EQ(data.pixels, (Pixels{200, 100, 50, 77, 77, 77}));
  o.color_mode = ColorMode::rgba;
  data = read_image_folder(dir.path(), o);
  EXPECT_EQ(data.pixels, (Pixels{200, 100, 50, 255, 77, 77, 77, 255}));
}

TEST(ImageFolder, SixteenBitPngKeepsTheTopByteAndPalettePngIsExpanded) {
  TempDir dir;
  fs::create_directories(dir.path() / "x");
  // 16-bit grey, 2x1: 0x1234, 0xABCD.
  write_file(dir.path() / "x" / "a16.png", handmade_png(2, 1, 16, 0, {0x12, 0x34, 0xab, 0xcd}));
  // Palette (colour type 3), 8 bits per index, 2x1: indices 1, 0.
  write_file(dir.path() / "x" / "b_palette.png",
             handmade_png(2, 1, 8, 3, {1, 0}, {10, 20, 30, 40, 50, 60}));
  auto o = small();
  o.height = 1;
  o.width = 2;
  o.color_mode = ColorMode::rgb;
  const auto data = read_image_folder(dir.path(), o);
  EXPECT_EQ(data.pixels, (Pixels{0x12, 0x12, 0x12, 0xab, 0xab, 0xab, 40, 50, 60, 10, 20, 30}));
}

TEST(ImageFolder, BilinearAndNearestAreTensorFlowsHalfPixelResize) {
  // Up: 1x2 -> 1x4. Source x of output o is (o + 0.5) / 2 - 0.5 = -0.25,
  // 0.25, 0.75, 1.25: clamped to 0, 0 + 0.25, 0 + 0.75, clamped to 1.
  Pixels out(4);
  detail::resize_picture(Pixels{0, 255}, 1, 2, 1, out, 1, 4, Interpolation::bilinear);
  EXPECT_EQ(out, (Pixels{0, 64, 191, 255}));  // 63.75 -> 64, 191.25 -> 191
  // Down: 1x4 -> 1x2 at 0.5 and 2.5: the mean of each pair.
  Pixels down(2);
  detail::resize_picture(Pixels{0, 100, 200, 250}, 1, 4, 1, down, 1, 2, Interpolation::bilinear);
  EXPECT_EQ(down, (Pixels{50, 225}));
  // Nearest: floor((o + 0.5) * 2) = 1, 3.
  detail::resize_picture(Pixels{0, 100, 200, 250}, 1, 4, 1, down, 1, 2, Interpolation::nearest);
  EXPECT_EQ(down, (Pixels{100, 250}));
  // Rows and columns together, 2x2 -> 3x3 (scale 2/3: sources -1/6, 1/2, 7/6).
  Pixels grid(9);
  detail::resize_picture(Pixels{0, 90, 180, 255}, 2, 2, 1, grid, 3, 3, Interpolation::bilinear);
  // Middle row: half way between the rows: 90 (left), 131.25 (centre), 172.5 (right).
  EXPECT_EQ(grid, (Pixels{0, 45, 90, 90, 131, 173, 180, 218, 255}));
}

TEST(ImageFolder, TheResultDoesNotDependOnTheThreadCount) {
  TempDir dir;
  for (int i = 0; i < 23; ++i) {
    const auto cls = i % 3 == 0 ? "p" : "q";
    tagged_png(dir.path() / cls / (std::to_string(i) + ".png"), std::uint8_t(i * 11));
  }
  auto o = small(7);
  o.shuffle = true;
  o.seed = 5;
  o.threads = 1;
  const auto one = read_image_folder(dir.path(), o);
  o.threads = 4;
  const auto four = read_image_folder(dir.path(), o);
  EXPECT_EQ(one.pixels, four.pixels);
  EXPECT_EQ(one.labels, four.labels);
  EXPECT_EQ(one.files, four.files);
}

TEST(ImageFolder, PrintsKerasLines) {
  TempDir dir;
  for (int i = 0; i < 5; ++i) tagged_png(dir.path() / "a" / (std::to_string(i) + ".png"), 1);
  for (int i = 0; i < 5; ++i) tagged_png(dir.path() / "b" / (std::to_string(i) + ".png"), 1);
  auto o = small();
  o.verbose = 1;
  o.shuffle = true;
  o.seed = 1;
  o.validation_split = 0.2;
  o.subset = Subset::validation;
  std::FILE* out = std::tmpfile();
  o.output = out;
  read_image_folder(dir.path(), o);
  std::rewind(out);
  char text[256] = {};
  const auto n = std::fread(text, 1, sizeof text - 1, out);
  std::fclose(out);
  EXPECT_EQ(std::string(text, n), "Found 10 files belonging to 2 classes.\nUsing 2 files for validation.\n");
}

TEST(ImageFolder, BigFoldersShowAProgressLine) {
  TempDir dir;
  const auto png = png_bytes(2, 2, 3, flat_rgb(2, 2, 9, 9, 9));
  fs::create_directories(dir.path() / "a");
  for (int i = 0; i < 1000; ++i) write_file(dir.path() / "a" / (std::to_string(i) + ".png"), png);
  auto o = small(2);
  o.verbose = 1;
  o.threads = 2;
  std::FILE* out = std::tmpfile();
  o.output = out;
  const auto data = read_image_folder(dir.path(), o);
  std::rewind(out);
  std::string text(4096, '\0');
  text.resize(std::fread(text.data(), 1, text.size(), out));
  std::fclose(out);
  EXPECT_EQ(data.count, 1000);
  EXPECT_CONTAINS(text, "Found 1000 files belonging to 1 classes.\n");
  EXPECT_CONTAINS(text, "\rDecoding pictures: 1000/1000 (2 threads, ");
  EXPECT_EQ(text.back(), '\n');
}

// ---- bad input -------------------------------------------------------------

TEST(ImageFolderErrors, MissingFolderNotAFolderAndNoClassSubfolders) {
  TempDir dir;
  EXPECT_CONTAINS(error_of([&] { read_image_folder(dir.path() / "nope", small()); }),
                  "does not exist");
  write_text(dir.path() / "file.png", "x");
  EXPECT_CONTAINS(error_of([&] { read_image_folder(dir.path() / "file.png", small()); }),
                  "is not a folder");
  const auto empty = dir.path() / "empty";
  fs::create_directories(empty);
  EXPECT_CONTAINS(error_of([&] { read_image_folder(empty, small()); }), "has no class subfolders");
  // Pictures straight in the folder, no class subfolders: the commonest mistake.
  tagged_png(empty / "1.png", 1);
  EXPECT_CONTAINS(error_of([&] { read_image_folder(empty, small()); }), "has no class subfolders");
}

TEST(ImageFolderErrors, ClassFoldersWithoutPictures) {
  TempDir dir;
  fs::create_directories(dir.path() / "a");
  fs::create_directories(dir.path() / "b");
  write_text(dir.path() / "b" / "notes.txt", "x");
  const auto message = error_of([&] { read_image_folder(dir.path(), small()); });
  EXPECT_CONTAINS(message, "no pictures in the class subfolders");
  EXPECT_CONTAINS(message, "['a', 'b']");
  EXPECT_CONTAINS(message, ".png");
  EXPECT_CONTAINS(message, "1 other files were skipped");
}

TEST(ImageFolderErrors, FilesThatAreNotPicturesAreNamed) {
  TempDir dir;
  tagged_png(dir.path() / "a" / "good.png", 1);
  write_text(dir.path() / "a" / "text.png", "this is not a PNG");
  auto message = error_of([&] { read_image_folder(dir.path(), small()); });
  EXPECT_CONTAINS(message, (dir.path() / "a" / "text.png").string());
  EXPECT_CONTAINS(message, "not a PNG, JPEG, BMP or GIF picture");

  fs::remove(dir.path() / "a" / "text.png");
  write_file(dir.path() / "a" / "empty.jpg", {});
  message = error_of([&] { read_image_folder(dir.path(), small()); });
  EXPECT_CONTAINS(message, (dir.path() / "a" / "empty.jpg").string());
  EXPECT_CONTAINS(message, "empty");
}

TEST(ImageFolderErrors, TruncatedAndCorruptFilesAreNamed) {
  TempDir dir;
  fs::create_directories(dir.path() / "a");
  const auto png = png_bytes(8, 8, 3, flat_rgb(8, 8, 1, 2, 3));
  write_file(dir.path() / "a" / "cut.png", Bytes(png.begin(), png.begin() + std::ptrdiff_t(png.size() / 2)));
  auto message = error_of([&] { read_image_folder(dir.path(), small()); });
  EXPECT_CONTAINS(message, "cut.png");
  EXPECT_CONTAINS(message, "truncated or corrupt");
  fs::remove(dir.path() / "a" / "cut.png");

  // A JPEG cut inside its header, and one cut inside its scan data (which
  // libjpeg only warns about; refused, as TensorFlow refuses it by default).
  const auto jpeg = jpeg_bytes(16, 16, 3, flat_rgb(16, 16, 1, 2, 3));
  write_file(dir.path() / "a" / "cut.jpg", Bytes(jpeg.begin(), jpeg.begin() + 40));
  message = error_of([&] { read_image_folder(dir.path(), small()); });
  EXPECT_CONTAINS(message, "cut.jpg");
  EXPECT_CONTAINS(message, "truncated or corrupt");
  write_file(dir.path() / "a" / "cut.jpg", Bytes(jpeg.begin(), jpeg.end() - 8));
  message = error_of([&] { read_image_folder(dir.path(), small()); });
  EXPECT_CONTAINS(message, "cut.jpg");
  EXPECT_CONTAINS(message, "truncated (libjpeg: Premature end of JPEG file)");
  fs::remove(dir.path() / "a" / "cut.jpg");

  // A chunk declaring more bytes than the file has (stb would reserve them
  // all before reading).
  write_file(dir.path() / "a" / "claims.png",
             handmade_png(2, 2, 8, 0, {1, 2, 3, 4}));
  auto claims = read_file(dir.path() / "a" / "claims.png");
  // The IDAT chunk follows the 8-byte signature and the 25-byte IHDR chunk.
  claims[33] = 0x7f;
  write_file(dir.path() / "a" / "claims.png", claims);
  message = error_of([&] { read_image_folder(dir.path(), small()); });
  EXPECT_CONTAINS(message, "claims.png");
  EXPECT_CONTAINS(message, "chunk at byte 33 runs past the end of the file");
  fs::remove(dir.path() / "a" / "claims.png");

  // A PNG whose compressed data is damaged: its CRC no longer matches...
  // stb does not check CRCs, but the zlib stream is broken.
  auto broken = png;
  for (std::size_t i = 45; i < broken.size() - 20; ++i) broken[i] = 0xff;
  write_file(dir.path() / "a" / "broken.png", broken);
  message = error_of([&] { read_image_folder(dir.path(), small()); });
  EXPECT_CONTAINS(message, "broken.png");
}

// Empty IDAT chunks hold nothing; the decoder drops them, because stb
// copies an empty first one into its still-null buffer (undefined
// behaviour; picture_fuzzer's find). The picture decodes as without them.
TEST(ImageFolder, EmptyDataChunksAreHarmless) {
  const auto png = handmade_png(2, 2, 8, 0, {1, 2, 3, 4});
  // IDAT follows the 8-byte signature and the 25-byte IHDR chunk.
  const PictureBytes empty_idat = {0, 0, 0, 0, 'I', 'D', 'A', 'T', 0xae, 0x42, 0x60, 0x82};
  PictureBytes padded(png.begin(), png.begin() + 33);
  padded.insert(padded.end(), empty_idat.begin(), empty_idat.end());
  const std::uint32_t data_length = std::uint32_t(png[33]) << 24 | std::uint32_t(png[34]) << 16 |
                                    std::uint32_t(png[35]) << 8 | std::uint32_t(png[36]);
  const auto after_data = png.begin() + 33 + 12 + std::ptrdiff_t(data_length);
  padded.insert(padded.end(), png.begin() + 33, after_data);
  padded.insert(padded.end(), empty_idat.begin(), empty_idat.end());
  padded.insert(padded.end(), after_data, png.end());
  ASSERT_EQ(padded.size(), png.size() + 24);

  const auto picture = detail::decode_picture(padded, 1, 1 << 20, "padded.png");
  EXPECT_EQ(picture.width, 2);
  EXPECT_EQ(picture.height, 2);
  EXPECT_EQ(picture.pixels, (Pixels{1, 2, 3, 4}));
}

TEST(ImageFolderErrors, UnreadableFileIsNamed) {
  TempDir dir;
  tagged_png(dir.path() / "a" / "good.png", 1);
  // A link to nothing: listed like a file, it cannot be opened (a
  // permission test would pass when the tests run as root).
  fs::create_symlink(dir.path() / "gone.png", dir.path() / "a" / "link.png");
  const auto message = error_of([&] { read_image_folder(dir.path(), small()); });
  EXPECT_CONTAINS(message, "link.png");
  EXPECT_CONTAINS(message, "cannot be opened");
}

TEST(ImageFolderErrors, TooLargePicturesAreRefusedFromTheirHeader) {
  TempDir dir;
  fs::create_directories(dir.path() / "a");
  // A header claiming 9000 x 9000 with no data: refused from the header,
  // before anything is allocated for it.
  write_file(dir.path() / "a" / "huge.png", handmade_png(9000, 9000, 8, 0, {}));
  auto message = error_of([&] { read_image_folder(dir.path(), small()); });
  EXPECT_CONTAINS(message, "huge.png");
  EXPECT_CONTAINS(message, "9000x9000 pixels, over the limit of 67108864 pixels");
  fs::remove(dir.path() / "a" / "huge.png");
  tagged_png(dir.path() / "a" / "four.png", 1);
  auto o = small();
  o.max_pixels = 15;
  message = error_of([&] { read_image_folder(dir.path(), o); });
  EXPECT_CONTAINS(message, "4x4 pixels, over the limit of 15 pixels");
}

TEST(ImageFolderErrors, TheFirstBadFileInOrderIsNamedWhateverTheThreads) {
  TempDir dir;
  for (int i = 0; i < 30; ++i) tagged_png(dir.path() / "a" / ("f" + std::to_string(100 + i) + ".png"), 1);
  write_text(dir.path() / "a" / "f110.png", "bad");
  write_text(dir.path() / "a" / "f120.png", "bad");
  for (int threads : {1, 2, 5}) {
    auto o = small();
    o.threads = threads;
    EXPECT_CONTAINS(error_of([&] { read_image_folder(dir.path(), o); }), "f110.png");
  }
}

TEST(ImageFolderErrors, OptionsKerasRefuses) {
  TempDir dir;
  tagged_png(dir.path() / "a" / "1.png", 1);
  tagged_png(dir.path() / "b" / "1.png", 1);
  tagged_png(dir.path() / "c" / "1.png", 1);
  auto o = small();
  o.label_mode = LabelMode::binary;
  EXPECT_CONTAINS(error_of([&] { read_image_folder(dir.path(), o); }),
                  "label_mode binary needs exactly 2 classes; the class subfolders are ['a', 'b', 'c']");
  o = small();
  o.class_names = {"a", "b"};
  EXPECT_CONTAINS(error_of([&] { read_image_folder(dir.path(), o); }),
                  "class_names ['a', 'b'] must name each subfolder once");
  o = small();
  o.shuffle = true;
  o.validation_split = 0.5;
  o.subset = Subset::training;
  EXPECT_CONTAINS(error_of([&] { read_image_folder(dir.path(), o); }), "needs a seed");
  o.seed = 1;
  o.validation_split = 0.2;  // int(0.2 * 3) = 0
  EXPECT_CONTAINS(error_of([&] { read_image_folder(dir.path(), o); }), "leaves no validation files");
  o = small();
  o.validation_split = 0.2;
  EXPECT_CONTAINS(error_of([&] { read_image_folder(dir.path(), o); }),
                  "needs subset training or validation");
  o = small();
  o.height = 0;
  EXPECT_CONTAINS(error_of([&] { read_image_folder(dir.path(), o); }), "image size 0x4");
}

TEST(ImageFolder, OneHotLabels) {
  ImageFolderData data;
  data.labels = {2, 0};
  data.class_names = {"a", "b", "c"};
  EXPECT_EQ(data.one_hot(), (std::vector<float>{0, 0, 1, 1, 0, 0}));
}

}  // namespace
}  // namespace vknn::data::testing
