// The proof that the sanitizer step still catches a leak in vknn's own code
// while lavapipe's are suppressed (tests/sanitizers/lsan.supp), built and run
// only in sanitizer builds (VKNN_SANITIZE; tests/sanitizers/CMakeLists.txt).
//
// It trains a tiny model on the Vulkan device, so the driver, its LLVM and
// the layers make their one-time allocations, destroys everything (the
// loader then dlcloses the driver: the case of issue 23), and leaks one
// 48-byte allocation of its own in a function whose name the check looks
// for. check_deliberate_leak.cmake runs it and passes only when LeakSanitizer
// reports exactly that one allocation, from this function: a suppression
// that hid it fails the check, and so does any unsuppressed driver leak.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "vknn/device.hpp"
#include "vknn/model/sequential.hpp"

namespace {

// noinline keeps this frame in the leak's stack.
[[gnu::noinline]] void* vknn_deliberately_leaked_allocation() {
  auto* leaked = new std::uint8_t[48];
  leaked[0] = 1;
  return leaked;
}

void train_a_tiny_model() {
  vknn::ContextOptions context_options;
  context_options.validation = vknn::Validation::on;
  auto context = std::make_shared<vknn::Context>(context_options);
  vknn::Sequential model({
      vknn::Conv2D(2, {3, 3}, vknn::Activation::relu, vknn::Shape{6, 6, 1}),
      vknn::MaxPooling2D(2, 2),
      vknn::Flatten(),
      vknn::Dense(3, vknn::Activation::softmax),
  });
  vknn::CompileOptions options;
  options.context = context;
  model.compile(vknn::Adam(0.01f), options);
  std::vector<float> x(8 * 36);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i % 7) / 7.0f;
  const std::vector<std::uint8_t> y = {0, 1, 2, 0, 1, 2, 0, 1};
  model.fit(vknn::Samples::of_values(x, 8, {6, 6, 1}), y, {.epochs = 1, .batch_size = 4, .verbose = 0});
  if (context->validation_error_count() != 0) {
    std::fprintf(stderr, "deliberate_leak: the validation layer reported errors\n");
    std::exit(3);
  }
}

// The pointer lives only in this volatile store, then is overwritten, so no
// root reaches the block when LeakSanitizer looks at exit.
void* volatile last_pointer = nullptr;

}  // namespace

int main() {
  train_a_tiny_model();
  last_pointer = vknn_deliberately_leaked_allocation();
  last_pointer = nullptr;
  std::puts("deliberate_leak: trained, destroyed the context, leaked 48 bytes");
  // Flushed now: LeakSanitizer ends the process at exit before stdio would.
  std::fflush(stdout);
  return 0;
}
