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

std::vector<float> run_augmented_gather(const Augmentation& augmentation, int height, int width,
                                        int channels, std::span<const std::uint8_t> pixels,
                                        std::span<const float> values,
                                        std::span<const std::uint32_t> samples,
                                        std::uint32_t step, OpTarget target) {
  const char* op = "run_augmented_gather";
  augmentation.validate();
  if (height < 1 || width < 1 || channels < 1) {
    throw Error(std::string(op) + ": pictures need height, width and channels >= 1, got " +
                std::to_string(height) + "x" + std::to_string(width) + "x" + std::to_string(channels));
  }
  if (pixels.empty() == values.empty()) {
    throw Error(std::string(op) + ": give the dataset as uint8 pixels or as float values (" +
                (pixels.empty() ? "neither" : "both") + " given)");
  }
  const std::int64_t sample_size = std::int64_t(height) * width * channels;
  const std::size_t given = pixels.empty() ? values.size() : pixels.size();
  if (given % std::size_t(sample_size) != 0) {
    throw Error(std::string(op) + ": the dataset's " + std::to_string(given) +
                " values are not whole pictures of " + std::to_string(height) + "x" +
                std::to_string(width) + "x" + std::to_string(channels));
  }
  const std::int64_t count = std::int64_t(given) / sample_size;
  if (samples.empty()) throw Error(std::string(op) + ": no samples to gather");
  for (std::uint32_t s : samples) {
    if (s >= count) {
      throw Error(std::string(op) + ": sample " + std::to_string(s) + " is not below the " +
                  std::to_string(count) + " pictures of the dataset");
    }
  }
  auto backend = backend_for(target);
  std::unique_ptr<backend::DeviceTensor> dataset;
  if (pixels.empty()) {
    dataset = backend->float_dataset("augmented gather values", sample_size, count);
    backend->write(*dataset, values.data(), values.size_bytes());
  } else {
    dataset = backend->tensor("augmented gather pixels", backend::ElementType::u8, std::int64_t(given));
    backend->write(*dataset, pixels.data(), pixels.size());
  }
  auto labels = backend->tensor("augmented gather labels", backend::ElementType::u8, count);
  backend->zero(*labels);
  const std::int64_t n = std::int64_t(samples.size());
  auto order = backend->tensor("augmented gather order", backend::ElementType::u32, n);
  backend->write(*order, samples.data(), samples.size_bytes());
  auto state = backend->tensor("augmented gather step", backend::ElementType::u32,
                               std::int64_t(kStepStateBytes / 4));
  StepState at;
  at.iterations = step;
  backend->write_state(*state, at);
  auto x = backend->tensor("augmented gather x", backend::ElementType::f32, n * sample_size);
  auto labels_out = backend->tensor("augmented gather labels out", backend::ElementType::u32, n);
  return run_one(*backend, op, *x, n * sample_size, [&](backend::ProgramBuilder& b) {
    b.record(backend::op::GatherAugmentedBatch{.augmentation = augmentation,
                                               .height = std::uint32_t(height),
                                               .width = std::uint32_t(width),
                                               .channels = std::uint32_t(channels),
                                               .batch_size = std::uint32_t(n),
                                               .first = 0,
                                               .count = std::uint32_t(n),
                                               .images = *dataset,
                                               .labels = *labels,
                                               .order = *order,
                                               .state = *state,
                                               .x = *x,
                                               .labels_out = *labels_out});
  });
}

}  // namespace vknn
