#include "model/device_failure_report.hpp"

#include <filesystem>
#include <system_error>

#include "model/checkpoint.hpp"

namespace vknn::model {
namespace {

namespace fs = std::filesystem;

std::string what_failed(const std::string& result) {
  if (result == "VK_ERROR_DEVICE_LOST") return "the device was lost";
  if (result == "VK_ERROR_OUT_OF_DEVICE_MEMORY") return "the device ran out of memory";
  if (result == "VK_ERROR_OUT_OF_HOST_MEMORY") return "the host ran out of memory";
  return "the device failed";
}

std::string where(const FitPlace& p) {
  const std::string epoch = "epoch " + std::to_string(p.epoch + 1) + "/" + std::to_string(p.epochs);
  switch (p.stage) {
    case FitStage::preparing:
      return "before the first step (while fit uploaded the data, recorded the steps or restored "
             "a backup)";
    case FitStage::training:
      return "in " + epoch + ", after " + std::to_string(p.steps_done) + " of " +
             std::to_string(p.steps_per_epoch) + " steps had been queued";
    case FitStage::validating:
      return "in " + epoch + ", during the validation after its last step";
    case FitStage::epoch_end:
      return "at the end of " + epoch + " (in an epoch-end callback)";
    case FitStage::train_end:
      return "after the last step (in on_train_end)";
  }
  return "during fit";
}

// "after step 4 of 7 of epoch 2", "at the end of epoch 1", in the user's
// 1-based epochs.
std::string position(const TrainingProgress& p) {
  if (p.step == 0) {
    return p.epoch == 0 ? "before the first step" : "at the end of epoch " + std::to_string(p.epoch);
  }
  return "after step " + std::to_string(p.step) + " of " + std::to_string(p.fit.steps_per_epoch()) +
         " of epoch " + std::to_string(p.epoch + 1);
}

struct BackupState {
  fs::path file;        // set where a resumable backup exists
  std::string sentence;  // what to tell the user
};

BackupState backup_state(const std::vector<std::shared_ptr<Callback>>& callbacks) {
  const BackupAndRestore* backup = nullptr;
  for (const auto& callback : callbacks) {
    if (const auto* b = dynamic_cast<const BackupAndRestore*>(callback.get())) {
      backup = b;
      break;
    }
  }
  if (backup == nullptr) {
    return {{},
            "Nothing was kept to resume from: this fit had no BackupAndRestore callback, so a new "
            "fit starts from the beginning. Give fit a BackupAndRestore(backup_dir) (the trainers: "
            "--backup-dir DIR) to keep a backup that survives this."};
  }
  const fs::path file = backup->checkpoint_path();
  const std::string folder = file.parent_path().string();
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    return {{},
            "Nothing was kept to resume from: BackupAndRestore had not written a backup in " +
                folder +
                " yet (it writes one at each epoch end, or every N steps with "
                "SaveFreq::every_steps(N); the trainers: --backup-every N), so a new fit starts from "
                "the beginning."};
  }
  try {
    const TrainingProgress progress = read_checkpoint_progress(file);
    return {file, "A backup can be resumed: " + file.string() +
                      " (BackupAndRestore) holds the training state " + position(progress) +
                      ". Running the same fit again with BackupAndRestore on " + folder +
                      ", on a new Context, resumes from it (the trainers: run the same command "
                      "again); the steps after the backup are trained again."};
  } catch (const Error& e) {
    return {{}, "Nothing can be resumed: the backup in " + folder + " cannot be read (" + e.what() +
                    ")."};
  }
}

}  // namespace

DeviceFailure fit_device_failure(const DeviceFailure& cause, const FitPlace& place,
                                 const std::vector<std::shared_ptr<Callback>>& callbacks) {
  const BackupState backup = backup_state(callbacks);
  const std::string message = "fit: " + what_failed(cause.vulkan_result()) + " (" +
                              cause.vulkan_result() + ") " + where(place) + ": " + cause.what() +
                              ".\n" + backup.sentence;
  return DeviceFailure(message, cause.vulkan_result(), backup.file);
}

DeviceFailure device_failure_in(const std::string& call, const DeviceFailure& cause,
                                std::int64_t steps_done, std::int64_t steps) {
  const std::string message = call + ": " + what_failed(cause.vulkan_result()) + " (" +
                              cause.vulkan_result() + ") after " + std::to_string(steps_done) +
                              " of " + std::to_string(steps) + " steps had been queued: " +
                              cause.what() + ". " + call +
                              " keeps no state: run it again on a new Context.";
  return DeviceFailure(message, cause.vulkan_result());
}

}  // namespace vknn::model
