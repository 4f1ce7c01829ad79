// Keras's sample weights: fit's class_weight and sample_weight, evaluate's
// and validation_data's sample_weight, made one weight per sample, and the
// metrics as Keras reports them under weights.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "model/progress_bar.hpp"
#include "ops/metric_totals.hpp"

namespace vknn::model {

// w[i] = sample_weight[i] (1 when sample_weight is empty) times
// class_weight[y[i]] (1 for a class it does not list, as Keras 3 does).
// Empty when both are empty: no weighting at all, so an unweighted run
// records no weighting op. `call` names the caller in errors ("fit",
// "evaluate"); `label_classes` is the loss's label range. Throws
// vknn::Error for a sample_weight of another length than y, a weight that
// is negative or not finite, or a class_weight key outside the labels.
std::vector<float> sample_weights_of(const std::string& call, std::span<const std::uint8_t> y,
                                     const std::map<int, double>& class_weight,
                                     std::span<const float> sample_weight, int label_classes);

// "loss" and "accuracy" (with `prefix`, e.g. "val_"): the loss is the
// mean of the (weighted) per-sample losses, as Keras's sum(w * loss) /
// samples; the accuracy is weighted when `weighted` (sum(w * correct) /
// sum(w)).
MetricValues metric_values(const MetricTotals& totals, bool weighted, const char* prefix = "");

}  // namespace vknn::model
