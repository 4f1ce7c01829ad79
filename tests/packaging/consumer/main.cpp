// A program outside the vknn tree that links vknn::vknn and uses the public
// API as the README shows it: a Sequential model trained for an epoch on a
// small synthetic set, on the default Vulkan device, then saved as a
// .keras file and loaded back (which links HDF5 and libzip through the
// package's dependencies).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "vknn/model/sequential.hpp"
#include "vknn/version.hpp"

int main() {
  std::printf("vknn %s\n", vknn::version_string());
  const int count = 64, side = 8;
  std::vector<std::uint8_t> pixels(count * side * side), labels(count);
  for (int i = 0; i < count; ++i) {
    labels[i] = std::uint8_t(i % 2);
    for (int p = 0; p < side * side; ++p) pixels[i * side * side + p] = std::uint8_t((p * 7 + i * (labels[i] ? 31 : 3)) % 256);
  }
  vknn::Sequential model({
      vknn::Conv2D(4, {3, 3}, vknn::Activation::relu, vknn::Shape{side, side, 1}),
      vknn::MaxPooling2D(2, 2),
      vknn::Flatten(),
      vknn::Dense(2, vknn::Activation::softmax),
  });
  model.summary();
  model.compile(vknn::Adam());
  std::printf("%s\n", model.backend_description().c_str());
  const vknn::Samples x{pixels, count, {side, side, 1}};
  const vknn::History history = model.fit(x, labels, {.epochs = 1, .verbose = 2});
  const vknn::Evaluation result = model.evaluate(x, labels, {.verbose = 0});
  if (history.history.at("loss").size() != 1 || !(result.loss > 0)) {
    std::printf("unexpected results\n");
    return 1;
  }
  const auto path = std::filesystem::temp_directory_path() /
                    ("vknn_consumer_" + std::to_string(::getpid()) + ".keras");
  model.save(path);
  vknn::Sequential loaded = vknn::load_model(path);
  std::filesystem::remove(path);
  if (loaded.predict(x) != model.predict(x)) {
    std::printf("the loaded model predicts differently\n");
    return 1;
  }
  std::printf("consumer ok: loss %.4f accuracy %.4f; saved and loaded %s\n", result.loss,
              result.accuracy, path.filename().c_str());
  return 0;
}
