// The trainers survive interruptions, run as a user runs them: stopped by
// SIGINT or SIGTERM (exit 130 / 143, a backup and a message), killed with
// SIGKILL during a backup write or while steps run, then started again with
// the same command, they end with weights byte-identical to an
// uninterrupted run. A second signal exits at once and leaves every file
// whole.
//
// Small on purpose: Fashion-MNIST's first 256 images, the 16-filter course
// CNN, 2 epochs of 8 steps, a backup every 2 steps; about 3 s a run on
// lavapipe. VKNN_TEST_CHECKPOINT_WRITE_DELAY_MS holds each backup write
// open (the temporary file written, not yet renamed) so that a signal or a
// kill lands inside a write or while training is still under way, found by
// watching the backup folder, never by sleeping for a guessed time.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <limits>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "examples/example_test_support.hpp"
#include "io/safetensors.hpp"

extern char** environ;

namespace vknn_examples_test {
namespace {

fs::path fashion_dir() { return fs::path(VKNN_TEST_SOURCE_DIR) / "data" / "fashion-mnist"; }

bool have_fashion() { return fs::exists(fashion_dir() / "train-images-idx3-ubyte") ||
                             fs::exists(fashion_dir() / "train-images-idx3-ubyte.gz"); }

// The trainer's arguments: the same command every time, as a user reruns it.
std::vector<std::string> training_args(const TempDir& dir) {
  return {"--limit", "256", "--test-limit", "64", "--epochs", "2", "--filters", "16",
          "--seed", "1", "--verbose", "0", "--data-dir", fashion_dir().string(),
          "--save", (dir / "weights.safetensors").string(),
          "--backup-dir", (dir / "backup").string(), "--backup-every", "2"};
}

// Every run here (the reference, the interrupted and the resumed) takes its
// kernel variants from the device profile, never from the autotuner: the
// runs are separate processes, and tests in other processes tune the same
// shapes into the same cache at the same time, so two runs of one command
// could measure (or read) different winners, e.g. winograd in one and
// register_blocked in the other, and end a few bits apart (seen under the
// sanitizers on a loaded CI machine). Faults are armed by submission count
// too, and the tuner's measurement submissions would move them.
const char* const kNoAutotune = "VKNN_AUTOTUNE=0";

// A running example program, its output in a file.
class Child {
 public:
  Child(const std::vector<std::string>& args, const fs::path& output, int write_delay_ms = 0,
        const std::vector<std::string>& extra_env = {}) {
    const std::string program = example_program("train_fashion_mnist").string();
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
      if (std::strncmp(*e, "VKNN_AUTOTUNE=", 14) != 0) env.emplace_back(*e);
    }
    env.emplace_back(kNoAutotune);
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    if (write_delay_ms > 0) {
      env.push_back("VKNN_TEST_CHECKPOINT_WRITE_DELAY_MS=" + std::to_string(write_delay_ms));
    }
    std::vector<char*> argv{const_cast<char*>(program.c_str())}, envp;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const int error = posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (error != 0) ADD_FAILURE() << "cannot start " << program << ": " << std::strerror(error);
  }
  ~Child() {
    if (pid_ > 0 && !waited_) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }
  void signal(int signal) { ::kill(pid_, signal); }
  // The exit status, or 128 + the signal that killed it (as a shell says).
  int wait() {
    int raw = 0;
    while (::waitpid(pid_, &raw, 0) < 0 && errno == EINTR) {}
    waited_ = true;
    return WIFEXITED(raw) ? WEXITSTATUS(raw) : WIFSIGNALED(raw) ? 128 + WTERMSIG(raw) : -1;
  }

 private:
  pid_t pid_ = -1;
  bool waited_ = false;
};

// Polls until `ready` or 60 s pass; true if ready.
template <class Ready>
bool wait_for(Ready ready) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

bool writing_backup(const fs::path& backup_dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(backup_dir, ec)) {
    if (entry.path().filename().string().rfind("checkpoint.safetensors.tmp-", 0) == 0) return true;
  }
  return false;
}

