// The example programs run as a user runs them: explore_convolutions on a
// small picture (checked pixel by pixel against a computation here), and
// the flag mistakes every program reports with exit status 2.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

#include "common/image_io.hpp"
#include "examples/example_test_support.hpp"

namespace vknn_examples_test {
namespace {

using vknn::examples::Image8;
using vknn::examples::read_image;

// data/fashion-mnist, where scripts/get_data.sh puts the files; empty when
// they are not there (the tests that train on them skip).
fs::path repo_fashion_mnist() {
  const fs::path data = fs::path(VKNN_TEST_SOURCE_DIR) / "data" / "fashion-mnist";
  return fs::exists(data / "train-labels-idx1-ubyte") ? data : fs::path();
}

// A w x h binary PGM of whole numbers 0..255, and its pixels.
std::vector<std::uint8_t> write_test_pgm(const fs::path& path, int w, int h, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> pixels(std::size_t(w) * std::size_t(h));
  for (auto& p : pixels) p = std::uint8_t(rng() % 256);
  std::ofstream out(path, std::ios::binary);
  out << "P5\n" << w << " " << h << "\n255\n";
  out.write(reinterpret_cast<const char*>(pixels.data()), std::streamsize(pixels.size()));
  return pixels;
}

// The notebook's loop: valid 3x3 filter, times weight, clipped to 0..255.
std::vector<int> expected_filtered(const std::vector<std::uint8_t>& image, int w, int h,
                                   const std::array<double, 9>& filter, double weight) {
  std::vector<int> out;
  for (int y = 1; y < h - 1; ++y) {
    for (int x = 1; x < w - 1; ++x) {
      double sum = 0;
      for (int r = 0; r < 3; ++r) {
        for (int c = 0; c < 3; ++c) {
          sum += image[std::size_t((y - 1 + r) * w + (x - 1 + c))] * filter[std::size_t(r * 3 + c)];
        }
      }
      sum *= weight;
      out.push_back(int(std::lround(std::clamp(sum, 0.0, 255.0))));
    }
  }
  return out;
}

std::vector<int> expected_pooled(const std::vector<int>& filtered, int w, int h) {
  std::vector<int> out;
  for (int y = 0; y + 1 < h; y += 2) {
    for (int x = 0; x + 1 < w; x += 2) {
      out.push_back(std::max({filtered[std::size_t(y * w + x)], filtered[std::size_t(y * w + x + 1)],
                              filtered[std::size_t((y + 1) * w + x)], filtered[std::size_t((y + 1) * w + x + 1)]}));
    }
  }
  return out;
}

std::vector<int> as_ints(const Image8& image) { return {image.pixels.begin(), image.pixels.end()}; }

void check_explore(const std::string& device_args, const std::string& env) {
  TempDir dir;
  const int w = 13, h = 10;  // odd and even sides: pooling floors 11 -> 5
  const auto pixels = write_test_pgm(dir / "small.pgm", w, h, 7);
  const std::array<double, 9> laplacian{0, 1, 0, 1, -4, 1, 0, 1, 0};
  const std::array<double, 9> custom{1, 2, 1, 0, 0, 0, -1, -2, -1};
  struct Case {
    std::string args;
    std::array<double, 9> filter;
    double weight;
  };
  const Case cases[] = {
      {"", laplacian, 1.0},
      {"--filter=1,2,1,0,0,0,-1,-2,-1 --weight 0.5", custom, 0.5},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.args + " " + device_args);
    const RunResult run =
        run_example("explore_convolutions",
                    "--image " + shell_quote((dir / "small.pgm").string()) + " --out-dir " +
                        shell_quote((dir / "out").string()) + " " + device_args + " " + c.args,
                    dir, env);
    ASSERT_EQ(run.status, 0) << run.out << run.err;
    EXPECT_FALSE(contains(run.err, "validation error")) << run.err;
    EXPECT_TRUE(contains(run.out, "filtered.png: 11x8")) << run.out;
    EXPECT_TRUE(contains(run.out, "pooled.png: 5x4")) << run.out;

    const Image8 filtered = read_image(dir / "out" / "filtered.png");
    const Image8 pooled = read_image(dir / "out" / "pooled.png");
    const Image8 gray = read_image(dir / "out" / "grayscale.png");
    ASSERT_EQ(filtered.channels, 1);
    EXPECT_EQ(filtered.width, w - 2);
    EXPECT_EQ(filtered.height, h - 2);
    EXPECT_EQ(pooled.width, (w - 2) / 2);
    EXPECT_EQ(pooled.height, (h - 2) / 2);
    EXPECT_EQ(gray.pixels, pixels);
    const auto want = expected_filtered(pixels, w, h, c.filter, c.weight);
    EXPECT_EQ(as_ints(filtered), want);
    EXPECT_EQ(as_ints(pooled), expected_pooled(want, w - 2, h - 2));
  }
}

TEST(ExploreConvolutions, SmallPictureOnTheCpuReference) { check_explore("--device cpu", ""); }

TEST(ExploreConvolutions, SmallPictureOnTheDefaultVulkanDevice) {
  check_explore("", "VKNN_VALIDATION=1");
}

TEST(ExploreConvolutions, BuiltInPictureAndColourInput) {
  TempDir dir;
  RunResult run = run_example("explore_convolutions",
                              "--device cpu --filter-name vertical --out-dir " + shell_quote((dir / "a").string()),
                              dir);
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(read_image(dir / "a" / "filtered.png").width, 510);
  EXPECT_EQ(read_image(dir / "a" / "pooled.png").height, 255);

  // A colour PNG goes through luma: a uniform colour stays uniform, so
  // every filter with taps summing to 0 gives black.
  vknn::examples::write_png(dir / "rgb.png", Image8{6, 5, 3, std::vector<std::uint8_t>(90, 77)});
  run = run_example("explore_convolutions",
                    "--device cpu --image " + shell_quote((dir / "rgb.png").string()) + " --out-dir " +
                        shell_quote((dir / "b").string()),
                    dir);
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_TRUE(contains(run.out, "converted to grayscale")) << run.out;
  EXPECT_EQ(read_image(dir / "b" / "filtered.png").pixels, std::vector<std::uint8_t>(4 * 3, 0));
}

TEST(ExploreConvolutions, Mistakes) {
  TempDir dir;
  RunResult run = run_example("explore_convolutions", "--filter-name sobel", dir);
  expect_exit_saying(run, 2, "Usage: explore_convolutions");
  EXPECT_TRUE(contains(run.err, "--filter-name: expected one of laplacian, horizontal, vertical, got 'sobel'"))
      << run.err;

  run = run_example("explore_convolutions", "--filter 1,2,3", dir);
  expect_exit_saying(run, 2, "--filter: a 3x3 filter has 9 numbers");

  run = run_example("explore_convolutions", "--filter 0,0,0,0,1,0,0,0,0 --filter-name vertical", dir);
  expect_exit_saying(run, 2, "give either --filter or --filter-name, not both");

  run = run_example("explore_convolutions", "--device cpu --image " + shell_quote((dir / "none.png").string()), dir);
  expect_exit_saying(run, 1, "error: cannot read image");
  EXPECT_FALSE(contains(run.err, "Usage:")) << run.err;

  write_test_pgm(dir / "tiny.pgm", 3, 3, 1);
  run = run_example("explore_convolutions", "--device cpu --image " + shell_quote((dir / "tiny.pgm").string()), dir);
  expect_exit_saying(run, 1, "needs at least 4x4");

  run = run_example("explore_convolutions", "--device no-such-gpu-anywhere", dir);
  expect_exit_saying(run, 2, "--device: 'no-such-gpu-anywhere' matches no Vulkan device");
}

TEST(TrainingPrograms, FlagMistakesExitWithStatus2) {
  TempDir dir;
  struct Case {
    const char* program;
    std::string args;
    std::string message;
  };
  const Case cases[] = {
      {"train_fashion_mnist", "--filters 48", "--filters: expected one of 16, 32, 64, got 48"},
      {"train_fashion_mnist", "--epochs abc", "--epochs: 'abc' is not an integer"},
      {"train_fashion_mnist", "--filter 16", "unknown flag --filter (did you mean --filters?)"},
      {"train_fashion_mnist", "--conv-layers 3", "--conv-layers: expected one of 1, 2, got 3"},
      {"train_fashion_mnist", "--batch-size", "--batch-size: missing value"},
      {"train_fashion_mnist", "--seed 1 --seed 2", "--seed: given more than once"},
      {"train_fashion_mnist", "--verbose 3", "--verbose: expected one of 0, 1, 2, got 3"},
      {"train_fashion_mnist", "--learning-rate -1", "--learning-rate: must be greater than 0"},
      {"train_fashion_mnist", "--save " + shell_quote((dir / "missing" / "w.safetensors").string()),
       "--save: the folder"},
      {"train_fashion_mnist", "--load " + shell_quote((dir / "none.safetensors").string()),
       "--load: no file"},
      {"train_fashion_mnist", "--epochs 0 --history h.csv", "--history: there is no training history"},
      {"train_fashion_mnist", "--backup-every 100", "--backup-every: needs --backup-dir DIR"},
      {"train_fashion_mnist", "--backup-every -1 --backup-dir b", "--backup-every: must be"},
      {"train_fashion_mnist", "--checkpoint-best", "--checkpoint-best: needs --checkpoint PATTERN"},
      {"train_fashion_mnist", "--checkpoint 'w-{epoch'",
       "--checkpoint: ModelCheckpoint: filepath \"w-{epoch\" is not a valid template"},
      {"train_fashion_mnist", "--checkpoint 'w-{epoch:.2d}.w'",
       "--checkpoint: ModelCheckpoint: filepath \"w-{epoch:.2d}.w\": the format spec of {epoch:.2d} is not "
       "valid for an integer: Precision not allowed in integer format specifier"},
      {"train_fashion_mnist", "--checkpoint 'w-{val_loss:.2f}.w'",
       "--checkpoint: 'w-{val_loss:.2f}.w' names a validation metric, which needs --validation"},
      {"train_fashion_mnist", "--checkpoint " + shell_quote((dir / "missing" / "w.safetensors").string()),
       "--checkpoint: the folder"},
      {"train_fashion_mnist", "--epochs 0 --checkpoint w.safetensors", "--checkpoint: there is no training"},
      {"train_mnist", "--backup-dir " + shell_quote((dir / "stdout.txt").string()),
       "--backup-dir: '" + (dir / "stdout.txt").string() + "' is a file; give a folder"},
      {"train_mnist", "--filters 16", "--filters: expected one of 32, 64, got 16"},
      {"train_mnist", "--target-accuracy 1.5", "--target-accuracy: must be between 0 and 1, got 1.5"},
      {"visualize_activations", "", "--weights: required"},
      {"visualize_activations", "--weights " + shell_quote((dir / "none.safetensors").string()),
       "--weights: no file"},
      {"visualize_activations", "--images 0,,1", "--images: empty item"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.program) + " " + c.args);
    const RunResult run = run_example(c.program, c.args, dir);
    EXPECT_EQ(run.status, 2) << run.out << run.err;
    EXPECT_TRUE(contains(run.err, "Usage: " + std::string(c.program))) << run.err;
    EXPECT_TRUE(contains(run.err, "error: " + c.message)) << run.err;
  }
}

