// The checks Sequential's calls make on their arguments before touching the
// device, each throwing vknn::Error that names the call ("fit: ...").
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "vknn/model/sequential.hpp"

namespace vknn::model {

class Trainer;

// `call` needs a compiled model.
void require_compiled(const std::unique_ptr<Trainer>& trainer, const char* call);

// x has the model's input shape (trailing 1s aside), exactly one of pixels
// and values with as many elements as its count needs, finite values; and,
// when `need_labels`, one label per sample, each below `classes`.
void check_samples(const char* call, const Shape& input_shape, const Samples& x,
                   std::span<const std::uint8_t> y, bool need_labels, int classes);

void check_batch_size(const char* call, int batch_size);

}  // namespace vknn::model
