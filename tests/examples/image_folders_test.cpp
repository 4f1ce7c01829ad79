// make_image_folders and train_from_directory, run as a user runs them.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "example_test_support.hpp"

namespace vknn_examples_test {
namespace {

fs::path fashion_dir() {
  const fs::path repo_data = fs::path(VKNN_TEST_SOURCE_DIR) / "data" / "fashion-mnist";
  if (fs::exists(repo_data / "train-labels-idx1-ubyte")) return repo_data;
  const fs::path debian = "/usr/share/datasets/fashion-mnist";
  if (fs::exists(debian / "train-labels-idx1-ubyte.gz")) return debian;
  return {};
}

// Writes OUT/train and OUT/validation; skips the test without Fashion-MNIST.
void make_folders(const fs::path& out, const std::string& extra, const TempDir& dir) {
  const RunResult run = run_example(
      "make_image_folders",
      "--out " + shell_quote(out.string()) + " --data-dir " + shell_quote(fashion_dir().string()) +
          " " + extra,
      dir);
  ASSERT_EQ(run.status, 0) << run.out << run.err;
}

// Makes picture folders (make_image_folders with `folder_flags`) in
// dir/pictures and runs train_from_directory on its train folder with `flags`.
RunResult train_on_pictures(const TempDir& dir, const std::string& folder_flags,
                            const std::string& flags) {
  const fs::path pictures = dir.path() / "pictures";
  make_folders(pictures, folder_flags, dir);
  return run_example("train_from_directory",
                     "--train-dir " + shell_quote((pictures / "train").string()) + " " + flags, dir);
}

std::vector<std::string> listing(const fs::path& root) {
  std::vector<std::string> names;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) names.push_back(fs::relative(e.path(), root).generic_string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

double value_after(const std::string& text, const std::string& label) {
  const auto at = text.find(label);
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + label.size()));
}

TEST(MakeImageFolders, WritesTheSameFilesEveryTime) {
  if (fashion_dir().empty()) GTEST_SKIP() << "no Fashion-MNIST; run scripts/get_data.sh";
  TempDir dir;
  make_folders(dir.path() / "a", "--size 24 --per-class 3 --validation-per-class 2", dir);
  make_folders(dir.path() / "b", "--size 24 --per-class 3 --validation-per-class 2", dir);
  const auto files = listing(dir.path() / "a");
  EXPECT_EQ(files, (std::vector<std::string>{
                       "train/ankle_boots/ankle_boots_00000.jpg", "train/ankle_boots/ankle_boots_00001.png",
                       "train/ankle_boots/ankle_boots_00002.jpg", "train/sneakers/sneakers_00000.png",
                       "train/sneakers/sneakers_00001.jpg", "train/sneakers/sneakers_00002.png",
                       "validation/ankle_boots/ankle_boots_00000.png",
                       "validation/ankle_boots/ankle_boots_00001.jpg",
                       "validation/sneakers/sneakers_00000.png", "validation/sneakers/sneakers_00001.jpg"}));
  EXPECT_EQ(listing(dir.path() / "b"), files);
  for (const auto& f : files) {
    EXPECT_EQ(read_text(dir.path() / "a" / f), read_text(dir.path() / "b" / f)) << f;
  }
}

TEST(MakeImageFolders, Mistakes) {
  TempDir dir;
  RunResult run = run_example("make_image_folders", "--size 24", dir);
  expect_exit_saying(run, 2, "--out: is required");
  run = run_example("make_image_folders", "--out x --set horses", dir);
  expect_exit_saying(run, 2, "sneakers_vs_boots");
}

// The small week-4 model (Conv2D 16/32, Dense 64, sigmoid, RMSprop) on
// 32x32 coloured sneakers and ankle boots, 150 of each for training and 50
// of each for validation, 6 epochs. Measured on lavapipe (2026-12-07):
// validation accuracy 0.90 with the default seed 1337, 0.89-0.92 over seeds
// 0-3, about 13 s a run. The bar of 0.80 (chance is 0.5) fails on broken
// reading or training, not on a seed's luck.
TEST(TrainFromDirectory, LearnsSneakersVsBootsFromPictures) {
  if (fashion_dir().empty()) GTEST_SKIP() << "no Fashion-MNIST; run scripts/get_data.sh";
  TempDir dir;
  const RunResult run = train_on_pictures(
      dir, "--size 32 --per-class 150 --validation-per-class 50",
      "--validation-dir " + shell_quote((dir.path() / "pictures" / "validation").string()) +
          " --size 32 --epochs 6 --verbose 2 --threads 2");
  ASSERT_EQ(run.status, 0) << run.out << run.err;
  EXPECT_TRUE(contains(run.out, "Found 300 files belonging to 2 classes.")) << run.out;
  EXPECT_TRUE(contains(run.out, "Classes: 0=ankle_boots 1=sneakers")) << run.out;
  EXPECT_TRUE(contains(run.out, "(None, 32, 32, 3)") || contains(run.out, "(None, 30, 30, 16)"))
      << run.out;
  EXPECT_GT(value_after(run.out, "Validation accuracy: "), 0.80) << run.out;
}

TEST(TrainFromDirectory, ThreeClassesWithAValidationSplit) {
  if (fashion_dir().empty()) GTEST_SKIP() << "no Fashion-MNIST; run scripts/get_data.sh";
  TempDir dir;
  const RunResult run =
      train_on_pictures(dir, "--set three_classes --size 16 --per-class 20 --validation-per-class 0",
                        "--validation-split 0.25 --size 16 --epochs 1 --verbose 0");
  ASSERT_EQ(run.status, 0) << run.out << run.err;
  EXPECT_TRUE(contains(run.out, "Using 45 files for training.")) << run.out;
  EXPECT_TRUE(contains(run.out, "Using 15 files for validation.")) << run.out;
  EXPECT_TRUE(contains(run.out, "(None, 3)")) << run.out;  // Dense(3, softmax)
  EXPECT_GE(value_after(run.out, "Validation accuracy: "), 0.0) << run.out;
}

TEST(TrainFromDirectory, Mistakes) {
  TempDir dir;
  RunResult run = run_example("train_from_directory", "--epochs 1", dir);
  expect_exit_saying(run, 2, "--train-dir: is required");
  fs::create_directories(dir.path() / "flat");
  run = run_example("train_from_directory",
                    "--train-dir " + shell_quote((dir.path() / "flat").string()), dir);
  expect_exit_saying(run, 1, "has no class subfolders");
}

}  // namespace
}  // namespace vknn_examples_test
