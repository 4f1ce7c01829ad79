// Keras's ImageDataGenerator augmentation (vknn/data/augmentation.hpp) for
// the Python package: the settings as a dict (vknn/keras/preprocessing/
// image.py builds it, after Keras's argument checks), the draw and the
// transform of one picture on the CPU reference (get_random_transform,
// apply_transform), and the training step's gather run as it is recorded, on
// the CPU reference or the device (what the tests compare against numpy).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "vknn/data/augmentation.hpp"
#include "vknn/device.hpp"
#include "vknn/ops/run.hpp"

namespace py = pybind11;

namespace vknn::python {

using Floats = py::array_t<float, py::array::c_style | py::array::forcecast>;

Augmentation augmentation_of(const py::dict& s) {
  Augmentation a;
  a.rotation_range = s["rotation_range"].cast<float>();
  a.width_shift_range = {s["width_shift_range"].cast<float>(), s["width_shift_whole_pixels"].cast<bool>()};
  a.height_shift_range = {s["height_shift_range"].cast<float>(),
                          s["height_shift_whole_pixels"].cast<bool>()};
  a.shear_range = s["shear_range"].cast<float>();
  a.zoom_range = {s["zoom_low"].cast<float>(), s["zoom_high"].cast<float>()};
  a.horizontal_flip = s["horizontal_flip"].cast<bool>();
  a.vertical_flip = s["vertical_flip"].cast<bool>();
  a.fill_mode = fill_mode_from_string(s["fill_mode"].cast<std::string>());
  a.cval = s["cval"].cast<float>();
  a.seed = s["seed"].cast<std::uint64_t>();
  // The Random* preprocessing layers' settings (vknn/keras/
  // _preprocessing_layers.py); ImageDataGenerator's dictionary has neither.
  if (s.contains("same_zoom_both_axes")) a.same_zoom_both_axes = s["same_zoom_both_axes"].cast<bool>();
  if (s.contains("preprocessing_layers_geometry") &&
      s["preprocessing_layers_geometry"].cast<bool>()) {
    a.geometry = AugmentationGeometry::preprocessing_layers;
  }
  a.validate();
  return a;
}

namespace {

// Keras's get_random_transform dictionary.
py::dict parameters_dict(const AugmentationParameters& p) {
  py::dict d;
  d["theta"] = p.theta;
  d["tx"] = p.tx;
  d["ty"] = p.ty;
  d["shear"] = p.shear;
  d["zx"] = p.zx;
  d["zy"] = p.zy;
  d["flip_horizontal"] = p.flip_horizontal;
  d["flip_vertical"] = p.flip_vertical;
  d["channel_shift_intensity"] = py::none();
  d["brightness"] = py::none();
  return d;
}

// Keras's defaults for keys a dictionary leaves out (apply_transform's
// .get(key, default)).
AugmentationParameters parameters_of(const py::dict& d) {
  const auto get = [&](const char* key, float fallback) {
    return d.contains(key) ? d[key].cast<float>() : fallback;
  };
  const auto flag = [&](const char* key) { return d.contains(key) && d[key].cast<bool>(); };
  return {get("theta", 0), get("tx", 0),      get("ty", 0),
          get("shear", 0), get("zx", 1),      get("zy", 1),
          flag("flip_horizontal"), flag("flip_vertical")};
}

}  // namespace

void bind_augmentation(py::module_& m) {
  m.def(
      "draw_augmentation",
      [](const py::dict& settings, int height, int width, std::uint32_t sample, std::uint32_t step) {
        return parameters_dict(draw_augmentation(augmentation_of(settings), height, width, sample, step));
      },
      py::arg("settings"), py::arg("height"), py::arg("width"), py::arg("sample"), py::arg("step"));
  m.def(
      "apply_augmentation",
      [](const py::dict& settings, const py::dict& parameters, const Floats& image) {
        if (image.ndim() != 3) throw py::value_error("apply_transform: x must be one picture (height, width, channels)");
        const int h = int(image.shape(0)), w = int(image.shape(1)), c = int(image.shape(2));
        const std::vector<float> out = apply_augmentation(
            augmentation_of(settings), parameters_of(parameters),
            std::span<const float>(image.data(), std::size_t(image.size())), h, w, c);
        Floats result({h, w, c});
        std::copy(out.begin(), out.end(), result.mutable_data());
        return result;
      },
      py::arg("settings"), py::arg("parameters"), py::arg("image"));
  m.def(
      "run_augmented_gather",
      [](const py::dict& settings, const py::array& dataset, const std::vector<std::uint32_t>& samples,
         std::uint32_t step, bool on_device) {
        if (dataset.ndim() != 4) throw py::value_error("run_augmented_gather: the dataset must be (N, H, W, C)");
        const int h = int(dataset.shape(1)), w = int(dataset.shape(2)), c = int(dataset.shape(3));
        const Augmentation a = augmentation_of(settings);
        std::vector<float> x;
        const auto run = [&](OpTarget target) {
          if (py::isinstance<py::array_t<std::uint8_t>>(dataset)) {
            const auto pixels = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>(dataset);
            return run_augmented_gather(a, h, w, c, {pixels.data(), std::size_t(pixels.size())}, {},
                                        samples, step, target);
          }
          const Floats values(dataset);
          return run_augmented_gather(a, h, w, c, {}, {values.data(), std::size_t(values.size())},
                                      samples, step, target);
        };
        if (on_device) {
          Context context;
          x = run(OpTarget::on(context));
        } else {
          x = run(OpTarget::cpu());
        }
        Floats result({py::ssize_t(samples.size()), py::ssize_t(h), py::ssize_t(w), py::ssize_t(c)});
        std::copy(x.begin(), x.end(), result.mutable_data());
        return result;
      },
      py::arg("settings"), py::arg("dataset"), py::arg("samples"), py::arg("step"),
      py::arg("on_device"));
}

}  // namespace vknn::python
