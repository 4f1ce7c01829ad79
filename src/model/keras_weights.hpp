// model.weights.h5 of a `.keras` file: where Keras 3's saving_lib puts each
// variable (keras/src/saving/saving_lib.py, _save_state and H5IOStore), and
// back.
//
//   vars                          the model itself (no variables), attribute name
//   layers/<type>[_N]/vars/0, 1   a layer's kernel and bias, in Keras layouts; the
//                                 group is named by the layer's class in snake case
//                                 with a counter per class (conv2d, conv2d_1, ...),
//                                 not by the layer's name, as saving_lib does; a
//                                 layer without weights has an empty vars group
//   optimizer/vars/0              iterations (int64 scalar)
//   optimizer/vars/1              the learning rate (float32 scalar)
//   optimizer/vars/2...           the slots, for the trainable layers' weights only
//                                 (Keras builds its optimizer on trainable_variables):
//                                 Adam and SGD interleaved per weight (m, v / momentum),
//                                 RMSprop all velocities then all momentums
//
// Every `vars` group carries the attribute "name" (the layer's, the model's,
// the optimizer's), as Keras 3.16 writes it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/hdf5_image.hpp"
#include "vknn/model/compile.hpp"

namespace vknn::model {

class Architecture;

// The values a `.keras` file holds beyond the config.
struct ModelState {
  std::vector<std::vector<float>> weights;  // per parameter, Architecture::parameters() order
  // Per parameter, its optimizer state in optimizer_state_names() order
  // (Adam m, v; SGD velocity; RMSprop velocity then momentum).
  std::vector<std::vector<std::vector<float>>> slots;
  std::uint32_t iterations = 0;
  float learning_rate = 0.0f;
};

// The HDF5 tree of the state. Slots of frozen layers are not written
// (Keras's optimizer holds none for them).
io::H5Tree write_keras_weights(const Architecture& architecture, const Optimizer& optimizer,
                               const std::string& model_name, const ModelState& state);

// The state in a weights tree, checked against the model it is for: every
// weight present with its exact shape, the optimizer's variables either the
// two scalars alone (an optimizer Keras never built: the slots start at
// zero) or those and one slot per trainable weight, nothing else, every
// value finite. Frozen layers' slots start at zero. Throws vknn::Error
// naming `source` and the dataset.
ModelState read_keras_weights(const io::H5Tree& tree, const Architecture& architecture,
                              const Optimizer& optimizer, const std::string& source);

}  // namespace vknn::model
