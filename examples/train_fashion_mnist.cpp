// The TensorFlow course's Fashion-MNIST CNN (Course 1, week 3, lab 1:
// "improving computer vision accuracy using convolutions"), on vknn:
//
//   Conv2D(64, 3x3, relu, input 28x28x1) -> MaxPooling2D(2, 2)
//   -> Conv2D(64, 3x3, relu) -> MaxPooling2D(2, 2)
//   -> Flatten -> Dense(128, relu) -> Dense(10, softmax)
//
// trained with Adam and sparse categorical cross-entropy for 5 epochs of
// batch 32, then evaluated on the test set. The flags try the lab's
// exercises: --filters 16/32/64, --conv-layers 1 (remove the final
// convolution and pooling), --target-accuracy (the callback that cancels
// training once accuracy passes a threshold), and --dropout adds week 4's
// Dropout before the last Dense.
#include "common/cli.hpp"
#include "common/course_models.hpp"
#include "common/training.hpp"

int main(int argc, char** argv) {
  using namespace vknn::examples;
  FlagParser flags("train_fashion_mnist",
                   "Trains the TensorFlow course's Fashion-MNIST CNN (Conv2D, MaxPooling2D, Dense)\n"
                   "and evaluates it on the test set. Exit status: 0 done, 1 failed, 2 bad flags,\n"
                   "130/143 stopped by Ctrl-C/SIGTERM (rerun to resume with --backup-dir).");
  flags.add_int("filters", 64, "filters in each Conv2D layer", {.choices = {16, 32, 64}});
  flags.add_int("conv-layers", 2,
                "Conv2D+MaxPooling2D pairs; 1 is the exercise that removes the final pair",
                {.choices = {1, 2}});
  flags.add_real("dropout", 0.0,
                 "a Dropout(RATE) layer before the last Dense (week 4, against overfitting); 0: none",
                 {.min = 0, .max = 0.99}, "RATE");
  add_training_flags(flags, "fashion-mnist", {.epochs = 5, .target_accuracy = 0});
  return run_program(flags, argc, argv, [&] {
    TrainingProgram program;
    program.dataset_name = "Fashion-MNIST";
    program.data_folder = "fashion-mnist";
    program.load = [](const std::filesystem::path& dir) { return vknn::data::load_fashion_mnist(dir); };
    program.layers = fashion_cnn(int(flags.get_int("filters")), int(flags.get_int("conv-layers")),
                                 float(flags.get_real("dropout")));
    return run_training(flags, program);
  });
}
