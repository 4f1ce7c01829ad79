// The CPU reference backend: every op as plain scalar loops.
//
// These loops are the oracle that every Vulkan shader is cross-checked
// against, so they are written to be obviously correct, not fast. They are
// templates instantiated for float (what the model trains in) and double
// (what the finite-difference gradient checks use).
//
// Conventions:
// - Layouts and geometry are the contracts of vknn/ops/geometry.hpp.
// - Every output is overwritten (never accumulated into).
// - Functions validate their geometry and throw vknn::Error on a bad one.
// - "dy" is the gradient of the loss with respect to an op's output y; "dx",
//   "dkernel", "dbias" the gradients with respect to its inputs.
#pragma once

#include <cstdint>

#include "vknn/data/augmentation.hpp"
#include "vknn/ops/geometry.hpp"

namespace vknn::cpu {

// ---- conv2d ----
// y = act(conv(x, kernel) + bias); act is linear or relu.
template <class T>
void conv2d_forward(const Conv2DGeometry& g, const T* x, const T* kernel, const T* bias, T* y,
                    Activation act = Activation::linear);
// dy is the gradient at the convolution's linear output (any relu mask has
// already been applied by relu_backward).
template <class T>
void conv2d_backward_input(const Conv2DGeometry& g, const T* dy, const T* kernel, T* dx);
template <class T>
void conv2d_backward_kernel(const Conv2DGeometry& g, const T* x, const T* dy, T* dkernel);
template <class T>
void conv2d_backward_bias(const Conv2DGeometry& g, const T* dy, T* dbias);

// ---- maxpool2d ----
template <class T>
void maxpool2d_forward(const Pool2DGeometry& g, const T* x, T* y);
// Recomputes each window's winner from x with the tie rule of Pool2DGeometry
// (first maximum in row-major window order); inputs that win no window get 0,
// inputs that win several windows (overlapping strides) get the sum.
template <class T>
void maxpool2d_backward(const Pool2DGeometry& g, const T* x, const T* dy, T* dx);
// maxpool2d_forward that also stores each window's winner as one byte
// (Pool2DGeometry::stores_winners says where and how); with relu_mask (x is
// a relu's output) a maximum that is not > 0 stores kNoWinner.
template <class T>
void maxpool2d_forward_winners(const Pool2DGeometry& g, const T* x, T* y, std::uint8_t* winners,
                               bool relu_mask);
// dx from dy and those winners: dy at each winner, 0 everywhere else (also
// at inputs in no window, and in the whole window of a kNoWinner). Equal to
// maxpool2d_backward, followed by relu's backward where relu_mask was given.
template <class T>
void maxpool2d_backward_winners(const Pool2DGeometry& g, const T* dy, const std::uint8_t* winners,
                                T* dx);

// ---- conv2d + relu + maxpool2d, fused (ConvReluPoolGeometry) ----
// y = maxpool(relu(conv2d(x) + bias)); winners (nullable: prediction needs
// none) gets each pooled element's winning tap or kNoWinner, in the layout
// ConvReluPoolGeometry describes. Computed as the composition of the
// conv2d_forward and maxpool2d_forward references, so it is equal to them
// bit for bit.
template <class T>
void conv2d_relu_maxpool2d_forward(const ConvReluPoolGeometry& g, const T* x, const T* kernel,
                                   const T* bias, T* y, std::uint8_t* winners);
// dx (conv output map) = dy at each window's winner, 0 elsewhere; exact.
template <class T>
void maxpool2d_backward_from_winners(const ConvReluPoolGeometry& g, const T* dy,
                                     const std::uint8_t* winners, T* dx);
// The conv's kernel and bias gradients from the pooled dy and the winners:
// maxpool2d_backward_from_winners into a map, then conv2d_backward_kernel
// and conv2d_backward_bias of it (the Vulkan op skips the map).
template <class T>
void conv2d_relu_maxpool2d_backward_params(const ConvReluPoolGeometry& g, const T* x, const T* dy,
                                           const std::uint8_t* winners, T* dkernel, T* dbias);

// ---- avgpool2d (AveragePooling2D; GlobalAveragePooling2D is the window
// over the whole map) ----
// y = mean of the window's real taps (padded taps are not counted).
template <class T>
void avgpool2d_forward(const Pool2DGeometry& g, const T* x, T* y);
// dx = sum over the windows holding the tap of dy / (the window's real taps).
template <class T>
void avgpool2d_backward(const Pool2DGeometry& g, const T* dy, T* dx);

// ---- dense ----
// y = act(x * kernel + bias); act is linear, relu or softmax (over each row's
// out_features, as Keras' Dense(activation='softmax')).
template <class T>
void dense_forward(const DenseGeometry& g, const T* x, const T* kernel, const T* bias, T* y,
                   Activation act = Activation::linear);
template <class T>
void dense_backward_input(const DenseGeometry& g, const T* dy, const T* kernel, T* dx);
template <class T>
void dense_backward_kernel(const DenseGeometry& g, const T* x, const T* dy, T* dkernel);
template <class T>
void dense_backward_bias(const DenseGeometry& g, const T* dy, T* dbias);

// ---- relu ----
template <class T>
void relu_forward(std::int64_t count, const T* x, T* y);
// dx = dy where y > 0, else 0 (y is relu's output; relu(x) > 0 iff x > 0).
template <class T>
void relu_backward(std::int64_t count, const T* y, const T* dy, T* dx);

// ---- softmax ----
// Stable: subtracts each row's maximum before exponentiating.
template <class T>
void softmax_forward(const ClassesGeometry& g, const T* x, T* y);
// dx = y * (dy - sum_j dy_j * y_j), row by row.
template <class T>
void softmax_backward(const ClassesGeometry& g, const T* y, const T* dy, T* dx);

// ---- softmax + sparse categorical cross-entropy, fused ----
// loss[n] = logsumexp(logits[n,:]) - logits[n, label[n]]
// dlogits[n,c] = (softmax(logits[n,:])[c] - (c == label[n])) / gradient_divisor
// gradient_divisor is the batch size of the step (Keras averages the loss
// over the batch). Throws vknn::Error if a label is outside [0, classes).
template <class T>
void softmax_cross_entropy(const ClassesGeometry& g, const T* logits, const std::uint32_t* labels,
                           T gradient_divisor, T* loss, T* dlogits);

// Sparse categorical cross-entropy on probabilities (what a softmax output
// layer produces): loss[n] = -log(clip(p[n,label], eps, 1 - eps)) with
// eps = 1e-7, as Keras clips. Throws vknn::Error if a label is outside
// [0, classes).
template <class T>
void cross_entropy_from_probabilities(const ClassesGeometry& g, const T* probabilities,
                                      const std::uint32_t* labels, T* loss);

// Number of rows whose argmax (first maximum on ties) equals the label.
// Throws vknn::Error if a label is outside [0, classes).
template <class T>
std::int64_t count_correct(const ClassesGeometry& g, const T* scores, const std::uint32_t* labels);

// ---- dropout (see DropoutConfig) ----
// y = x * scale where element i is kept at step `step`, else 0. Training
// only; evaluation passes x through. Backward is the same mask applied to
// dy: dropout_apply(count, config, step, dy, dx).
template <class T>
void dropout_apply(std::int64_t count, const DropoutConfig& config, std::uint32_t step, const T* x,
                   T* y);
// Whether element `index` is kept at `step` (the mask both backends draw).
bool dropout_keeps(const DropoutConfig& config, std::uint32_t step, std::uint32_t index);

// ---- sigmoid and binary cross-entropy (a binary classifier's output) ----
// y = 1 / (1 + exp(-x)), computed without overflow for any x.
template <class T>
void sigmoid_forward(std::int64_t count, const T* x, T* y);
// One logit per sample, labels 0 or 1 (Keras binary_crossentropy from the
// logits of a sigmoid output, as TensorFlow computes it):
// loss[n] = max(z, 0) - z * label + log(1 + exp(-|z|))
// dlogits[n] = (sigmoid(z) - label) / gradient_divisor.
// Throws vknn::Error if a label is not 0 or 1.
template <class T>
void sigmoid_cross_entropy(std::int64_t batch, const T* logits, const std::uint32_t* labels,
                           T gradient_divisor, T* loss, T* dlogits);
// correct[n] = 1 where (sigmoid(z) > 0.5, i.e. z > 0) equals the label:
// Keras's binary accuracy at its 0.5 threshold. Throws if a label is not 0 or 1.
template <class T>
void binary_count_correct(std::int64_t batch, const T* logits, const std::uint32_t* labels,
                          std::uint32_t* correct);

// ---- optimizers ----
// Keras SGD: velocity = momentum * velocity - lr * g; w += velocity.
// With momentum 0 this is w -= lr * g (velocity may be null then).
template <class T>
void sgd_update(const SgdConfig& config, std::int64_t count, T* weights, const T* gradients,
                T* velocity);
// Keras Adam, step t >= 1 (t counts updates including this one):
// alpha = lr * sqrt(1 - b2^t) / (1 - b1^t); m += (g - m)(1 - b1);
// v += (g*g - v)(1 - b2); w -= alpha * m / (sqrt(v) + eps).
template <class T>
void adam_update(const AdamConfig& config, std::int64_t count, std::int64_t t, T* weights,
                 const T* gradients, T* m, T* v);
// Keras RMSprop (TensorFlow 2.11+): v = rho * v + (1 - rho) * g^2;
// step = g / (sqrt(v) + eps); with momentum: m = momentum * m + lr * step,
// w -= m; without: w -= lr * step (momentum_buffer may be null then).
template <class T>
void rmsprop_update(const RmspropConfig& config, std::int64_t count, T* weights,
                    const T* gradients, T* velocity, T* momentum_buffer);

// ---- sample weights (Keras's class_weight / sample_weight) ----
// After a loss op: for n < g.batch, w = sample_weights[order[first + n]];
// loss[n] *= w, dlogits[n, c] *= w (c < g.classes), weights_out[n] = w.
// Keras reduces a weighted loss as sum(w * loss) / batch, so the loss op's
// division by the batch stays. sample_weights holds sample_count floats;
// throws if an order entry is not below sample_count.
template <class T>
void weight_samples(const ClassesGeometry& g, const float* sample_weights, std::int64_t sample_count,
                    const std::uint32_t* order, std::int64_t first, T* loss, T* dlogits, T* weights_out);

// ---- batch gather ----
// For i in [0, count): sample s = order[first + i]; x[i,:] = images[s,:] / 255
// and labels_out[i] = labels[s]. images holds sample_size bytes per sample.
template <class T>
void gather_batch(std::int64_t sample_size, const std::uint8_t* images, const std::uint8_t* labels,
                  const std::uint32_t* order, std::int64_t first, std::int64_t count, T* x,
                  std::uint32_t* labels_out);
// The same for a float dataset, values copied as they are (no scaling):
// x[i,:] = values[s,:], labels_out[i] = labels[s]. values holds sample_size
// floats per sample.
template <class T>
void gather_float_batch(std::int64_t sample_size, const float* values, const std::uint8_t* labels,
                        const std::uint32_t* order, std::int64_t first, std::int64_t count, T* x,
                        std::uint32_t* labels_out);

// ---- augmented batch gather ----
// A gather with Keras's ImageDataGenerator augmentation (vknn/data/
// augmentation.hpp): for i in [0, count), sample s = order[first + i] gets
// the transform draw_augmentation(augmentation, height, width, s, step),
// applied to its HWC picture of height x width x channels values as
// apply_augmentation applies it (in float32), then the gather's conversion:
// / 255 for uint8 `images`, none for float `values` (exactly one of the two
// is given). A pixel FillMode::constant fills is augmentation.cval as it is,
// unconverted. labels_out[i] = labels[s]. With `keys`, the draw is keyed by
// keys[s] instead of s (a streamed window's slot holds sample keys[s]).
template <class T>
void gather_augmented_batch(const Augmentation& augmentation, std::int64_t height,
                            std::int64_t width, std::int64_t channels, const std::uint8_t* images,
                            const float* values, const std::uint8_t* labels,
                            const std::uint32_t* order, std::int64_t first, std::int64_t count,
                            std::uint32_t step, T* x, std::uint32_t* labels_out,
                            const std::uint32_t* keys = nullptr);

}  // namespace vknn::cpu
