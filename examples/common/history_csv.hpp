// A training History as CSV, in the form of keras.callbacks.CSVLogger:
//
//   epoch,accuracy,loss,val_accuracy,val_loss
//   0,0.8398,0.4393,0.8801,0.3342
//
// epoch counts from 0 as Keras writes it; the metric columns are the
// History's names in sorted order (val_* only when there was validation
// data); values are written with enough digits to read back exactly.
#pragma once

#include <filesystem>
#include <string>

#include "vknn/model/sequential.hpp"

namespace vknn::examples {

std::string history_csv(const History& history);

// Writes history_csv(history) to path atomically (temporary file + rename).
void write_history_csv(const std::filesystem::path& path, const History& history);

}  // namespace vknn::examples
