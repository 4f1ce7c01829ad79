// Fuzzes Sequential::load_weights end to end: a file is read, checked
// against a small model's expected tensors (names, shapes) and for finite
// values, and only then loaded. Any input must either load (and then the
// model's weights are exactly the file's values) or be refused with a
// vknn::Error that leaves the weights as they were.
//
// The model is tiny so that a valid file (188 bytes of data) fits the
// fuzzer's input size: Conv2D(2, 3x3, relu, 6x6x1) -> MaxPooling2D(2, 2) ->
// Flatten -> Dense(3, softmax), whose tensors are conv2d/kernel (3, 3, 1, 2),
// conv2d/bias (2), dense/kernel (8, 3) and dense/bias (3).
#include <cstdlib>
#include <cstring>
#include <memory>

#include "fuzz_support.hpp"
#include "safetensors_mutator.hpp"
#include "io/safetensors.hpp"
#include "vknn/error.hpp"
#include "vknn/model/sequential.hpp"

namespace {

using namespace vknn;

Sequential& tiny_model() {
  static std::unique_ptr<Sequential> m = [] {
    auto s = std::make_unique<Sequential>(std::vector<Layer>{
        Conv2D(2, {3, 3}, Activation::relu, Shape{6, 6, 1}), MaxPooling2D(2, 2), Flatten(),
        Dense(3, Activation::softmax)});
    CompileOptions options;
    options.backend = BackendKind::cpu;  // no Vulkan: the fuzzer tests the file path
    s->compile(Adam(), options);
    return s;
  }();
  return *m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Sequential& m = tiny_model();
  const auto path = fuzz::write_scratch_file("weights.safetensors", data, size);
  const auto before = m.get_weights();
  const char* stage = "loaded";
  try {
    m.load_weights(path);
    // Loaded: the weights are the file's, in the model's order, bit for bit.
    const io::WeightsFile file = io::load_safetensors(path);
    const auto after = m.get_weights();
    const auto names = m.weight_names();
    for (std::size_t i = 0; i < names.size(); ++i) {
      const io::Tensor* t = file.find(names[i]);
      if (t == nullptr || t->values.size() != after[i].size()) std::abort();
      if (!t->values.empty() &&
          std::memcmp(t->values.data(), after[i].data(), after[i].size() * sizeof(float)) != 0) {
        std::abort();
      }
    }
    m.set_weights(before);  // the next input starts from the same model
  } catch (const Error& e) {
    if (m.get_weights() != before) std::abort();  // a refused file changed the model
    const std::string_view msg = e.what();
    if (msg.find("do not match the model") != std::string_view::npos) {
      stage = "refused-model-mismatch";
    } else if (msg.find("not finite") != std::string_view::npos) {
      stage = "refused-non-finite";
    } else if (msg.find("malformed header") != std::string_view::npos ||
               msg.find("header length") != std::string_view::npos ||
               msg.find("8-byte header length") != std::string_view::npos) {
      stage = "refused-in-header";
    } else {
      stage = "refused-by-tensor-checks";
    }
  }
  if (fuzz::census_requested()) std::fprintf(stderr, "census: %s\n", stage);
  return 0;
}

// Mutations that keep the header length consistent (safetensors_mutator.hpp).
extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
  return vknn::fuzz::mutate_safetensors(data, size, max_size, seed);
}