TEST(TrainingPrograms, HelpAndMissingData) {
  TempDir dir;
  RunResult run = run_example("train_fashion_mnist", "--help", dir);
  EXPECT_EQ(run.status, 0);
  for (const char* flag : {"--filters", "--conv-layers", "--epochs", "--batch-size", "--learning-rate",
                           "--device", "--data-dir", "--seed", "--target-accuracy", "--save", "--load",
                           "--history", "--checkpoint", "--checkpoint-best", "--backup-dir",
                           "--backup-every", "--limit", "--validation",
                           "--verbose"}) {
    EXPECT_TRUE(contains(run.out, flag)) << flag << "\n" << run.out;
  }
  run = run_example("train_mnist", "--help", dir);
  EXPECT_EQ(run.status, 0);
  EXPECT_TRUE(contains(run.out, "(default: 0.998)")) << run.out;

  // A data folder without the files: a runtime error (1) that says how to
  // get them, with no usage text.
  run = run_example("train_fashion_mnist", "--device cpu --data-dir " + shell_quote(dir.path().string()), dir);
  EXPECT_EQ(run.status, 1) << run.out << run.err;
  EXPECT_TRUE(contains(run.err, "scripts/get_data.sh")) << run.err;
  EXPECT_FALSE(contains(run.err, "Usage:")) << run.err;
}

