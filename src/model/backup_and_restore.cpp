// BackupAndRestore: a checkpoint in a folder, restored at fit start,
// rewritten as training goes, deleted when fit completes.
#include <system_error>

#include "vknn/distributed.hpp"
#include "vknn/error.hpp"
#include "vknn/model/callbacks.hpp"
#include "vknn/model/sequential.hpp"

namespace vknn {

namespace fs = std::filesystem;

namespace {

constexpr const char* kBackupName = "checkpoint.safetensors";

// Temporary files an atomic write left when its process was killed
// mid-write (io::AtomicFileWriter names them <target>.tmp-XXXXXX). They are
// never the backup, only litter.
void remove_abandoned_writes(const fs::path& folder) {
  std::error_code ec;
  const std::string prefix = std::string(kBackupName) + ".tmp-";
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (entry.path().filename().string().rfind(prefix, 0) == 0) fs::remove(entry.path(), ec);
  }
}

}  // namespace

BackupAndRestore::BackupAndRestore(fs::path backup_dir, SaveFreq save_freq)
    : backup_dir_(std::move(backup_dir)), save_freq_(save_freq) {
  if (backup_dir_.empty()) throw Error("BackupAndRestore: backup_dir must not be empty");
  if (save_freq_.steps < 0) {
    throw Error("BackupAndRestore: save_freq must be each epoch or every N > 0 steps, got " +
                std::to_string(save_freq_.steps) + " steps");
  }
}

fs::path BackupAndRestore::checkpoint_path() const { return backup_dir_ / kBackupName; }

void BackupAndRestore::on_train_begin(Sequential& model) {
  restored_ = false;
  steps_since_backup_ = 0;
  std::error_code ec;
  fs::create_directories(backup_dir_, ec);
  if (ec || !fs::is_directory(backup_dir_)) {
    throw Error("BackupAndRestore: cannot use '" + backup_dir_.string() + "' as the backup folder" +
                (ec ? " (" + ec.message() + ")" : std::string(" (it is not a folder)")));
  }
  if (fs::exists(checkpoint_path(), ec)) {
    // Throws, touching nothing, if the backup is corrupt, non-finite or of
    // another fit. The backup stays: it may be the only copy of a long run's
    // state, so deleting it (or quietly starting afresh beside it) is the
    // user's decision, and the message says how.
    try {
      model.load_checkpoint(checkpoint_path());
    } catch (const Error& e) {
      // (e names the file.)
      throw Error(std::string("BackupAndRestore: cannot resume from the backup: ") + e.what() +
                  ". The backup is left as it is; to start training over, "
                  "delete it (or move it out of " + backup_dir_.string() +
                  "), or give BackupAndRestore another backup_dir");
    }
    restored_ = true;
  }
  // Data-parallel, every rank restores from the one backup rank 0 keeps;
  // only rank 0 writes it (every rank holds the same state) and cleans up.
  if (distributed::is_primary()) remove_abandoned_writes(backup_dir_);
}

void BackupAndRestore::backup(Sequential& model) {
  if (distributed::is_primary()) model.save_checkpoint(checkpoint_path());
  steps_since_backup_ = 0;
  ++backups_written_;
}

void BackupAndRestore::on_train_batch_end(Sequential& model, int /*batch*/) {
  if (save_freq_.steps > 0 && ++steps_since_backup_ >= save_freq_.steps) backup(model);
}

void BackupAndRestore::on_epoch_end(Sequential& model, int /*epoch*/, const Logs& /*logs*/) {
  if (save_freq_.steps == 0) backup(model);
}

void BackupAndRestore::on_train_end(Sequential& model) {
  if (model.stop_requested()) {
    // Interrupted: keep where training stands, mid-epoch if need be.
    backup(model);
    return;
  }
  if (!distributed::is_primary()) return;
  std::error_code ec;
  fs::remove(checkpoint_path(), ec);
  fs::remove(backup_dir_, ec);  // only if empty: a folder with other files stays
}

}  // namespace vknn
