// Single ops on host data through the backend interface (see
// include/vknn/ops/run.hpp).
#include "vknn/ops/run.hpp"

#include <functional>
#include <memory>
#include <string>

#include "backend/backend.hpp"
#include "vknn/error.hpp"

namespace vknn {

namespace {

std::unique_ptr<backend::Backend> backend_for(OpTarget target) {
  return target.context ? backend::make_vulkan_backend(*target.context) : backend::make_cpu_backend();
}

void require_count(const char* op, const char* what, std::size_t got, std::int64_t expected,
                   const std::string& shapes) {
  if (std::int64_t(got) != expected) {
    throw Error(std::string(op) + ": " + what + " has " + std::to_string(got) +
                " values but " + std::to_string(expected) + " are needed (" + shapes + ")");
  }
}

std::unique_ptr<backend::DeviceTensor> upload(backend::Backend& backend, const std::string& name,
                                            std::span<const float> values) {
  auto t = backend.tensor(name, backend::ElementType::f32, std::int64_t(values.size()));
  backend.write(*t, values.data(), values.size_bytes());
  return t;
}

// Records one op with `record`, runs it, waits, and reads `count` floats
// of `output` back.
std::vector<float> run_one(backend::Backend& backend, const char* op,
                           const backend::DeviceTensor& output, std::int64_t count,
                           const std::function<void(backend::ProgramBuilder&)>& record) {
  auto builder = backend.build(op);
  record(*builder);
  auto program = builder->finish();  // must outlive its launch
  program->launch(true);
  backend.synchronize();
  std::vector<float> values(static_cast<std::size_t>(count));
  backend.read(output, values.data(), values.size() * sizeof(float));
  return values;
}

}  // namespace

std::vector<float> run_conv2d(const Conv2DGeometry& g, std::span<const float> x,
                              std::span<const float> kernel, std::span<const float> bias,
                              Activation activation, OpTarget target) {
  g.validate();
  require_count("conv2d", "input", x.size(), g.input_size(), g.describe());
  require_count("conv2d", "kernel", kernel.size(), g.kernel_size(), g.describe());
  require_count("conv2d", "bias", bias.size(), g.out_c, g.describe());
  auto backend = backend_for(target);
  auto tx = upload(*backend, "conv2d input", x);
  auto tk = upload(*backend, "conv2d kernel", kernel);
  auto tb = upload(*backend, "conv2d bias", bias);
  auto ty = backend->tensor("conv2d output", backend::ElementType::f32, g.output_size());
  return run_one(*backend, "conv2d", *ty, g.output_size(), [&](backend::ProgramBuilder& b) {
    b.record(backend::op::Conv2dForward{
        .geometry = g, .activation = activation, .x = *tx, .kernel = *tk, .bias = *tb, .y = *ty});
  });
}

std::vector<float> run_maxpool2d(const Pool2DGeometry& g, std::span<const float> x,
                                 OpTarget target) {
  g.validate();
  require_count("maxpool2d", "input", x.size(), g.input_size(), g.describe());
  auto backend = backend_for(target);
  auto tx = upload(*backend, "maxpool2d input", x);
  auto ty = backend->tensor("maxpool2d output", backend::ElementType::f32, g.output_size());
  return run_one(*backend, "maxpool2d", *ty, g.output_size(), [&](backend::ProgramBuilder& b) {
    b.record(backend::op::Maxpool2dForward{.geometry = g, .x = *tx, .y = *ty});
  });
}

}  // namespace vknn