TEST(TrainingPrograms, LimitBeyondTheData) {
  const fs::path data = repo_fashion_mnist();
  if (data.empty()) GTEST_SKIP() << "data/fashion-mnist is missing; run scripts/get_data.sh";
  TempDir dir;
  const RunResult run = run_example(
      "train_fashion_mnist", "--device cpu --limit 70000 --data-dir " + shell_quote(data.string()), dir);
  EXPECT_EQ(run.status, 2) << run.out << run.err;
  EXPECT_TRUE(contains(run.err, "error: --limit: the Fashion-MNIST training set has 60000 samples, got 70000"))
      << run.err;
}

// --checkpoint with --checkpoint-best: a file for each epoch whose val_loss
// improved, and only for those, with the callback's lines saying which.
// The data: data/fashion-mnist, else Debian's files (as the trainer finds them).
TEST(TrainingPrograms, CheckpointFlagsSaveTheEpochsThatImprove) {
  const fs::path data = fs::path(VKNN_TEST_SOURCE_DIR) / "data" / "fashion-mnist";
  if (!fs::exists(data / "train-labels-idx1-ubyte") &&
      !fs::exists("/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz")) {
    GTEST_SKIP() << "no Fashion-MNIST files; run scripts/get_data.sh";
  }
  TempDir dir;
  const fs::path pattern = dir / "w-{epoch:02d}-{val_loss:.3f}.safetensors";
  const RunResult run = run_example(
      "train_fashion_mnist",
      "--device cpu --filters 16 --conv-layers 1 --limit 256 --test-limit 64 --epochs 3 --validation "
      "--verbose 2 --checkpoint-best --checkpoint " + shell_quote(pattern.string()) +
          (fs::exists(data / "train-labels-idx1-ubyte") ? " --data-dir " + shell_quote(data.string()) : ""),
      dir);
  ASSERT_EQ(run.status, 0) << run.out << run.err;
  std::vector<std::string> saved;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("w-", 0) == 0) saved.push_back(name);
  }
  ASSERT_FALSE(saved.empty()) << run.out;
  EXPECT_TRUE(contains(run.out, "Epoch 1: val_loss improved from inf to ")) << run.out;
  int improved = 0;
  for (int epoch = 1; epoch <= 3; ++epoch) {
    const std::string prefix = "w-0" + std::to_string(epoch) + "-";
    const bool file = std::any_of(saved.begin(), saved.end(), [&](const auto& n) { return n.rfind(prefix, 0) == 0; });
    const bool said = contains(run.out, "Epoch " + std::to_string(epoch) + ": val_loss improved from");
    EXPECT_EQ(file, said) << "epoch " << epoch << "\n" << run.out;
    EXPECT_NE(said, contains(run.out, "Epoch " + std::to_string(epoch) + ": val_loss did not improve"));
    improved += said;
  }
  EXPECT_EQ(int(saved.size()), improved);
}

