// What fit, evaluate and predict say when the device fails under them
// (vknn::DeviceFailure from the Vulkan runtime: a lost device, or memory
// that ran out where no check beforehand could tell): what failed, where,
// and, for fit, whether a backup can be resumed. Nothing here touches the
// device: after a loss its state is gone, and the last backup on disk is
// all there is.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "vknn/error.hpp"
#include "vknn/model/callbacks.hpp"

namespace vknn::model {

// Where in fit the host was when the failure surfaced (it queues steps
// ahead of the device, so the failing work may be a few steps earlier).
enum class FitStage : int {
  preparing,   // uploading the data, recording the steps, on_train_begin
  training,    // launching the steps of an epoch (and the per-step callbacks)
  validating,  // the validation after an epoch's last step
  epoch_end,   // the epoch end's callbacks (BackupAndRestore's backup among them)
  train_end,   // on_train_end
};

struct FitPlace {
  FitStage stage = FitStage::preparing;
  int epoch = 0;                 // 0-based, the epoch under way
  int epochs = 0;                // FitOptions::epochs
  std::int64_t steps_done = 0;   // steps of `epoch` queued
  std::int64_t steps_per_epoch = 0;
};

// The DeviceFailure fit throws for `cause`: its message says what failed,
// where, and whether a BackupAndRestore among `callbacks` left a backup a
// new fit resumes from (naming its file and the position it holds) or that
// nothing was kept.
DeviceFailure fit_device_failure(const DeviceFailure& cause, const FitPlace& place,
                                 const std::vector<std::shared_ptr<Callback>>& callbacks);

// The same for evaluate and predict (`call`), which keep no state to resume.
DeviceFailure device_failure_in(const std::string& call, const DeviceFailure& cause,
                                std::int64_t steps_done, std::int64_t steps);

}  // namespace vknn::model
