// Optimizer updates, scalar reference, in the exact form Keras writes them
// (keras/optimizers/sgd.py and adam.py), so a model trained with vknn follows
// the same trajectory as the TensorFlow course's.
#include <cmath>
#include <cstdint>
#include <sstream>

#include "argument_checks.hpp"
#include "vknn/cpu/reference_ops.hpp"

namespace vknn::cpu {

using detail::elements;
using detail::require_buffer;
using detail::require_count;

namespace {

// The checks every update starts with: a count, a learning rate, the
// weights and their gradients. False when there is nothing to update.
template <class T>
bool require_update(const char* op, std::int64_t count, float learning_rate, const T* weights,
                    const T* gradients) {
  require_count(op, "count", count);
  validate_learning_rate(op, learning_rate);
  if (count == 0) return false;
  require_buffer(op, "weights", weights, elements(count));
  require_buffer(op, "gradients", gradients, elements(count));
  return true;
}

}  // namespace

template <class T>
void sgd_update(const SgdConfig& config, std::int64_t count, T* weights, const T* gradients,
                T* velocity) {
  const char* op = "sgd_update";
  // Keras refuses momentum outside [0, 1] for the same reason: above 1 the
  // velocity grows without bound.
  if (!(config.momentum >= 0.0f && config.momentum <= 1.0f)) {
    std::ostringstream msg;
    msg << op << ": momentum must be in [0, 1], got " << config.momentum;
    throw Error(msg.str());
  }
  if (!require_update(op, count, config.learning_rate, weights, gradients)) return;
  const T lr = T(config.learning_rate);
  if (config.momentum == 0.0f) {
    // Keras' plain step; with momentum 0 the velocity form gives the same
    // numbers, and the velocity buffer may be absent.
    for (std::int64_t i = 0; i < count; ++i) weights[i] -= lr * gradients[i];
    return;
  }
  require_buffer(op, "velocity", velocity,
                 elements(count) + " (momentum is " + std::to_string(config.momentum) +
                     "; only momentum 0 may omit it)");
  const T momentum = T(config.momentum);
  for (std::int64_t i = 0; i < count; ++i) {
    velocity[i] = momentum * velocity[i] - lr * gradients[i];
    weights[i] += velocity[i];
  }
}

// Keras Adam. The bias corrections are folded into the step size alpha
// (computed once per step, in double, from t) instead of correcting m and v,
// which is why epsilon appears outside the correction: this is Keras' form,
// not the paper's algorithm 1, and the two differ slightly through epsilon.
template <class T>
void adam_update(const AdamConfig& config, std::int64_t count, std::int64_t t, T* weights,
                 const T* gradients, T* m, T* v) {
  const char* op = "adam_update";
  if (t < 1) {
    std::ostringstream msg;
    msg << op << ": step t must be >= 1 (t counts updates including this one, so the first "
        << "update is t = 1), got t = " << t;
    throw Error(msg.str());
  }
  config.validate(op);
  if (!require_update(op, count, config.learning_rate, weights, gradients)) return;
  require_buffer(op, "m", m, elements(count) + " (zero before the first step)");
  require_buffer(op, "v", v, elements(count) + " (zero before the first step)");

  const double beta_1 = config.beta_1, beta_2 = config.beta_2;
  const double alpha = double(config.learning_rate) *
                       std::sqrt(1.0 - std::pow(beta_2, double(t))) /
                       (1.0 - std::pow(beta_1, double(t)));
  const T alpha_t = T(alpha);
  const T one_minus_beta_1 = T(1.0 - beta_1);
  const T one_minus_beta_2 = T(1.0 - beta_2);
  const T epsilon = T(config.epsilon);
  for (std::int64_t i = 0; i < count; ++i) {
    const T g = gradients[i];
    m[i] += (g - m[i]) * one_minus_beta_1;
    v[i] += (g * g - v[i]) * one_minus_beta_2;
    weights[i] -= (m[i] * alpha_t) / (std::sqrt(v[i]) + epsilon);
  }
}

// Keras RMSprop as TensorFlow 2.11+ defines it (not centered): epsilon is
// added to the root, outside the square root. Element arithmetic in T, in
// the shader's order, so both backends round the same way.
template <class T>
void rmsprop_update(const RmspropConfig& config, std::int64_t count, T* weights,
                    const T* gradients, T* velocity, T* momentum_buffer) {
  const char* op = "rmsprop_update";
  config.validate(op);
  if (!require_update(op, count, config.learning_rate, weights, gradients)) return;
  require_buffer(op, "velocity", velocity, elements(count) + " (zero before the first step)");
  if (config.momentum != 0.0f) {
    require_buffer(op, "momentum_buffer", momentum_buffer,
                   elements(count) + " (zero before the first step; momentum is " +
                       std::to_string(config.momentum) + ")");
  }
  const T rho = T(config.rho);
  const T one_minus_rho = T(1.0 - double(config.rho));
  const T epsilon = T(config.epsilon);
  const T learning_rate = T(config.learning_rate);
  const T momentum = T(config.momentum);
  for (std::int64_t i = 0; i < count; ++i) {
    const T g = gradients[i];
    velocity[i] = rho * velocity[i] + one_minus_rho * (g * g);
    const T step = g / (std::sqrt(velocity[i]) + epsilon);
    if (config.momentum != 0.0f) {
      momentum_buffer[i] = momentum * momentum_buffer[i] + learning_rate * step;
      weights[i] -= momentum_buffer[i];
    } else {
      weights[i] -= learning_rate * step;
    }
  }
}

template void rmsprop_update<float>(const RmspropConfig&, std::int64_t, float*, const float*,
                                    float*, float*);
template void rmsprop_update<double>(const RmspropConfig&, std::int64_t, double*, const double*,
                                     double*, double*);
template void sgd_update<float>(const SgdConfig&, std::int64_t, float*, const float*, float*);
template void sgd_update<double>(const SgdConfig&, std::int64_t, double*, const double*, double*);
template void adam_update<float>(const AdamConfig&, std::int64_t, std::int64_t, float*,
                                 const float*, float*, float*);
template void adam_update<double>(const AdamConfig&, std::int64_t, std::int64_t, double*,
                                  const double*, double*, double*);

}  // namespace vknn::cpu