ino_t inode_of(const fs::path& path) {
  struct stat s {};
  return ::stat(path.c_str(), &s) == 0 ? s.st_ino : 0;
}

std::string file_text(const fs::path& path) { return read_text(path); }

// The weights of an uninterrupted run with the same command (once per binary).
const std::string& reference_weights() {
  static const std::string weights = [] {
    TempDir dir;
    Child child(training_args(dir), dir / "out.txt");
    EXPECT_EQ(child.wait(), 0) << file_text(dir / "out.txt");
    EXPECT_FALSE(fs::exists(dir / "backup")) << "a completed run deletes its backup";
    return file_text(dir / "weights.safetensors");
  }();
  return weights;
}

// Runs the same command to the end and checks it resumed and matched.
void expect_resume_matches(const TempDir& dir, bool expect_backup = true) {
  Child child(training_args(dir), dir / "resumed.txt");
  const int status = child.wait();
  const std::string out = file_text(dir / "resumed.txt");
  ASSERT_EQ(status, 0) << out;
  if (expect_backup) EXPECT_TRUE(contains(out, "Resuming from the backup")) << out;
  EXPECT_FALSE(fs::exists(dir / "backup")) << "the completed run deletes its backup";
  EXPECT_TRUE(file_text(dir / "weights.safetensors") == reference_weights())
      << "the resumed run's weights differ from the uninterrupted run's";
}

// The backup, if there is one, is a whole checkpoint.
void expect_backup_whole(const fs::path& backup) {
  if (!fs::exists(backup)) return;
  const vknn::io::WeightsFile file = vknn::io::load_safetensors(backup);
  bool versioned = false;
  for (const auto& [key, value] : file.metadata) versioned |= key == "vknn.checkpoint";
  EXPECT_TRUE(versioned);
}

class TrainerResume : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    if (!have_fashion()) GTEST_SKIP() << "Fashion-MNIST is not in " << fashion_dir();
    reference_weights();
  }
};

TEST_P(TrainerResume, StopSignalKeepsABackupSaysHowToResumeAndTheSameCommandResumes) {
  const int sig = GetParam();
  TempDir dir;
  const fs::path backup = dir / "backup" / "checkpoint.safetensors";
  {
    Child child(training_args(dir), dir / "stopped.txt", 150);
    ASSERT_TRUE(wait_for([&] { return fs::exists(backup); })) << file_text(dir / "stopped.txt");
    child.signal(sig);
    const int status = child.wait();
    const std::string out = file_text(dir / "stopped.txt");
    EXPECT_EQ(status, 128 + sig) << out;
    EXPECT_TRUE(contains(out, std::string("Training stopped by ") + (sig == SIGINT ? "SIGINT" : "SIGTERM")))
        << out;
    EXPECT_TRUE(contains(out, "is kept in " + backup.string())) << out;
    EXPECT_TRUE(contains(out, "Run the same command again to resume")) << out;
    EXPECT_FALSE(contains(out, "MODEL EVALUATION")) << out;
    EXPECT_FALSE(fs::exists(dir / "weights.safetensors"));
    expect_backup_whole(backup);
  }
  expect_resume_matches(dir);
}

INSTANTIATE_TEST_SUITE_P(Signals, TrainerResume, ::testing::Values(SIGINT, SIGTERM),
                         [](const auto& info) { return info.param == SIGINT ? "Sigint" : "Sigterm"; });

class TrainerKilled : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_fashion()) GTEST_SKIP() << "Fashion-MNIST is not in " << fashion_dir();
    reference_weights();
  }
};

