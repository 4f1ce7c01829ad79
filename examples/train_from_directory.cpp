// Course 1 week 4 on your own pictures: a folder with one subfolder per class
// (horses-or-humans/horses, horses-or-humans/humans, ...), read as Keras's
// image_dataset_from_directory reads it, resized and trained on:
//
//   train_from_directory --train-dir horse-or-human --validation-dir validation-horse-or-human
//
// Two classes train the week-4 binary classifier (Dense(1, sigmoid), binary
// cross-entropy, RMSprop); more train Dense(classes, softmax) with sparse
// categorical cross-entropy. --model course is the notebook's network
// (Conv2D 16/32/64/64/64 with 2x2 max pools, Dense(512)); --model small
// (Conv2D 16/32, Dense(64)) suits small pictures and the tests. Without a
// --validation-dir, --validation-split holds back a fraction of --train-dir
// (Keras's subset rules, seeded by --seed). make_image_folders writes such
// folders from Fashion-MNIST.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <optional>
#include <thread>

#include "common/cli.hpp"
#include "common/device_flag.hpp"
#include "vknn/data/image_folder.hpp"
#include "vknn/model/sequential.hpp"
#include "vknn/model/stop_on_signals.hpp"

namespace {

using namespace vknn;

std::vector<Layer> model_layers(const std::string& kind, int size, int channels, int classes) {
  std::vector<Layer> layers;
  const Shape input{size, size, channels};
  const std::vector<int> filters =
      kind == "course" ? std::vector<int>{16, 32, 64, 64, 64} : std::vector<int>{16, 32};
  for (std::size_t i = 0; i < filters.size(); ++i) {
    if (i == 0) {
      layers.emplace_back(Conv2D(filters[i], {3, 3}, Activation::relu, input));
    } else {
      layers.emplace_back(Conv2D(filters[i], {3, 3}, Activation::relu));
    }
    layers.emplace_back(MaxPooling2D(Size2{2, 2}));
  }
  layers.emplace_back(Flatten());
  layers.emplace_back(Dense(kind == "course" ? 512 : 64, Activation::relu));
  layers.emplace_back(classes == 2 ? Dense(1, Activation::sigmoid)
                                   : Dense(classes, Activation::softmax));
  return layers;
}

data::ColorMode color_mode_of(const std::string& name) {
  return name == "grayscale" ? data::ColorMode::grayscale
         : name == "rgba"    ? data::ColorMode::rgba
                             : data::ColorMode::rgb;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace vknn::examples;
  FlagParser flags("train_from_directory",
                   "Trains a CNN on a folder of pictures with one subfolder per class (PNG, JPEG,\n"
                   "BMP, GIF) and evaluates it on a validation folder or split. Exit status: 0 done,\n"
                   "1 failed, 2 bad flags, 130/143 stopped by a signal.");
  flags.add_string("train-dir", "", "the training folder (one subfolder per class)",
                   {.allow_empty = false}, "PATH");
  flags.add_string("validation-dir", "", "a validation folder with the same classes", {}, "PATH");
  flags.add_real("validation-split", 0.0,
                 "without --validation-dir: the fraction of --train-dir to validate on",
                 {.min = 0, .max = 0.9});
  flags.add_int("size", 150, "pictures are resized to SIZE x SIZE (bilinear)", {.min = 8, .max = 1024},
                "SIZE");
  flags.add_string("color-mode", "rgb", "channels the model sees",
                   {.choices = {"grayscale", "rgb", "rgba"}}, "MODE");
  flags.add_string("model", "small", "small: Conv2D 16/32, Dense 64; course: the week-4 notebook's",
                   {.choices = {"small", "course"}}, "KIND");
  flags.add_int("epochs", 5, "passes over the training pictures", {.min = 0});
  flags.add_int("batch-size", 32, "pictures per step", {.min = 1, .max = 4096});
  flags.add_real("learning-rate", 0.001, "RMSprop's learning rate", {.min = 0, .min_exclusive = true});
  flags.add_int("seed", 1337, "seed of the file shuffle, the split, the weights and fit's shuffles",
                {.min = 0, .max = 4294967295LL});
  flags.add_int("threads", 0, "decoding threads (0: one per hardware thread)", {.min = 0, .max = 256});
  flags.add_int("verbose", 1, "0 silent, 1 progress bars, 2 a line per epoch", {.choices = {0, 1, 2}});
  add_device_flag(flags);
  return run_program(flags, argc, argv, [&] {
    if (!flags.given("train-dir")) throw UsageError("train-dir", "is required");
    const double split = flags.get_real("validation-split");
    const bool validation_folder = !flags.get_string("validation-dir").empty();
    if (validation_folder && split > 0) {
      throw UsageError("validation-split", "give either --validation-dir or --validation-split");
    }
    data::ImageFolderOptions read;
    read.height = read.width = int(flags.get_int("size"));
    read.color_mode = color_mode_of(flags.get_string("color-mode"));
    read.seed = std::uint32_t(flags.get_int("seed"));
    read.threads = int(flags.get_int("threads"));
    if (split > 0) {
      read.validation_split = split;
      read.subset = data::Subset::training;
    }
    const auto start = std::chrono::steady_clock::now();
    const auto train = data::read_image_folder(flags.get_string("train-dir"), read);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("Decoded %lld pictures in %.2f s (%.0f pictures/s, %d threads)\n",
                static_cast<long long>(train.count), seconds, double(train.count) / seconds,
                read.threads > 0 ? read.threads : int(std::max(1u, std::thread::hardware_concurrency())));
    std::optional<data::ImageFolderData> validation;
    if (validation_folder || split > 0) {
      auto options = read;
      if (split > 0) {
        options.subset = data::Subset::validation;
      } else {
        // The validation folder must have the training folder's classes, in
        // the same order, so labels mean the same.
        options.class_names = train.class_names;
      }
      validation = data::read_image_folder(
          validation_folder ? flags.get_string("validation-dir") : flags.get_string("train-dir"),
          options);
    }
    const int classes = int(train.class_names.size());
    if (classes < 2) {
      throw Error("train_from_directory: '" + flags.get_string("train-dir") + "' has " +
                  std::to_string(classes) + " class subfolder; a classifier needs at least 2");
    }
    std::printf("Classes:");
    for (int c = 0; c < classes; ++c) std::printf(" %d=%s", c, train.class_names[std::size_t(c)].c_str());
    std::printf("\n");

    const Target target = open_target(flags);
    Sequential model(model_layers(flags.get_string("model"), train.height, train.channels, classes));
    CompileOptions compile;
    compile.backend = target.backend;
    compile.context = target.context;
    compile.seed = std::uint64_t(flags.get_int("seed"));
    compile.loss = classes == 2 ? "binary_crossentropy" : "sparse_categorical_crossentropy";
    model.compile(RMSprop(float(flags.get_real("learning-rate"))), compile);
    std::printf("Device: %s\n", model.backend_description().c_str());
    model.summary();

    const auto train_samples = Samples::of_pixels(train.pixels, train.count, train.shape());
    std::optional<Samples> validation_samples;
    if (validation) {
      validation_samples = Samples::of_pixels(validation->pixels, validation->count, validation->shape());
    }
    FitOptions fit;
    fit.epochs = int(flags.get_int("epochs"));
    fit.batch_size = int(flags.get_int("batch-size"));
    fit.verbose = int(flags.get_int("verbose"));
    fit.seed = std::uint64_t(flags.get_int("seed"));
    if (validation) fit.validation_data = ValidationData{*validation_samples, validation->labels};
    History history;
    int stop_signal = 0;
    {
      const StopOnSignals stop_on_signals(
          model, {.signals = {SIGINT, SIGTERM}, .second_signal_exits = true});
      history = model.fit(train_samples, train.labels, fit);
      stop_signal = stop_on_signals.received();
    }
    if (history.interrupted && stop_signal != 0) {
      std::printf("\nTraining stopped by a signal.\n");
      return 128 + stop_signal;
    }
    const auto evaluate_on = [&](const char* what, const Samples& x, const std::vector<std::uint8_t>& y) {
      EvaluateOptions options;
      options.batch_size = fit.batch_size;
      options.verbose = 0;
      const Evaluation result = model.evaluate(x, y, options);
      std::printf("%s loss: %.4f - %s accuracy: %.4f\n", what, result.loss, what, result.accuracy);
    };
    evaluate_on("Training", train_samples, train.labels);
    if (validation) evaluate_on("Validation", *validation_samples, validation->labels);
    return 0;
  });
}
