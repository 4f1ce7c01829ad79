// The TensorFlow course's Exercise 3, "improve MNIST with convolutions":
// one Conv2D(32, 3x3, relu) and one MaxPooling2D(2, 2), then Flatten,
// Dense(128, relu) and Dense(10, softmax), trained until training accuracy
// passes 99.8% ("Reached 99.8% accuracy so cancelling training!") or 20
// epochs have run.
#include "common/cli.hpp"
#include "common/course_models.hpp"
#include "common/training.hpp"

int main(int argc, char** argv) {
  using namespace vknn::examples;
  FlagParser flags("train_mnist",
                   "The course's Exercise 3: an MNIST CNN with one convolution, trained until its\n"
                   "training accuracy passes --target-accuracy. Exit status: 0 done, 1 failed,\n"
                   "2 bad flags, 130/143 stopped by Ctrl-C/SIGTERM (rerun to resume with --backup-dir).");
  flags.add_int("filters", 32, "filters in the Conv2D layer", {.choices = {32, 64}});
  add_training_flags(flags, "mnist", {.epochs = 20, .target_accuracy = 0.998});
  return run_program(flags, argc, argv, [&] {
    TrainingProgram program;
    program.dataset_name = "MNIST";
    program.data_folder = "mnist";
    program.load = [](const std::filesystem::path& dir) { return vknn::data::load_mnist(dir); };
    program.layers = mnist_cnn(int(flags.get_int("filters")));
    return run_training(flags, program);
  });
}
