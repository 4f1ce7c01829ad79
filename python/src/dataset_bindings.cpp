// IDX datasets through the library's strict reader (magic, sizes, label
// range, gzip), returned as numpy arrays in Keras's shapes.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl/filesystem.h>

#include <cstring>

#include "bindings.hpp"
#include "vknn/data/idx.hpp"

namespace py = pybind11;

namespace vknn::python {
namespace {

py::array_t<std::uint8_t> images_array(const data::ImageSet& images) {
  py::array_t<std::uint8_t> a({py::ssize_t(images.count), py::ssize_t(images.rows),
                               py::ssize_t(images.cols)});
  std::memcpy(a.mutable_data(), images.pixels.data(), images.pixels.size());
  return a;
}

py::array_t<std::uint8_t> labels_array(const std::vector<std::uint8_t>& labels) {
  py::array_t<std::uint8_t> a(py::ssize_t(labels.size()));
  std::memcpy(a.mutable_data(), labels.data(), labels.size());
  return a;
}

py::tuple pair_of(const data::LabeledImages& set) {
  return py::make_tuple(images_array(set.images), labels_array(set.labels));
}

}  // namespace

void bind_datasets(py::module_& m) {
  // keras.datasets.fashion_mnist falls back to this folder (the library's
  // one statement of it).
  m.attr("DEBIAN_FASHION_MNIST_DIR") = data::kDebianFashionMnistDir;
  m.def(
      "load_idx_dataset",
      [](const std::filesystem::path& dir, int num_classes, const std::string& name) {
        data::DatasetSplits splits;
        {
          py::gil_scoped_release release;
          splits = data::load_idx_dataset(dir, num_classes, name.c_str());
        }
        return py::make_tuple(pair_of(splits.train), pair_of(splits.test));
      },
      py::arg("directory"), py::arg("num_classes"), py::arg("name"),
      "((x_train, y_train), (x_test, y_test)) as uint8 arrays from the four standard IDX files "
      "in directory; vknn.Error naming the file and the problem when they are missing or bad.");
}

}  // namespace vknn::python
