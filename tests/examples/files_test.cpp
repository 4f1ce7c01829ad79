// The examples' file helpers: the CSV history, atomic writes, pictures in
// and out, and the activation grid.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "common/activation_grid.hpp"
#include "common/files.hpp"
#include "common/history_csv.hpp"
#include "common/image_io.hpp"
#include "examples/example_test_support.hpp"
#include "vknn/data/idx.hpp"

namespace vknn::examples {
namespace {

using vknn_examples_test::read_text;
using vknn_examples_test::TempDir;
namespace fs = std::filesystem;

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(HistoryCsv, KerasCsvLoggerLayout) {
  History history;
  history.epoch = {0, 1};
  history.history["loss"] = {0.4393, 0.2972};
  history.history["accuracy"] = {0.8398, 0.8912};
  EXPECT_EQ(history_csv(history),
            "epoch,accuracy,loss\n"
            "0,0.8398,0.4393\n"
            "1,0.8912,0.2972\n");
  history.history["val_loss"] = {0.35, std::numeric_limits<double>::quiet_NaN()};
  history.history["val_accuracy"] = {0.87, 0.1 + 0.2};
  EXPECT_EQ(history_csv(history),
            "epoch,accuracy,loss,val_accuracy,val_loss\n"
            "0,0.8398,0.4393,0.87,0.35\n"
            "1,0.8912,0.2972,0.30000000000000004,nan\n");
}

TEST(HistoryCsv, EmptyHistoryIsAHeader) { EXPECT_EQ(history_csv(History{}), "epoch\n"); }

TEST(HistoryCsv, RaggedHistoryIsAnError) {
  History history;
  history.epoch = {0, 1};
  history.history["loss"] = {0.5};
  EXPECT_THROW(history_csv(history), std::runtime_error);
}

TEST(HistoryCsv, WrittenAtomically) {
  TempDir dir;
  History history;
  history.epoch = {0};
  history.history["loss"] = {1.5};
  history.history["accuracy"] = {0.25};
  write_file_atomically(dir / "history.csv", std::string("old contents that are longer\n"));
  write_history_csv(dir / "history.csv", history);
  EXPECT_EQ(read_text(dir / "history.csv"), "epoch,accuracy,loss\n0,0.25,1.5\n");
  // Nothing but the file itself is left behind.
  EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"history.csv"});
  // A missing folder is an error that names the path, and creates nothing.
  try {
    write_history_csv(dir / "missing" / "history.csv", history);
    ADD_FAILURE() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
  }
  EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"history.csv"});
}

TEST(ImageIo, PngRoundTrip) {
  TempDir dir;
  Image8 rgb{3, 2, 3, {255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90}};
  write_png(dir / "rgb.png", rgb);
  const Image8 back = read_image(dir / "rgb.png");
  EXPECT_EQ(back.width, 3);
  EXPECT_EQ(back.height, 2);
  EXPECT_EQ(back.channels, 3);
  EXPECT_EQ(back.pixels, rgb.pixels);
  EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"rgb.png"});
}

