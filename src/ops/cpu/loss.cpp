// Losses and the accuracy metric, scalar reference.
//
// Everything is computed in double and rounded once into T: the loss is
// summed over an epoch by the caller, and the oracle should not add its own
// rounding to what the shaders are compared against.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>

#include "argument_checks.hpp"
#include "vknn/cpu/reference_ops.hpp"

namespace vknn::cpu {

using detail::elements;
using detail::require_buffer;
using detail::require_labels_in_range;
using detail::validate_classes;

namespace {

// What every row-wise loss and metric checks first: the geometry, its
// (batch, classes) input, the labels, each in range.
template <class T>
void require_rows_and_labels(const char* op, const ClassesGeometry& g, const char* input_name,
                             const T* input, const std::uint32_t* labels) {
  validate_classes(op, g);
  require_buffer(op, input_name, input,
                 elements(std::int64_t(g.batch) * g.classes) + " (" + g.describe() + ")");
  require_buffer(op, "labels", labels, elements(g.batch));
  require_labels_in_range(op, g, labels);
}

}  // namespace

// loss = logsumexp(logits) - logits[label], with logsumexp taken after
// subtracting the row's maximum (never overflows, never log(0)). The
// gradient of sum(loss) / divisor with respect to the logits is
// (softmax(logits) - onehot(label)) / divisor.
template <class T>
void softmax_cross_entropy(const ClassesGeometry& g, const T* logits, const std::uint32_t* labels,
                           T gradient_divisor, T* loss, T* dlogits) {
  const char* op = "softmax_cross_entropy";
  require_rows_and_labels(op, g, "logits", logits, labels);
  const std::int64_t size = std::int64_t(g.batch) * g.classes;
  require_buffer(op, "loss", loss, elements(g.batch));
  require_buffer(op, "dlogits", dlogits, elements(size));
  if (!(gradient_divisor > T(0)) || !std::isfinite(gradient_divisor)) {
    std::ostringstream msg;
    msg << op << ": gradient_divisor must be a positive finite number (the batch size of the "
        << "step), got " << gradient_divisor << " (" << g.describe() << ")";
    throw Error(msg.str());
  }
  const double divisor = gradient_divisor;
  for (int n = 0; n < g.batch; ++n) {
    const T* row = logits + std::int64_t(n) * g.classes;
    T* drow = dlogits + std::int64_t(n) * g.classes;
    const std::uint32_t label = labels[n];
    double max = row[0];
    for (int c = 1; c < g.classes; ++c) max = std::fmax(max, double(row[c]));
    double sum = 0.0;
    for (int c = 0; c < g.classes; ++c) sum += std::exp(double(row[c]) - max);
    const double log_sum_exp = max + std::log(sum);
    loss[n] = T(log_sum_exp - double(row[label]));
    for (int c = 0; c < g.classes; ++c) {
      const double probability = std::exp(double(row[c]) - max) / sum;
      const double target = std::uint32_t(c) == label ? 1.0 : 0.0;
      drow[c] = T((probability - target) / divisor);
    }
  }
}

// Keras clips probabilities to [eps, 1 - eps] with eps = 1e-7 (its
// backend.epsilon()) before the log, so a probability of exactly 0 gives a
// large finite loss (16.118) instead of infinity.
template <class T>
void cross_entropy_from_probabilities(const ClassesGeometry& g, const T* probabilities,
                                      const std::uint32_t* labels, T* loss) {
  const char* op = "cross_entropy_from_probabilities";
  require_rows_and_labels(op, g, "probabilities", probabilities, labels);
  require_buffer(op, "loss", loss, elements(g.batch));
  constexpr double epsilon = 1e-7;
  for (int n = 0; n < g.batch; ++n) {
    const double p = probabilities[std::int64_t(n) * g.classes + labels[n]];
    loss[n] = T(-std::log(std::clamp(p, epsilon, 1.0 - epsilon)));
  }
}

template <class T>
std::int64_t count_correct(const ClassesGeometry& g, const T* scores,
                           const std::uint32_t* labels) {
  const char* op = "count_correct";
  require_rows_and_labels(op, g, "scores", scores, labels);
  std::int64_t correct = 0;
  for (int n = 0; n < g.batch; ++n) {
    const T* row = scores + std::int64_t(n) * g.classes;
    // Strictly greater keeps the first maximum on ties (numpy's argmax,
    // which Keras' accuracy uses).
    int argmax = 0;
    for (int c = 1; c < g.classes; ++c) {
      if (row[c] > row[argmax]) argmax = c;
    }
    if (std::uint32_t(argmax) == labels[n]) ++correct;
  }
  return correct;
}

template <class T>
void weight_samples(const ClassesGeometry& g, const float* sample_weights, std::int64_t sample_count,
                    const std::uint32_t* order, std::int64_t first, T* loss, T* dlogits, T* weights_out) {
  const char* op = "weight_samples";
  validate_classes(op, g);
  require_buffer(op, "sample_weights", sample_weights, "one float per dataset sample");
  require_buffer(op, "order", order, "the epoch's sample order");
  require_buffer(op, "loss", loss, elements(g.batch) + " (" + g.describe() + ")");
  require_buffer(op, "dlogits", dlogits,
                 elements(std::int64_t(g.batch) * g.classes) + " (" + g.describe() + ")");
  require_buffer(op, "weights_out", weights_out, elements(g.batch) + " (" + g.describe() + ")");
  for (int n = 0; n < g.batch; ++n) {
    const std::uint32_t s = order[first + n];
    if (std::int64_t(s) >= sample_count) {
      throw Error(std::string(op) + ": sample " + std::to_string(s) + " at position " +
                  std::to_string(first + n) + " of the order is past the " +
                  std::to_string(sample_count) + " sample weights");
    }
    const T w = T(sample_weights[s]);
    weights_out[n] = w;
    loss[n] *= w;
    for (int c = 0; c < g.classes; ++c) dlogits[std::int64_t(n) * g.classes + c] *= w;
  }
}

template void weight_samples<float>(const ClassesGeometry&, const float*, std::int64_t,
                                    const std::uint32_t*, std::int64_t, float*, float*, float*);
template void weight_samples<double>(const ClassesGeometry&, const float*, std::int64_t,
                                     const std::uint32_t*, std::int64_t, double*, double*, double*);
template void softmax_cross_entropy<float>(const ClassesGeometry&, const float*,
                                           const std::uint32_t*, float, float*, float*);
template void softmax_cross_entropy<double>(const ClassesGeometry&, const double*,
                                            const std::uint32_t*, double, double*, double*);
template void cross_entropy_from_probabilities<float>(const ClassesGeometry&, const float*,
                                                      const std::uint32_t*, float*);
template void cross_entropy_from_probabilities<double>(const ClassesGeometry&, const double*,
                                                       const std::uint32_t*, double*);
template std::int64_t count_correct<float>(const ClassesGeometry&, const float*,
                                           const std::uint32_t*);
template std::int64_t count_correct<double>(const ClassesGeometry&, const double*,
                                            const std::uint32_t*);

}  // namespace vknn::cpu
