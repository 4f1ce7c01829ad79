// The TensorFlow course's "visualizing the convolutions and pooling" (the
// end of Course 1, week 3, lab 1): for a few test images, draw what one
// filter of each Conv2D and MaxPooling2D layer of a trained model makes of
// them, one row per image, one column per layer.
//
//   build/examples/train_fashion_mnist --epochs 1 --save fashion.safetensors
//   build/examples/visualize_activations --weights fashion.safetensors
//
// The default --images 0,23,28 are the course's: three ankle boots, in the
// official test set's order (data/fashion-mnist holds Zalando's files, the
// same order as Keras's load_data()).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <system_error>
#include <variant>

#include "common/activation_grid.hpp"
#include "common/cli.hpp"
#include "common/course_models.hpp"
#include "common/device_flag.hpp"
#include "common/files.hpp"
#include "common/image_io.hpp"
#include "vknn/error.hpp"
#include "vknn/model/sequential.hpp"

namespace {

using namespace vknn::examples;
namespace fs = std::filesystem;

constexpr const char* kClassNames[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                         "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

// A feature-map layer of the model: its index in the layer list, its
// Keras-style name and its output size.
struct MapLayer {
  std::size_t index = 0;
  std::string name;
  int height = 0, width = 0, channels = 0;
};

std::vector<MapLayer> feature_map_layers(const vknn::Sequential& model) {
  std::vector<MapLayer> result;
  const auto layers = model.layers();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const auto& layer = layers[i];
    if (layer.type == "Conv2D" || layer.type == "MaxPooling2D") {
      result.push_back({i, layer.name, layer.output_shape[0], layer.output_shape[1],
                        layer.output_shape[2]});
    }
  }
  return result;
}

int visualize(const FlagParser& flags) {
  const int filters = int(flags.get_int("filters"));
  const long long filter_index = flags.get_int("filter-index");
  if (filter_index >= filters) {
    throw UsageError("filter-index", "the model's Conv2D layers have " + std::to_string(filters) +
                                         " filters, so 0.." + std::to_string(filters - 1) + ", got " +
                                         std::to_string(filter_index));
  }
  std::error_code ec;
  const std::vector<long long> images = parse_int_list("images", flags.get_string("images"));
  if (images.size() > 32) throw UsageError("images", "at most 32 images, got " + std::to_string(images.size()));
  const std::string& weights = flags.get_string("weights");
  if (weights.empty()) {
    throw UsageError("weights",
                     "required: the weights of a trained model. Make them with\n"
                     "  build/examples/train_fashion_mnist --save fashion.safetensors\n"
                     "(--epochs 1 or --limit 6000 for a quicker one), then give --weights "
                     "fashion.safetensors\nwith the same --filters and --conv-layers");
  }
  if (!fs::is_regular_file(weights, ec)) {
    throw UsageError("weights", "no file '" + weights +
                                    "' (train_fashion_mnist --save PATH writes one)");
  }
  const fs::path out = flags.get_string("out");
  if (fs::is_directory(out, ec)) throw UsageError("out", "'" + out.string() + "' is a folder; give a file name");
  const fs::path out_folder = out.has_parent_path() ? out.parent_path() : fs::path(".");
  if (!fs::is_directory(out_folder, ec)) {
    throw UsageError("out", "the folder '" + out_folder.string() + "' does not exist");
  }
  const Colormap colormap = flags.get_string("colormap") == "gray" ? Colormap::gray : Colormap::inferno;
  const int cell = int(flags.get_int("cell-size"));

  const fs::path data_dir = flags.given("data-dir") ? fs::path(flags.get_string("data-dir"))
                                                    : find_dataset_dir("fashion-mnist");
  const vknn::data::LabeledImages test = vknn::data::load_fashion_mnist(data_dir).test;
  std::vector<std::uint8_t> pixels;
  for (const long long i : images) {
    if (i < 0 || i >= test.size()) {
      throw UsageError("images", "the test set has images 0.." + std::to_string(test.size() - 1) +
                                     ", got " + std::to_string(i));
    }
    const auto image = test.images.image(i);
    pixels.insert(pixels.end(), image.begin(), image.end());
  }

  const Target target = open_target(flags);
  const std::vector<vknn::Layer> layers = fashion_cnn(filters, int(flags.get_int("conv-layers")));
  vknn::Sequential model(layers);
  vknn::CompileOptions options;
  options.backend = target.backend;
  options.context = target.context;
  model.compile(vknn::Adam(), options);
  try {
    model.load_weights(weights);
  } catch (const vknn::Error& e) {
    throw std::runtime_error(std::string(e.what()) +
                             "\n(give the --filters and --conv-layers the weights were trained with)");
  }
  std::printf("Device: %s\n", model.backend_description().c_str());

  const vknn::Samples x{pixels, std::int64_t(images.size()), {28, 28, 1}};
  const auto outputs = model.layer_outputs(x);
  const auto map_layers = feature_map_layers(model);
  const std::vector<float>& probabilities = outputs.back();

  std::vector<std::vector<FeatureMap>> rows;
  for (std::size_t n = 0; n < images.size(); ++n) {
    std::vector<FeatureMap> row;
    if (flags.get_bool("with-input")) {
      const auto image = test.images.image(images[n]);
      row.push_back({28, 28, std::vector<float>(image.begin(), image.end())});
    }
    for (const auto& layer : map_layers) {
      FeatureMap map{layer.width, layer.height, {}};
      const std::vector<float>& values = outputs[layer.index];
      for (int y = 0; y < layer.height; ++y) {
        for (int xx = 0; xx < layer.width; ++xx) {
          const std::size_t at = ((n * std::size_t(layer.height) + std::size_t(y)) * std::size_t(layer.width) +
                                  std::size_t(xx)) * std::size_t(layer.channels) + std::size_t(filter_index);
          map.values.push_back(values[at]);
        }
      }
      row.push_back(std::move(map));
    }
    rows.push_back(std::move(row));

    const float* p = probabilities.data() + n * 10;
    const int predicted = int(std::max_element(p, p + 10) - p);
    const int label = test.labels[std::size_t(images[n])];
    std::printf("row %zu: test image %lld (%s); the model says %s (%.0f%%)\n", n + 1, images[n],
                kClassNames[label], kClassNames[predicted], 100.0 * p[predicted]);
  }
  std::string columns = flags.get_bool("with-input") ? "input (28x28)" : "";
  for (const auto& layer : map_layers) {
    columns += (columns.empty() ? "" : ", ") + layer.name + " (" + std::to_string(layer.height) + "x" +
               std::to_string(layer.width) + ")";
  }
  std::printf("columns: %s; filter %lld of each\n", columns.c_str(), filter_index);

  const Image8 grid = compose_grid(rows, cell, 2, colormap);
  write_png(out, grid);
  std::printf("Wrote %s: %dx%d pixels\n", out.string().c_str(), grid.width, grid.height);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  FlagParser flags("visualize_activations",
                   "Draws what one filter of each Conv2D and MaxPooling2D layer of a trained\n"
                   "Fashion-MNIST model makes of a few test images (the course's CONVOLUTION_NUMBER\n"
                   "lab): one row per image, one column per layer. Exit status: 0 done, 1 failed,\n"
                   "2 bad flags.");
  flags.add_string("weights", "", "weights written by train_fashion_mnist --save (required)",
                   {.allow_empty = false}, "PATH");
  flags.add_int("filters", 64, "filters per Conv2D layer of that model", {.choices = {16, 32, 64}});
  flags.add_int("conv-layers", 2, "Conv2D+MaxPooling2D pairs of that model", {.choices = {1, 2}});
  flags.add_string("images", "0,23,28",
                   "test images, one row each (the official test set's order, as the course's;\n"
                   "0, 23 and 28 are ankle boots)",
                   {}, "I,J,...");
  flags.add_int("filter-index", 1, "which filter of each layer to show (the course's CONVOLUTION_NUMBER)",
                {.min = 0});
  flags.add_string("out", "activations.png", "the PNG to write", {.allow_empty = false}, "PATH");
  flags.add_int("cell-size", 104, "pixels per side of each drawn map", {.min = 8, .max = 256});
  flags.add_string("colormap", "inferno", "colors of the maps (the course draws inferno)",
                   {.choices = {"inferno", "gray"}}, "NAME");
  flags.add_bool("with-input", false, "add the input image as a first column");
  add_device_flag(flags);
  flags.add_string("data-dir", "",
                   "folder with Fashion-MNIST's IDX files; without it, data/fashion-mnist found\n"
                   "upwards from the executable or the current folder, else Debian's\n"
                   "dataset-fashion-mnist files in " + std::string(vknn::data::kDebianFashionMnistDir),
                   {.allow_empty = false}, "DIR");
  return run_program(flags, argc, argv, [&] { return visualize(flags); });
}