// read_image decodes PNG, JPEG, BMP and GIF through the library
// (vknn::data::read_picture), not through stb alone: Debian's stb_image
// 2.27 reads out of bounds on some corrupt JPEGs (found by picture_fuzzer;
// docs/image-folders.md). The fuzzer's two stb-breaking inputs and a cut
// JPEG are refused naming the file (stb refuses them too without a
// sanitizer, so that part only guards the messages). What shows the route:
// a gray + alpha PNG comes back as RGBA, which the library decodes and stb
// would return as 2 channels.
TEST(ImageIo, PicturesAreDecodedByTheLibraryNotStbAlone) {
  TempDir dir;
  Image8 picture{16, 16, 3, std::vector<std::uint8_t>(16 * 16 * 3)};
  for (std::size_t i = 0; i < picture.pixels.size(); ++i) picture.pixels[i] = std::uint8_t(i * 37);
  const std::vector<std::uint8_t> jpeg = encode_jpeg(picture);
  const fs::path cut = dir / "cut.jpg";
  write_file_atomically(cut, std::string(jpeg.begin(), jpeg.begin() + std::ptrdiff_t(jpeg.size() * 3 / 4)));
  const fs::path corpus = fs::path(VKNN_TEST_SOURCE_DIR) / "tests" / "fuzz" / "corpus" / "picture_fuzzer";
  std::vector<fs::path> refused = {cut};
  for (const char* name : {"stb-2.27-jpeg-huffman-out-of-bounds", "stb-2.27-png-chunk-claims-2gib"}) {
    // The fuzzer's inputs start with one byte of its own (the channels).
    const std::string bytes = read_text(corpus / name).substr(1);
    refused.push_back(dir / (std::string(name) + (bytes[1] == 'P' ? ".png" : ".jpg")));
    write_file_atomically(refused.back(), bytes);
  }
  for (const fs::path& path : refused) {
    try {
      read_image(path);
      ADD_FAILURE() << path << " was read";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    }
  }
  Image8 gray_alpha{2, 1, 2, {10, 255, 200, 128}};
  write_png(dir / "gray_alpha.png", gray_alpha);
  const Image8 back = read_image(dir / "gray_alpha.png");
  EXPECT_EQ(back.channels, 4);
  EXPECT_EQ(back.pixels, (std::vector<std::uint8_t>{10, 10, 10, 255, 200, 200, 200, 128}));
  // The whole JPEG reads, through the same path.
  write_file_atomically(dir / "whole.jpg", std::string(jpeg.begin(), jpeg.end()));
  EXPECT_EQ(read_image(dir / "whole.jpg").width, 16);
}

TEST(ImageIo, ReadsBinaryPgm) {
  TempDir dir;
  const std::string pgm = std::string("P5\n# a comment\n3 2\n255\n") + std::string("\x00\x10\x20\x30\x40\xff", 6);
  write_file_atomically(dir / "small.pgm", pgm);
  const Image8 image = read_image(dir / "small.pgm");
  EXPECT_EQ(image.width, 3);
  EXPECT_EQ(image.height, 2);
  EXPECT_EQ(image.channels, 1);
  EXPECT_EQ(image.pixels, (std::vector<std::uint8_t>{0x00, 0x10, 0x20, 0x30, 0x40, 0xff}));
}