TEST_F(TrainerKilled, DuringABackupWriteThenResumes) {
  TempDir dir;
  const fs::path backup = dir / "backup" / "checkpoint.safetensors";
  {
    Child child(training_args(dir), dir / "killed.txt", 300);
    // A second write under way while the first backup is whole.
    ASSERT_TRUE(wait_for([&] { return fs::exists(backup) && writing_backup(dir / "backup"); }))
        << file_text(dir / "killed.txt");
    child.signal(SIGKILL);
    EXPECT_EQ(child.wait(), 128 + SIGKILL);
  }
  EXPECT_TRUE(writing_backup(dir / "backup")) << "the kill landed inside a write";
  expect_backup_whole(backup);
  expect_resume_matches(dir);
}

TEST_F(TrainerKilled, AtSeveralPointsThenResumes) {
  // Killed while steps run right after a backup was committed, three runs
  // in a row, each resuming the last one's backup (steps 2, 4 and 6 of 16:
  // far from the end, so no run can finish before its kill); the fourth
  // completes.
  TempDir dir;
  const fs::path backup = dir / "backup" / "checkpoint.safetensors";
  ino_t last_backup = 0;
  for (int run = 0; run < 3; ++run) {
    SCOPED_TRACE("run " + std::to_string(run + 1));
    // A short delay only keeps the run from finishing before the kill.
    Child child(training_args(dir), dir / "killed.txt", 40);
    ASSERT_TRUE(wait_for([&] {
      const ino_t now = inode_of(backup);  // a rename makes a new inode
      return now != 0 && now != last_backup;
    })) << file_text(dir / "killed.txt");
    child.signal(SIGKILL);
    ASSERT_EQ(child.wait(), 128 + SIGKILL) << "the run ended before the kill";
    last_backup = inode_of(backup);
    expect_backup_whole(backup);
  }
  expect_resume_matches(dir);
}

TEST_F(TrainerKilled, BeforeTheFirstBackupStartsAgainFromTheBeginning) {
  TempDir dir;
  {
    Child child(training_args(dir), dir / "killed.txt", 2000);
    ASSERT_TRUE(wait_for([&] { return writing_backup(dir / "backup"); }));
    child.signal(SIGKILL);
    EXPECT_EQ(child.wait(), 128 + SIGKILL);
  }
  EXPECT_FALSE(fs::exists(dir / "backup" / "checkpoint.safetensors"));
  expect_resume_matches(dir, /*expect_backup=*/false);
}

// A backup holding a NaN (a diverged run's, or a damaged file) is refused
// before any step: the trainer names the file, the tensor and the index,
// says how to start over, and leaves the backup as it was (it used to
// resume, train to nan losses and delete the backup at the end).
TEST_F(TrainerKilled, ABackupHoldingANaNIsRefusedKeptAndSaysHowToStartOver) {
  TempDir dir;
  const fs::path backup = dir / "backup" / "checkpoint.safetensors";
  {
    Child child(training_args(dir), dir / "stopped.txt", 150);
    ASSERT_TRUE(wait_for([&] { return fs::exists(backup); })) << file_text(dir / "stopped.txt");
    child.signal(SIGINT);
    EXPECT_EQ(child.wait(), 128 + SIGINT) << file_text(dir / "stopped.txt");
  }
  {
    vknn::io::WeightsFile file = vknn::io::load_safetensors(backup);
    vknn::io::Metadata metadata;
    for (const auto& pair : file.metadata) {
      if (pair.first != "format") metadata.push_back(pair);  // the writer sets it
    }
    for (auto& t : file.tensors) {
      if (t.name == "dense/kernel") t.values.at(3) = std::numeric_limits<float>::quiet_NaN();
    }
    vknn::io::save_safetensors(backup, file.tensors, metadata);
  }
  const std::string poisoned = file_text(backup);
  Child child(training_args(dir), dir / "refused.txt");
  const int status = child.wait();
  const std::string out = file_text(dir / "refused.txt");
  EXPECT_EQ(status, 1) << "the trainer's exit status for a failure: " << out;
  for (const std::string& fragment :
       {backup.string(), std::string("tensor 'dense/kernel': value 3 at index (0, 3)"),
        std::string("is NaN"), std::string("to start training over, delete it")}) {
    EXPECT_TRUE(contains(out, fragment)) << "lacks '" << fragment << "': " << out;
  }
  EXPECT_FALSE(contains(out, "Resuming from the backup")) << out;
  EXPECT_FALSE(fs::exists(dir / "weights.safetensors"));
  EXPECT_TRUE(file_text(backup) == poisoned) << "the bad backup must stay as it was";
}

