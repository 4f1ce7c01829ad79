// HDF5 files as byte images in memory, through the HDF5 C library (Debian's
// libhdf5-dev): what Keras's model.weights.h5 is inside a `.keras` zip.
//
// The file is seen as a tree of groups (each with string attributes) and
// numeric datasets; a dataset is float32 (any HDF5 float is read as float32)
// or integer (read as int64). That is all Keras's H5IOStore writes for a
// float32 model: one group per saveable, `vars` under it, datasets "0",
// "1", ... and a "name" attribute on `vars`.
//
// Reading is defensive where the HDF5 library lets it be: soft and external
// links, virtual and external datasets are refused (Keras's loader refuses
// them too), as are other datatypes (strings, compounds), and a dataset
// whose declared size is more than 1000 times what is stored (a "shape
// bomb", Keras's own guard) is refused before it is read. The HDF5 library
// itself parses the file's binary structures; it is not hardened against
// every crafted file (docs/saving.md says so). Errors are vknn::Error
// naming the source and the object.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "io/tensor_spec.hpp"

namespace vknn::io {

struct H5Dataset {
  enum class Type { f32, i64 } type = Type::f32;
  TensorShape shape;              // () for a scalar
  std::vector<float> floats;      // type f32: product(shape) values
  std::vector<std::int64_t> ints; // type i64
};

struct H5Tree {
  // Group path ("layers/conv2d/vars", no leading slash) -> string attributes.
  // Every group of the file is listed, also those without attributes.
  std::map<std::string, std::map<std::string, std::string>> groups;
  // Dataset path ("layers/conv2d/vars/0") -> dataset.
  std::map<std::string, H5Dataset> datasets;
};

// The bytes of an HDF5 file holding the tree (groups are created with their
// parents; datasets contiguous, little-endian, as h5py writes them).
std::vector<std::uint8_t> encode_hdf5(const H5Tree& tree, const std::string& source);

// The tree of an HDF5 file's bytes. Throws vknn::Error naming `source`.
H5Tree decode_hdf5(std::span<const std::uint8_t> bytes, const std::string& source);

}  // namespace vknn::io
