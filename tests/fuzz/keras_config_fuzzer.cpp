// Fuzzes the config.json reader of load_model (model::read_keras_config,
// vknn's own parsing of a .keras file; the zip and the HDF5 weights are
// libzip's and the HDF5 library's) and the model it describes
// (Architecture::build). Any input must either be refused with a
// vknn::Error or give a model whose config, written and read again, is a
// fixed point: write(read(write(c))) == write(c), so nothing the reader
// accepts is lost or changed by a save.
#include <cstdlib>
#include <string>

#include "fuzz_support.hpp"
#include "model/architecture.hpp"
#include "model/keras_config.hpp"
#include "vknn/error.hpp"

namespace {

using namespace vknn;

std::string written(const model::ModelConfig& config) {
  auto architecture = model::Architecture::build(config.layers);
  for (std::size_t i = 0; i < config.trainable.size(); ++i) {
    architecture.set_trainable(i, config.trainable[i]);
  }
  std::vector<std::optional<std::uint64_t>> seeds(architecture.size());
  for (std::size_t i = 0; i < config.layers.size(); ++i) {
    if (const auto* d = std::get_if<Dropout>(&config.layers[i])) seeds[i] = d->seed;
  }
  return model::write_keras_config(config, architecture, seeds);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const char* stage = "accepted";
  try {
    const model::ModelConfig config = model::read_keras_config(text, "fuzz.keras (config.json)");
    std::string first;
    try {
      first = written(config);
    } catch (const Error&) {
      stage = "refused-by-architecture";
      if (fuzz::census_requested()) std::fprintf(stderr, "census: %s\n", stage);
      return 0;
    }
    // What was written must read back, and write the same text again.
    const model::ModelConfig again = model::read_keras_config(first, "written");
    if (written(again) != first) std::abort();
  } catch (const Error& e) {
    const std::string_view msg = e.what();
    stage = msg.find("not valid JSON") != std::string_view::npos ? "refused-json"
            : msg.find("compile_config") != std::string_view::npos ? "refused-compile-config"
                                                                     : "refused-layers";
  }
  if (fuzz::census_requested()) std::fprintf(stderr, "census: %s\n", stage);
  return 0;
}
