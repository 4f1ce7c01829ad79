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
  py::class_<BackupAndRestore, Callback, std::shared_ptr<BackupAndRestore>>(
      m, "NativeBackupAndRestore")
      .def(py::init([](const std::string& backup_dir, int save_freq_steps) {
             return std::make_shared<BackupAndRestore>(backup_dir,
                                                       SaveFreq::every_steps(save_freq_steps));
           }),
           py::arg("backup_dir"), py::arg("save_freq_steps"))
      .def_property_readonly("checkpoint_path",
                             [](const BackupAndRestore& b) { return b.checkpoint_path().string(); })
      .def_property_readonly("restored", &BackupAndRestore::restored)
      .def_property_readonly("backups_written", &BackupAndRestore::backups_written);
  // Bound with its hooks' work (begin, write_epoch, end) rather than as a
  // native callback: vknn.keras's TensorBoard calls them from Python, so its
  // logs hold what Python callbacks added ('lr'), as Keras's do.
  py::class_<TensorBoard, Callback, std::shared_ptr<TensorBoard>>(m, "NativeTensorBoard")
      .def(py::init([](const std::string& log_dir) { return std::make_shared<TensorBoard>(log_dir); }),
           py::arg("log_dir"))
      .def("begin", &TensorBoard::begin)
      .def("write_epoch", &TensorBoard::write_epoch, py::arg("epoch"), py::arg("logs"))
      .def("end", &TensorBoard::end)
      .def_property_readonly("train_file",
                             [](const TensorBoard& t) { return t.train_file().string(); })
      .def_property_readonly("validation_file",
                             [](const TensorBoard& t) { return t.validation_file().string(); });
}

}  // namespace vknn::python
