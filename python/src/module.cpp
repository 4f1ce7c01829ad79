// vknn._vknn: the pybind11 extension under the vknn Python package.
//
// It is deliberately thin: the Keras-shaped API (argument names, defaults,
// conversions of numpy inputs, argument checks) lives in Python
// (python/vknn/keras/), and this module takes already-checked arrays (uint8
// pixels or float32 values) and plain values.
//
// Errors: a vknn::Error becomes vknn.Error (a RuntimeError) with the same
// message; the calls whose only inputs are the user's arguments (building a
// model from its layers, compile, set_weights) raise ValueError instead,
// because there every vknn::Error is a bad argument. The Python layer
// validates fit/evaluate/predict arguments before calling, so what reaches
// vknn.Error from those is a device or file failure; except fit's
// steps_per_epoch and validation_steps, which fit itself checks against the
// data and model_bindings.cpp raises as ValueError.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <cstdint>
#include <string>

#include "bindings.hpp"
#include "vknn/error.hpp"
#include "vknn/io/atomic_file.hpp"
#include "vknn/ops/geometry.hpp"

namespace py = pybind11;

PYBIND11_MODULE(_vknn, m) {
  m.doc() = "vknn's compiled core; use the vknn package (vknn.keras) instead.";
  m.attr("__version__") = VKNN_PYTHON_VERSION;

  static py::exception<vknn::Error> error(m, "Error", PyExc_RuntimeError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const vknn::Error& e) {
      error(e.what());
    }
  });

  // The library's atomic writer, for the files the Python package writes
  // itself (CSVLogger): readers see the old file or the whole new one, and a
  // crash or a full disk mid-write leaves the old one as it was.
  m.def(
      "write_file_atomically",
      [](const std::filesystem::path& path, const py::bytes& data) {
        const std::string bytes = data;
        py::gil_scoped_release release;
        vknn::io::write_file_atomically(
            path, {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
      },
      py::arg("path"), py::arg("data"));

  // The library's optimizer defaults (Keras's, stated once in
  // vknn/ops/geometry.hpp), against which the Python optimizers' signatures
  // are tested (tests/python/test_optimizer_defaults.py).
  m.def("optimizer_defaults", [] {
    const vknn::AdamConfig adam;
    const vknn::SgdConfig sgd;
    const vknn::RmspropConfig rmsprop;
    py::dict d;
    d["Adam"] = py::dict(py::arg("learning_rate") = adam.learning_rate, py::arg("beta_1") = adam.beta_1,
                         py::arg("beta_2") = adam.beta_2, py::arg("epsilon") = adam.epsilon);
    d["SGD"] = py::dict(py::arg("learning_rate") = sgd.learning_rate, py::arg("momentum") = sgd.momentum);
    d["RMSprop"] = py::dict(py::arg("learning_rate") = rmsprop.learning_rate, py::arg("rho") = rmsprop.rho,
                            py::arg("momentum") = rmsprop.momentum, py::arg("epsilon") = rmsprop.epsilon);
    return d;
  });

  vknn::python::bind_layers(m);
  vknn::python::bind_callbacks(m);
  vknn::python::bind_model(m);
  vknn::python::bind_datasets(m);
  vknn::python::bind_image_folders(m);
  vknn::python::bind_augmentation(m);
  vknn::python::bind_distributed(m);
}
