// The library's own callbacks, which run in C++ (no GIL, no Python per
// step); vknn.keras.callbacks wraps them under Keras's names and arguments.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <memory>
#include <string>

#include "bindings.hpp"
#include "vknn/model/callbacks.hpp"

namespace py = pybind11;

namespace vknn::python {
namespace {

MonitorMode mode_of(const std::string& mode) {
  if (mode == "auto") return MonitorMode::automatic;
  if (mode == "min") return MonitorMode::min;
  if (mode == "max") return MonitorMode::max;
  throw py::value_error("mode must be 'auto', 'min' or 'max', got '" + mode + "'");
}

}  // namespace

void bind_callbacks(py::module_& m) {
  py::class_<Callback, std::shared_ptr<Callback>>(m, "NativeCallback");
  py::class_<EarlyStopping, Callback, std::shared_ptr<EarlyStopping>>(m, "NativeEarlyStopping")
      .def(py::init([](std::string monitor, double min_delta, int patience, const std::string& mode,
                       std::optional<double> baseline, bool restore_best_weights,
                       int start_from_epoch) {
             EarlyStoppingOptions o;
             o.monitor = std::move(monitor);
             o.min_delta = min_delta;
             o.patience = patience;
             o.mode = mode_of(mode);
             o.baseline = baseline ? *baseline : std::nan("");
             o.restore_best_weights = restore_best_weights;
             o.start_from_epoch = start_from_epoch;
             return std::make_shared<EarlyStopping>(o);
           }),
           py::arg("monitor"), py::arg("min_delta"), py::arg("patience"), py::arg("mode"),
           py::arg("baseline"), py::arg("restore_best_weights"), py::arg("start_from_epoch"))
      .def_property_readonly("stopped_epoch", &EarlyStopping::stopped_epoch)
      .def_property_readonly("best_epoch", &EarlyStopping::best_epoch);
  py::class_<TerminateOnNaN, Callback, std::shared_ptr<TerminateOnNaN>>(m, "NativeTerminateOnNaN")
      .def(py::init<>());
  py::class_<StopAtThreshold, Callback, std::shared_ptr<StopAtThreshold>>(m,
                                                                          "NativeStopAtThreshold")
      .def(py::init([](std::string monitor, double threshold, const std::string& mode) {
             return std::make_shared<StopAtThreshold>(std::move(monitor), threshold,
                                                      mode_of(mode));
           }),
           py::arg("monitor"), py::arg("threshold"), py::arg("mode"))
      .def_property_readonly("triggered", &StopAtThreshold::triggered);
}

}  // namespace vknn::python
