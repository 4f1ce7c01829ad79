// Sigmoid, binary cross-entropy from logits and binary accuracy: a binary
// classifier's output, scalar reference.
//
// Computed in double and rounded once, without overflow or cancellation:
// with a = z for label 0 and a = -z for label 1, the loss is softplus(a) =
// max(a, 0) + log1p(exp(-|a|)) (two non-negative terms) and the gradient
// sigmoid(z) - label is sigmoid(a) for label 0 and -sigmoid(a) for label 1.
#include <cmath>
#include <cstdint>
#include <sstream>

#include "argument_checks.hpp"
#include "vknn/cpu/reference_ops.hpp"

namespace vknn::cpu {
namespace {

using detail::elements;
using detail::require_buffer;

double stable_sigmoid(double a) {
  if (a >= 0) return 1.0 / (1.0 + std::exp(-a));
  const double e = std::exp(a);
  return e / (1.0 + e);
}

void require_positive_batch(const char* op, std::int64_t batch) {
  if (batch <= 0) throw Error(std::string(op) + ": batch must be positive, got " + std::to_string(batch));
}

void require_binary_labels(const char* op, std::int64_t batch, const std::uint32_t* labels) {
  for (std::int64_t n = 0; n < batch; ++n) {
    if (labels[n] > 1) {
      std::ostringstream msg;
      msg << op << ": label " << labels[n] << " of sample " << n
          << " is not a binary label; binary cross-entropy needs labels 0 or 1";
      throw Error(msg.str());
    }
  }
}

}  // namespace

template <class T>
void sigmoid_forward(std::int64_t count, const T* x, T* y) {
  detail::require_count("sigmoid_forward", "count", count);
  require_buffer("sigmoid_forward", "x", x, elements(count));
  require_buffer("sigmoid_forward", "y", y, elements(count));
  for (std::int64_t i = 0; i < count; ++i) y[i] = T(stable_sigmoid(double(x[i])));
}

template <class T>
void sigmoid_cross_entropy(std::int64_t batch, const T* logits, const std::uint32_t* labels,
                           T gradient_divisor, T* loss, T* dlogits) {
  const char* op = "sigmoid_cross_entropy";
  require_positive_batch(op, batch);
  require_buffer(op, "logits", logits, elements(batch));
  require_buffer(op, "labels", labels, elements(batch));
  require_buffer(op, "loss", loss, elements(batch));
  require_buffer(op, "dlogits", dlogits, elements(batch));
  if (!(gradient_divisor > T(0)) || !std::isfinite(gradient_divisor)) {
    std::ostringstream msg;
    msg << op << ": gradient_divisor must be a positive finite number (the batch size of the "
        << "step), got " << gradient_divisor;
    throw Error(msg.str());
  }
  require_binary_labels(op, batch, labels);
  for (std::int64_t n = 0; n < batch; ++n) {
    const double z = logits[n];
    const double a = labels[n] == 1 ? -z : z;
    loss[n] = T(std::fmax(a, 0.0) + std::log1p(std::exp(-std::fabs(a))));
    const double gradient = labels[n] == 1 ? -stable_sigmoid(a) : stable_sigmoid(a);
    dlogits[n] = T(gradient / double(gradient_divisor));
  }
}

template <class T>
void binary_count_correct(std::int64_t batch, const T* logits, const std::uint32_t* labels,
                          std::uint32_t* correct) {
  const char* op = "binary_count_correct";
  require_positive_batch(op, batch);
  require_buffer(op, "logits", logits, elements(batch));
  require_buffer(op, "labels", labels, elements(batch));
  require_buffer(op, "correct", correct, elements(batch));
  require_binary_labels(op, batch, labels);
  for (std::int64_t n = 0; n < batch; ++n) {
    const std::uint32_t predicted = logits[n] > T(0) ? 1u : 0u;
    correct[n] = predicted == labels[n] ? 1u : 0u;
  }
}

template void sigmoid_forward<float>(std::int64_t, const float*, float*);
template void sigmoid_forward<double>(std::int64_t, const double*, double*);
template void sigmoid_cross_entropy<float>(std::int64_t, const float*, const std::uint32_t*, float,
                                           float*, float*);
template void sigmoid_cross_entropy<double>(std::int64_t, const double*, const std::uint32_t*,
                                            double, double*, double*);
template void binary_count_correct<float>(std::int64_t, const float*, const std::uint32_t*,
                                          std::uint32_t*);
template void binary_count_correct<double>(std::int64_t, const double*, const std::uint32_t*,
                                           std::uint32_t*);

}  // namespace vknn::cpu
