// Weights files in the safetensors format (https://github.com/huggingface/safetensors),
// float32 only, which Keras, PyTorch and numpy users can read directly.
//
// Layout:
//   8 bytes      N, the header length, unsigned little-endian
//   N bytes      a UTF-8 JSON object, padded with trailing spaces:
//                  {"conv2d/kernel": {"dtype": "F32", "shape": [3, 3, 1, 64],
//                                     "data_offsets": [0, 2304]},
//                   ...,
//                   "__metadata__": {"format": "vknn", ...}}
//   the data     every tensor's values, row-major, little-endian float32;
//                data_offsets are [begin, end) byte offsets from the start
//                of the data.
//
// Writing: tensors in the order given, contiguous; the header is padded so
// the data starts at a multiple of 8 bytes (as the reference implementation
// does); __metadata__ holds "format": "vknn" plus the caller's string pairs.
// save_safetensors replaces the target atomically: a temporary file in the
// same folder is written, flushed and fsynced, then renamed over the target;
// on any failure the temporary file is removed and an existing target is left
// exactly as it was. (A symbolic link at the target is replaced by the new
// file, not followed. A new file gets mode 0644; a replaced one keeps its mode.)
//
// Reading is strict and never trusts the header: the header length must fit
// the file and be at most 100 MB (the reference implementation's limit),
// checked before any parsing; the JSON must be well formed (nlohmann-json's
// SAX parser does the grammar, UTF-8 and escapes; vknn accepts only this
// subset: objects nested at most two deep, strings, arrays of non-negative
// integers, no duplicate keys; errors give the file byte offset); every
// tensor entry must have exactly
// dtype "F32", shape and data_offsets, a shape's byte size must equal its
// offsets' span, names must be unique, and the tensors, sorted by offset,
// must tile the data exactly (no gaps, no overlaps, no truncation, no
// trailing bytes). Other producers may list tensors in any key order; that is
// accepted. Every error is a vknn::Error naming the file and, where there is
// one, the tensor.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "io/tensor_spec.hpp"

namespace vknn::io {


// A named float32 tensor, row-major.
struct Tensor {
  std::string name;
  TensorShape shape;
  std::vector<float> values;  // product(shape) values

  TensorSpec spec() const { return {name, shape}; }
};

using Metadata = std::vector<std::pair<std::string, std::string>>;

struct WeightsFile {
  std::string source;           // the path (or the name given to decode), for messages
  std::vector<Tensor> tensors;  // in header order
  Metadata metadata;            // the "__metadata__" pairs, in header order

  // The tensor with that name, or nullptr.
  const Tensor* find(const std::string& name) const;
  std::vector<TensorSpec> specs() const;
};

// The bytes of a safetensors file. Throws vknn::Error (naming the tensor) for
// duplicate or empty names, the reserved name "__metadata__", a negative
// dimension, a value count that does not match the shape, or a metadata key
// "format" (the writer sets it to "vknn").
std::vector<std::uint8_t> encode_safetensors(const std::vector<Tensor>& tensors,
                                             const Metadata& metadata = {});

// Parses the bytes of a safetensors file; source names it in errors.
WeightsFile decode_safetensors(std::span<const std::uint8_t> bytes, const std::string& source);

// Writes the file atomically (see above); throws vknn::Error naming the path.
void save_safetensors(const std::filesystem::path& path, const std::vector<Tensor>& tensors,
                      const Metadata& metadata = {});

// Reads and checks the whole file; throws vknn::Error naming the path.
WeightsFile load_safetensors(const std::filesystem::path& path);

// Checks that the file holds exactly the expected tensors (any order) with
// exactly their shapes (every loaded tensor is F32). Throws one vknn::Error
// naming the file and listing every problem: a shape mismatch
// ("conv2d_1/kernel: file has shape (3, 3, 64, 32), model expects
// (3, 3, 64, 64)"), a missing tensor, an unexpected extra tensor.
void check_tensors(const WeightsFile& file, const std::vector<TensorSpec>& expected);

// Checks that every value is finite. Throws a vknn::Error naming the file,
// the first tensor (in header order) holding a NaN or an infinity, the first
// bad value's flat index and its index in the shape, and how many of the
// tensor's values are bad ("conv2d/kernel: value 7 at index (0, 1, 0, 3) of
// shape (3, 3, 1, 4) is NaN (2 of 36 values are not finite)"), then
// `remedy`: what the file is and what the reader can do about it.
inline constexpr const char* kNonFiniteWeightsRemedy =
    "weights must be finite numbers (a diverged training run?); "
    "LoadWeightsOptions::allow_non_finite loads them anyway";
void check_finite(const WeightsFile& file, const std::string& remedy = kNonFiniteWeightsRemedy);

}  // namespace vknn::io
