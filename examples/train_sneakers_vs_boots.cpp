// A binary classifier (the TensorFlow course's week 4 shape: one sigmoid
// unit, binary cross-entropy, RMSprop) on two classes of Fashion-MNIST that
// look alike: sneakers (class 7, label 0) against ankle boots (class 9,
// label 1):
//
//   Conv2D(16, 3x3, relu, input 28x28x1) -> MaxPooling2D(2, 2)
//   -> Conv2D(32, 3x3, relu) -> MaxPooling2D(2, 2)
//   -> Flatten -> Dense(64, relu) -> Dense(1, sigmoid)
//
// The data are the 12,000 training and 2,000 test images of those two
// classes. Accuracy is Keras's binary accuracy (sigmoid > 0.5).
#include "common/cli.hpp"
#include "common/training.hpp"

namespace {

constexpr int kSneaker = 7;
constexpr int kAnkleBoot = 9;

// The images of the two classes, in their order, labelled 0 and 1.
vknn::data::LabeledImages two_classes(const vknn::data::LabeledImages& all) {
  vknn::data::LabeledImages out;
  out.images.rows = all.images.rows;
  out.images.cols = all.images.cols;
  out.num_classes = 2;
  for (std::int64_t i = 0; i < all.size(); ++i) {
    const int label = all.labels[std::size_t(i)];
    if (label != kSneaker && label != kAnkleBoot) continue;
    const auto image = all.images.image(i);
    out.images.pixels.insert(out.images.pixels.end(), image.begin(), image.end());
    out.labels.push_back(label == kAnkleBoot ? 1 : 0);
    ++out.images.count;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace vknn;
  using namespace vknn::examples;
  FlagParser flags("train_sneakers_vs_boots",
                   "Trains a binary classifier (Dense(1, sigmoid), binary cross-entropy, RMSprop)\n"
                   "to tell Fashion-MNIST's sneakers from its ankle boots, and evaluates it on their\n"
                   "test images. Exit status: 0 done, 1 failed, 2 bad flags, 130/143 stopped by a signal.");
  flags.add_real("dropout", 0.0, "a Dropout(RATE) layer before the last Dense; 0: none",
                 {.min = 0, .max = 0.99}, "RATE");
  add_training_flags(flags, "fashion-mnist", {.epochs = 3, .target_accuracy = 0});
  return run_program(flags, argc, argv, [&] {
    TrainingProgram program;
    program.dataset_name = "Fashion-MNIST sneakers (0) and ankle boots (1)";
    program.data_folder = "fashion-mnist";
    program.load = [](const std::filesystem::path& dir) {
      const data::DatasetSplits all = data::load_fashion_mnist(dir);
      return data::DatasetSplits{two_classes(all.train), two_classes(all.test)};
    };
    program.layers = {Conv2D(16, {3, 3}, Activation::relu, Shape{28, 28, 1}),
                      MaxPooling2D(Size2{2, 2}),
                      Conv2D(32, {3, 3}, Activation::relu),
                      MaxPooling2D(Size2{2, 2}),
                      Flatten(),
                      Dense(64, Activation::relu)};
    if (const double rate = flags.get_real("dropout"); rate > 0) {
      program.layers.emplace_back(Dropout(float(rate)));
    }
    program.layers.emplace_back(Dense(1, Activation::sigmoid));
    program.loss = "binary_crossentropy";
    program.optimizer = [](float lr) { return RMSprop(lr); };
    return run_training(flags, program);
  });
}
