// Folders of pictures through the library's reader (data::read_image_folder:
// Keras's class and file order, the numpy shuffle, the split, decoding on
// several threads). The Keras arguments are checked in Python
// (vknn/keras/utils/image_dataset.py); this takes plain values.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <cstring>
#include <optional>

#include "bindings.hpp"
#include "python_stream.hpp"
#include "vknn/data/image_folder.hpp"

namespace py = pybind11;

namespace vknn::python {
namespace {

data::ColorMode color_mode_of(const std::string& name) {
  if (name == "grayscale") return data::ColorMode::grayscale;
  if (name == "rgba") return data::ColorMode::rgba;
  return data::ColorMode::rgb;
}

data::Subset subset_of(const std::string& name) {
  if (name == "training") return data::Subset::training;
  if (name == "validation") return data::Subset::validation;
  return data::Subset::all;
}

}  // namespace

void bind_image_folders(py::module_& m) {
  m.def(
      "read_image_folder",
      [](const std::filesystem::path& directory, int height, int width, const std::string& color_mode,
         const std::string& label_mode, const std::vector<std::string>& class_names, bool shuffle, std::optional<std::uint32_t> seed,
         double validation_split, const std::string& subset, const std::string& interpolation,
         bool follow_links, int verbose) {
        data::ImageFolderOptions options;
        options.height = height;
        options.width = width;
        options.color_mode = color_mode_of(color_mode);
        options.label_mode = label_mode == "binary"        ? data::LabelMode::binary
                             : label_mode == "categorical" ? data::LabelMode::categorical
                                                           : data::LabelMode::int_labels;
        options.class_names = class_names;
        options.shuffle = shuffle;
        options.seed = seed;
        options.validation_split = validation_split;
        options.subset = subset_of(subset);
        options.interpolation = interpolation == "nearest" ? data::Interpolation::nearest
                                                           : data::Interpolation::bilinear;
        options.follow_links = follow_links;
        options.verbose = verbose;
        const PythonStdout out = open_python_stdout();
        options.output = out.get();
        data::ImageFolderData folder;
        {
          py::gil_scoped_release release;
          folder = data::read_image_folder(directory, options);
          std::fflush(options.output);
        }
        py::array_t<std::uint8_t> pixels({py::ssize_t(folder.count), py::ssize_t(folder.height),
                                          py::ssize_t(folder.width), py::ssize_t(folder.channels)});
        std::memcpy(pixels.mutable_data(), folder.pixels.data(), folder.pixels.size());
        py::array_t<std::uint8_t> labels(py::ssize_t(folder.labels.size()));
        std::memcpy(labels.mutable_data(), folder.labels.data(), folder.labels.size());
        std::vector<std::string> files;
        for (const auto& f : folder.files) files.push_back(f.string());
        return py::make_tuple(pixels, labels, folder.class_names, files);
      },
      py::arg("directory"), py::arg("height"), py::arg("width"), py::arg("color_mode"),
      py::arg("label_mode"), py::arg("class_names"), py::arg("shuffle"), py::arg("seed"), py::arg("validation_split"),
      py::arg("subset"), py::arg("interpolation"), py::arg("follow_links"), py::arg("verbose"),
      "(pixels (N, H, W, C) uint8, labels (N,) uint8 class indices, class_names, files) of a "
      "folder with one subfolder per class; vknn.Error naming the folder or file at fault.");
}

}  // namespace vknn::python