// Week 4's binary classifier on a prefix of the two classes: one epoch over
// 2000 images is far above chance (0.5). Measured on lavapipe with
// --dropout 0.2 on the official files (2026-12-07): test accuracy
// 0.915-0.945 over seeds 0-5 (0.940 with the default seed 0; the npm split
// gave 0.870-0.945), about 3 s a run. The bar of 0.75 leaves room below the
// worst seed and fails on broken training.
TEST(TrainingPrograms, SneakersVsBootsLearns) {
  const fs::path data = repo_fashion_mnist();
  if (data.empty()) GTEST_SKIP() << "data/fashion-mnist is missing; run scripts/get_data.sh";
  TempDir dir;
  const RunResult run = run_example(
      "train_sneakers_vs_boots",
      "--epochs 1 --limit 2000 --test-limit 400 --verbose 2 --dropout 0.2 --data-dir " +
          shell_quote(data.string()),
      dir);
  ASSERT_EQ(run.status, 0) << run.out << run.err;
  EXPECT_TRUE(contains(run.out, "dense_1 (Dense)             (None, 1)")) << run.out;
  EXPECT_TRUE(contains(run.out, "dropout (Dropout)")) << run.out;
  const auto at = run.out.find("test accuracy: ");
  ASSERT_NE(at, std::string::npos) << run.out;
  EXPECT_GT(std::stod(run.out.substr(at + 15)), 0.75) << run.out;
}

}  // namespace
}  // namespace vknn_examples_test
