// Folders of pictures made from Fashion-MNIST, standing in for the course's
// horses-or-humans and rock-paper-scissors folders (which cannot be fetched
// here): one subfolder per class, each 28x28 grey image upscaled
// (bilinear) to size x size and coloured, written as PNG or JPEG. The same
// arguments give the same files, byte for byte.
//
// Colouring: every picture gets its own background and foreground colours,
// drawn from the seed and the picture's index (not from its class), and
// pixel g becomes background + (foreground - background) * g / 255; so a
// model has to learn shapes, not colours.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "vknn/data/idx.hpp"

namespace vknn::examples {

struct FashionClass {
  int label = 0;     // Fashion-MNIST's class, 0..9
  std::string name;  // the subfolder's name
};

// "sneakers_vs_boots": sneakers (7), ankle_boots (9): the week-4 binary task.
// "three_classes": bags (8), sneakers (7), trousers (1): for categorical labels.
std::vector<FashionClass> fashion_class_set(const std::string& set);
inline constexpr const char* kFashionClassSets = "sneakers_vs_boots, three_classes";

enum class PictureFormat { png, jpeg, mixed };  // mixed: even indices PNG, odd JPEG

struct FashionFolderSpec {
  std::vector<FashionClass> classes;
  int size = 150;
  int per_class = 100;  // pictures per class (the first ones of that class in `source`'s order)
  PictureFormat format = PictureFormat::mixed;
  std::uint64_t seed = 0;  // of the colours
  int jpeg_quality = 90;
};

// Writes <folder>/<class name>/<class name>_<nnnnn>.<png|jpg> for the spec,
// from `source` (e.g. Fashion-MNIST's training or test split); returns the
// number of files written. Throws std::runtime_error when a class has fewer
// than per_class images or a file cannot be written.
std::int64_t write_fashion_folder(const std::filesystem::path& folder,
                                  const data::LabeledImages& source, const FashionFolderSpec& spec);

}  // namespace vknn::examples