TEST(ImageIo, ReadErrorsNameTheFile) {
  TempDir dir;
  const auto message = [](const fs::path& path) {
    try {
      read_image(path);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(message(dir / "none.png"), "cannot read image '" + (dir / "none.png").string() + "': no such file");
  write_file_atomically(dir / "garbage.png", std::string("this is not a picture"));
  const std::string garbage = message(dir / "garbage.png");
  EXPECT_NE(garbage.find("garbage.png"), std::string::npos) << garbage;
  EXPECT_NE(garbage.find("expected PNG, JPEG"), std::string::npos) << garbage;
  // A truncated PNG.
  const auto png = encode_png(Image8{4, 4, 1, std::vector<std::uint8_t>(16, 7)});
  write_file_atomically(dir / "cut.png", std::span<const unsigned char>(png.data(), png.size() / 2));
  EXPECT_NE(message(dir / "cut.png").find("cut.png"), std::string::npos);
  EXPECT_NE(message(dir.path()).find("it is a folder"), std::string::npos);
}

TEST(ImageIo, GrayscaleIsLuma) {
  const Image8 rgba{2, 1, 4, {100, 150, 200, 7, 255, 255, 255, 0}};
  const GrayImage gray = to_grayscale(rgba);
  ASSERT_EQ(gray.pixels.size(), 2u);
  EXPECT_NEAR(gray.pixels[0], 0.299 * 100 + 0.587 * 150 + 0.114 * 200, 1e-3);
  EXPECT_NEAR(gray.pixels[1], 255.0, 1e-3);
  const Image8 gray_alpha{1, 1, 2, {42, 0}};
  EXPECT_EQ(to_grayscale(gray_alpha).pixels[0], 42.0f);
}

TEST(ImageIo, ToImage8ClipsLikeTheNotebook) {
  const GrayImage values{6, 1, {-5.0f, 0.4f, 0.5f, 254.6f, 300.0f, std::nanf("")}};
  EXPECT_EQ(to_image8(values).pixels, (std::vector<std::uint8_t>{0, 0, 1, 255, 255, 0}));
}

TEST(ActivationGrid, LayoutNormalisationAndNearestNeighbour) {
  // Two rows, two columns: a 2x2 ramp and a constant 1x1 map.
  const FeatureMap ramp{2, 2, {0, 1, 2, 3}};
  const FeatureMap flat{1, 1, {5}};
  const Image8 grid = compose_grid({{ramp, flat}, {flat, ramp}}, 4, 2, Colormap::gray);
  EXPECT_EQ(grid.width, 4 + 2 + 4);
  EXPECT_EQ(grid.height, 4 + 2 + 4);
  EXPECT_EQ(grid.channels, 1);
  const auto at = [&](int x, int y) { return int(grid.pixels[std::size_t(y * grid.width + x)]); };
  struct Pixel {
    int x, y, value;
  };
  const Pixel expected[] = {
      // The ramp, min 0 -> 0 and max 3 -> 255, each value a 2x2 block.
      {0, 0, 0}, {1, 1, 0}, {2, 0, 85}, {3, 1, 85}, {0, 2, 170}, {3, 3, 255},
      // The gap is white, a constant map is drawn at its lowest colour.
      {4, 0, 255}, {5, 9, 255}, {6, 0, 0}, {0, 4, 255}, {0, 6, 0}, {9, 9, 255}};
  for (const Pixel& p : expected) {
    EXPECT_EQ(at(p.x, p.y), p.value) << "pixel (" << p.x << ", " << p.y << ")";
  }

  const Image8 colour = compose_grid({{ramp}}, 3, 2, Colormap::inferno);
  EXPECT_EQ(colour.channels, 3);
  EXPECT_EQ(colour.width, 3);
  EXPECT_THROW(compose_grid({{ramp}, {}}, 3, 2, Colormap::gray), std::runtime_error);
  EXPECT_THROW(compose_grid({{FeatureMap{2, 2, {1}}}}, 3, 2, Colormap::gray), std::runtime_error);
}

TEST(ActivationGrid, InfernoEndsAndMiddle) {
  // matplotlib: inferno(0) = #000004, inferno(0.5) = #bc3754, inferno(1) = #fcffa4.
  const auto near = [](std::array<std::uint8_t, 3> got, std::array<int, 3> want) {
    for (int k = 0; k < 3; ++k) EXPECT_NEAR(int(got[std::size_t(k)]), want[std::size_t(k)], 4) << k;
  };
  near(inferno(0.0f), {0x00, 0x00, 0x04});
  near(inferno(0.5f), {0xbc, 0x37, 0x54});
  near(inferno(1.0f), {0xfc, 0xff, 0xa4});
  near(inferno(-1.0f), {0x00, 0x00, 0x04});
}

// Fashion-MNIST's last place is Debian's official files; MNIST has none.
TEST(DatasetDir, FashionMnistEndsWithDebiansFolder) {
  const auto fashion = dataset_dir_candidates("fashion-mnist");
  ASSERT_FALSE(fashion.empty());
  EXPECT_EQ(fashion.back(), fs::path(vknn::data::kDebianFashionMnistDir));
  for (const auto& candidate : dataset_dir_candidates("mnist")) {
    EXPECT_NE(candidate, fs::path(vknn::data::kDebianFashionMnistDir));
  }
}

TEST(DatasetDir, CandidatesIncludeTheCurrentFolder) {
  const auto candidates = dataset_dir_candidates("fashion-mnist");
  EXPECT_NE(std::find(candidates.begin(), candidates.end(),
                      fs::current_path() / "data" / "fashion-mnist"),
            candidates.end());
  try {
    find_dataset_dir("no-such-dataset-anywhere");
    ADD_FAILURE() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("scripts/get_data.sh"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vknn::examples