TEST_F(TrainerKilled, ASecondSignalExitsAtOnceAndLeavesFilesWhole) {
  TempDir dir;
  const fs::path backup = dir / "backup" / "checkpoint.safetensors";
  Child child(training_args(dir), dir / "twice.txt", 5000);
  // Inside the first backup's 5 s write: the first SIGINT waits for the
  // step boundary, the second ends the process without waiting.
  ASSERT_TRUE(wait_for([&] { return writing_backup(dir / "backup"); }));
  child.signal(SIGINT);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  child.signal(SIGINT);
  EXPECT_EQ(child.wait(), 130);
  // Exited from the handler: no stop report, and the write under way never
  // became the backup (after one signal it would have, then been rewritten).
  const std::string out = file_text(dir / "twice.txt");
  EXPECT_FALSE(contains(out, "Training stopped by")) << out;
  EXPECT_FALSE(fs::exists(backup));
  EXPECT_FALSE(fs::exists(dir / "weights.safetensors"));
}

// A lost device (injected: VKNN_TEST_FAULT fails the 11th queue submission,
// a step of epoch 2, in the trainer's process) ends the run with exit 1
// and a message that names the backup and says to run the same command
// again, which then resumes and ends as an uninterrupted run.
TEST_F(TrainerKilled, ByALostDeviceSaysWhichBackupToResumeAndTheSameCommandResumes) {
  TempDir dir;
  const fs::path backup = dir / "backup" / "checkpoint.safetensors";
  {
    Child child(training_args(dir), dir / "lost.txt", 0,
                {"VKNN_TEST_FAULT=submit:11:VK_ERROR_DEVICE_LOST"});
    const int status = child.wait();
    const std::string out = file_text(dir / "lost.txt");
    EXPECT_EQ(status, 1) << out;
    const std::vector<std::string> fragments = {
        "error: fit: the device was lost (VK_ERROR_DEVICE_LOST) in epoch 2/2",
        "A backup can be resumed: " + backup.string(), "holds the training state after step",
        "run the same command again"};
    for (const std::string& fragment : fragments) {
      EXPECT_TRUE(contains(out, fragment)) << "lacks '" << fragment << "':\n" << out;
    }
    EXPECT_FALSE(fs::exists(dir / "weights.safetensors"));
    expect_backup_whole(backup);
  }
  expect_resume_matches(dir);
}

TEST_F(TrainerKilled, ByALostDeviceWithoutBackupDirSaysNothingWasKept) {
  TempDir dir;
  std::vector<std::string> args = training_args(dir);
  args.resize(args.size() - 4);  // without --backup-dir and --backup-every
  Child child(args, dir / "lost.txt", 0, {"VKNN_TEST_FAULT=wait:1:VK_ERROR_OUT_OF_DEVICE_MEMORY"});
  const int status = child.wait();
  const std::string out = file_text(dir / "lost.txt");
  EXPECT_EQ(status, 1) << out;
  EXPECT_TRUE(contains(out, "error: fit: the device ran out of memory (VK_ERROR_OUT_OF_DEVICE_MEMORY)"))
      << out;
  EXPECT_TRUE(contains(out, "Nothing was kept to resume from")) << out;
  EXPECT_TRUE(contains(out, "--backup-dir DIR")) << out;
}

}  // namespace
}  // namespace vknn_examples_test
