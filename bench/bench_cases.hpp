// The benchmark cases of vknn-bench: each op of the course model at its
// real shapes, described once and run on any backend.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.hpp"

namespace vknn::bench {

using Tensors = std::vector<std::unique_ptr<backend::DeviceTensor>>;

struct OpCase {
  std::string name;  // e.g. "conv2d_forward/conv2"
  double flops = 0;  // per run (for pooling: compares; element-wise ops: one per element)
  double bytes = 0;  // read + written once, per run
  // Makes the tensors (random contents) and records the op.
  std::function<void(backend::Backend&, backend::ProgramBuilder&, Tensors&)> record;
};

// The course model's layers at batch `batch`; `filters` 64 for the course,
// `quick` shrinks the images for CI. Every op of the training step has a
// case at the step's shapes (Adam once over all parameters, where the step
// runs it once per parameter tensor), plus conv1's input gradient and
// conv1-sized relu backward, which the step does not run.
std::vector<OpCase> course_model_ops(int batch, int filters, bool quick);

// Every op of a picture model's training step (bench_models.hpp's binary
// picture classifiers: 3x3 relu convs of `filters` each with a 2x2 pool on
// side x side x 3 inputs, Dense(dense_units) relu, Dense(1)), named
// <op>/<model>_<layer>: the first block unfused (_conv1, _pool1) and fused
// (_conv1_pool1), each later conv's four passes and pool's two, both dense
// layers' four, and RMSprop once over all parameters (_all_parameters).
std::vector<OpCase> picture_model_ops(const std::string& model, int batch, int side,
                                      const std::vector<int>& filters, int dense_units);

}  // namespace vknn::bench
