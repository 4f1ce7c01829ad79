#include "model/sample_weights.hpp"

#include <cmath>
#include <sstream>

#include "vknn/error.hpp"

namespace vknn::model {

namespace {

void require_weight(const std::string& call, const std::string& what, double weight) {
  if (!std::isfinite(weight) || weight < 0.0) {
    std::ostringstream msg;
    msg << call << ": " << what << " is " << weight
        << "; sample and class weights must be finite and >= 0";
    throw Error(msg.str());
  }
}

}  // namespace

std::vector<float> sample_weights_of(const std::string& call, std::span<const std::uint8_t> y,
                                     const std::map<int, double>& class_weight,
                                     std::span<const float> sample_weight, int label_classes) {
  if (class_weight.empty() && sample_weight.empty()) return {};
  if (!sample_weight.empty() && sample_weight.size() != y.size()) {
    throw Error(call + ": sample_weight has " + std::to_string(sample_weight.size()) +
                " weights but there are " + std::to_string(y.size()) + " samples (one weight per sample)");
  }
  std::vector<double> per_class(std::size_t(label_classes), 1.0);
  for (const auto& [label, weight] : class_weight) {
    if (label < 0 || label >= label_classes) {
      throw Error(call + ": class_weight names class " + std::to_string(label) +
                  ", but the labels are 0.." + std::to_string(label_classes - 1));
    }
    require_weight(call, "class_weight[" + std::to_string(label) + "]", weight);
    per_class[std::size_t(label)] = weight;
  }
  std::vector<float> weights(y.size(), 1.0f);
  for (std::size_t i = 0; i < y.size(); ++i) {
    double w = per_class.at(y[i]);
    if (!sample_weight.empty()) {
      require_weight(call, "sample_weight[" + std::to_string(i) + "]", sample_weight[i]);
      w *= sample_weight[i];
    }
    weights[i] = float(w);
  }
  return weights;
}

MetricValues metric_values(const MetricTotals& totals, bool weighted, const char* prefix) {
  return {{std::string(prefix) + "loss", totals.mean_loss()},
          {std::string(prefix) + "accuracy", totals.accuracy(weighted)}};
}

}  // namespace vknn::model
