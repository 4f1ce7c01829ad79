// vknn.Sequential for Python: fit/evaluate/predict run with the GIL
// released, print their progress bars into sys.stdout, and fit stops at the
// next step boundary on Ctrl-C (sigint_guard.hpp).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bindings.hpp"
#include "callback_bridge.hpp"
#include "layer_spec.hpp"
#include "python_stream.hpp"
#include "sigint_guard.hpp"
#include "vknn/device.hpp"
#include "vknn/error.hpp"
#include "vknn/model/sequential.hpp"

namespace py = pybind11;

namespace vknn::python {
namespace {

using Bytes = py::array_t<std::uint8_t, py::array::c_style>;

// One Vulkan context for all models of the process while any is alive:
// creating one (instance, device, pipelines cache) costs far more than a
// small model. Held weakly, so that nothing Vulkan outlives the last model
// into interpreter shutdown.
std::shared_ptr<Context> shared_context() {
  static std::mutex mutex;
  static std::weak_ptr<Context> cache;
  std::lock_guard lock(mutex);
  if (auto context = cache.lock()) return context;
  auto context = std::make_shared<Context>();
  cache = context;
  return context;
}

using Floats = py::array_t<float, py::array::c_style>;

// Samples over a checked array of shape (N, H, W) or (N, H, W, C): uint8
// pixels or float32 values (python/vknn/keras/_inputs.py makes one or the
// other). Holds the array, so the spans stay valid while the GIL is
// released.
struct Inputs {
  py::array array;
  Samples samples;
  std::int64_t count() const { return samples.count; }
};

Inputs inputs_of(const py::array& x) {
  Inputs in;
  in.samples.count = x.shape(0);
  for (py::ssize_t d = 1; d < x.ndim(); ++d) in.samples.shape.push_back(int(x.shape(d)));
  if (in.samples.shape.size() == 2) in.samples.shape.push_back(1);
  if (x.dtype().is(py::dtype::of<std::uint8_t>())) {
    Bytes bytes = Bytes::ensure(x);
    in.samples.pixels = {bytes.data(), std::size_t(bytes.size())};
    in.array = std::move(bytes);
  } else if (x.dtype().is(py::dtype::of<float>())) {
    Floats floats = Floats::ensure(x);
    in.samples.values = {floats.data(), std::size_t(floats.size())};
    in.array = std::move(floats);
  } else {
    throw py::value_error("inputs must be uint8 pixels or float32 values, got dtype " +
                          std::string(py::str(x.dtype())));
  }
  return in;
}

std::span<const std::uint8_t> labels_of(const Bytes& y) { return {y.data(), std::size_t(y.size())}; }

py::array_t<float> float_array(const std::vector<float>& values, std::vector<py::ssize_t> shape) {
  py::array_t<float> a(shape);
  std::memcpy(a.mutable_data(), values.data(), values.size() * sizeof(float));
  return a;
}

// Runs `call` and turns a vknn::Error into ValueError: for calls whose only
// inputs are the caller's arguments.
template <class Call>
auto arguments_only(Call&& call) {
  try {
    return call();
  } catch (const Error& e) {
    throw py::value_error(e.what());
  }
}

py::dict history_dict(const History& h) {
  py::dict metrics;
  for (const auto& [name, values] : h.history) metrics[py::str(name)] = values;
  py::dict d;
  d["history"] = metrics;
  d["epoch"] = h.epoch;
  d["stopped_early"] = h.stopped_early;
  d["interrupted"] = h.interrupted;
  return d;
}

// A 1-D float32 array (the Python layer makes it one) as a span; empty for
// None. The array must outlive the span.
using Weights = std::optional<py::array_t<float, py::array::c_style | py::array::forcecast>>;
std::span<const float> weights_of(const Weights& weights) {
  if (!weights) return {};
  return {weights->data(), std::size_t(weights->size())};
}

// fit's own checks of steps_per_epoch and validation_steps (against the
// data's batches: the Python layer does not repeat them) refuse arguments,
// for which Keras raises ValueError. Their messages start with the name.
bool is_steps_argument_error(const Error& e) {
  const std::string_view message = e.what();
  return message.starts_with("fit: steps_per_epoch") || message.starts_with("fit: validation_steps");
}

py::dict fit(Sequential& model, const py::array& x, const Bytes& y, int epochs, int initial_epoch,
             int batch_size, bool shuffle, int verbose, std::uint64_t seed, std::optional<py::array> val_x,
             std::optional<Bytes> val_y, std::vector<std::shared_ptr<Callback>> native_callbacks,
             py::object dispatcher, bool forward_batches, std::map<int, double> class_weight,
             const Weights& sample_weight, const Weights& val_sample_weight, std::int64_t steps_per_epoch,
             std::int64_t validation_steps, int validation_batch_size,
             std::optional<py::dict> augmentation) {
  FitOptions options;
  if (augmentation) options.augmentation = augmentation_of(*augmentation);
  options.epochs = epochs;
  options.initial_epoch = initial_epoch;
  options.batch_size = batch_size;
  options.shuffle = shuffle;
  options.verbose = verbose;
  options.seed = seed;
  const Inputs inputs = inputs_of(x);
  std::optional<Inputs> validation_inputs;
  if (val_x && val_y) {
    validation_inputs = inputs_of(*val_x);
    options.validation_data =
        ValidationData{validation_inputs->samples, labels_of(*val_y), weights_of(val_sample_weight)};
  }
  options.class_weight = std::move(class_weight);
  options.sample_weight = weights_of(sample_weight);
  options.steps_per_epoch = steps_per_epoch;
  options.validation_steps = validation_steps;
  options.validation_batch_size = validation_batch_size;
  options.callbacks = std::move(native_callbacks);
  // The bridge is registered only when there are Python callbacks: without
  // one, fit has no callback at all and Python costs nothing per step.
  std::shared_ptr<CallbackBridge> bridge;
  if (!dispatcher.is_none()) {
    bridge = std::make_shared<CallbackBridge>(dispatcher, forward_batches);
    options.callbacks.push_back(bridge);
  }
  PythonStdout out = open_python_stdout();
  options.output = out.get();

  SigintGuard sigint(model);
  History history;
  {
    py::gil_scoped_release release;
    try {
      history = model.fit(inputs.samples, labels_of(y), options);
    } catch (const Error& e) {
      std::fflush(out.get());
      if (is_steps_argument_error(e)) throw py::value_error(e.what());
      throw;
    } catch (...) {
      std::fflush(out.get());
      throw;
    }
    std::fflush(out.get());
  }
  if (sigint.restore_and_deliver()) throw py::error_already_set();
  if (bridge) bridge->rethrow_if_failed();
  return history_dict(history);
}

py::tuple evaluate(Sequential& model, const py::array& x, const Bytes& y, int batch_size,
                   int verbose, const Weights& sample_weight) {
  const Inputs inputs = inputs_of(x);
  PythonStdout out = open_python_stdout();
  const EvaluateOptions options{.batch_size = batch_size,
                                .verbose = verbose,
                                .output = out.get(),
                                .sample_weight = weights_of(sample_weight)};
  Evaluation result;
  {
    py::gil_scoped_release release;
    result = model.evaluate(inputs.samples, labels_of(y), options);
    std::fflush(out.get());
  }
  return py::make_tuple(result.loss, result.accuracy);
}

py::array_t<float> predict(Sequential& model, const py::array& x, int batch_size, int verbose) {
  const Inputs inputs = inputs_of(x);
  PythonStdout out = open_python_stdout();
  const PredictOptions options{.batch_size = batch_size, .verbose = verbose, .output = out.get()};
  std::vector<float> values;
  {
    py::gil_scoped_release release;
    values = model.predict(inputs.samples, options);
    std::fflush(out.get());
  }
  return float_array(values, {x.shape(0), py::ssize_t(model.num_classes())});
}

py::list layer_outputs(Sequential& model, const py::array& x) {
  const Inputs inputs = inputs_of(x);
  std::vector<std::vector<float>> outputs;
  {
    py::gil_scoped_release release;
    outputs = model.layer_outputs(inputs.samples);
  }
  const auto layers = model.layers();
  py::list result;
  for (std::size_t l = 0; l < outputs.size(); ++l) {
    std::vector<py::ssize_t> shape{x.shape(0)};
    for (int d : layers[l].output_shape) shape.push_back(d);
    result.append(float_array(outputs[l], shape));
  }
  return result;
}

py::list get_weights(Sequential& model) {
  std::vector<std::vector<float>> weights;
  {
    py::gil_scoped_release release;
    weights = model.get_weights();
  }
  py::list result;
  for (const auto& w : weights) result.append(float_array(w, {py::ssize_t(w.size())}));
  return result;
}

void set_weights(Sequential& model, const std::vector<py::array_t<float, py::array::c_style>>& arrays) {
  std::vector<std::vector<float>> weights;
  for (const auto& a : arrays) weights.emplace_back(a.data(), a.data() + a.size());
  py::gil_scoped_release release;
  arguments_only([&] {
    model.set_weights(weights);
    return 0;
  });
}

// A layer's settings as the Python layer classes take them (keras.layers'
// constructor arguments), for vknn.keras.models.load_model.
py::dict layer_config(const Layer& layer) {
  py::dict d;
  auto pair = [](const Size2& s) { return py::make_tuple(s.h, s.w); };
  std::visit(
      [&](const auto& l) {
        using T = std::decay_t<decltype(l)>;
        d["name"] = l.name;
        if constexpr (std::is_same_v<T, Conv2D>) {
          d["class_name"] = "Conv2D";
          d["filters"] = l.filters;
          d["kernel_size"] = pair(l.kernel_size);
          d["strides"] = pair(l.strides);
          d["padding"] = l.padding == Padding::same ? "same" : "valid";
          d["activation"] = to_string(l.activation);
        } else if constexpr (std::is_same_v<T, MaxPooling2D> || std::is_same_v<T, AveragePooling2D>) {
          d["class_name"] = std::is_same_v<T, MaxPooling2D> ? "MaxPooling2D" : "AveragePooling2D";
          d["pool_size"] = pair(l.pool_size);
          d["strides"] = l.strides ? py::object(pair(*l.strides)) : py::none();
          d["padding"] = l.padding == Padding::same ? "same" : "valid";
        } else if constexpr (std::is_same_v<T, GlobalAveragePooling2D>) {
          d["class_name"] = "GlobalAveragePooling2D";
        } else if constexpr (std::is_same_v<T, Dropout>) {
          d["class_name"] = "Dropout";
          d["rate"] = l.rate;
          d["seed"] = l.seed ? py::object(py::int_(*l.seed)) : py::none();
        } else if constexpr (std::is_same_v<T, Flatten>) {
          d["class_name"] = "Flatten";
        } else if constexpr (std::is_same_v<T, Dense>) {
          d["class_name"] = "Dense";
          d["units"] = l.units;
          d["activation"] = to_string(l.activation);
        }
        d["input_shape"] = l.input_shape ? py::object(py::tuple(py::cast(*l.input_shape))) : py::none();
      },
      layer);
  return d;
}

// The compile settings as vknn.keras.models.load_model rebuilds the
// optimizer object from them (the learning rate: the one in effect).
py::dict compile_settings(Sequential& model) {
  const Optimizer& o = model.optimizer();
  py::dict d;
  d["optimizer"] = o.kind == Optimizer::Kind::adam ? "adam" : o.kind == Optimizer::Kind::sgd ? "sgd" : "rmsprop";
  d["learning_rate"] = model.learning_rate();
  d["beta_1"] = o.adam.beta_1;
  d["beta_2"] = o.adam.beta_2;
  d["epsilon"] = o.kind == Optimizer::Kind::rmsprop ? o.rmsprop.epsilon : o.adam.epsilon;
  d["rho"] = o.rmsprop.rho;
  d["momentum"] = o.kind == Optimizer::Kind::rmsprop ? o.rmsprop.momentum : o.sgd.momentum;
  d["loss"] = model.compile_options().loss;
  d["metrics"] = model.compile_options().metrics;
  return d;
}

}  // namespace

void bind_model(py::module_& m) {
  m.def(
      "load_model",
      [](const std::filesystem::path& path, const std::string& backend) {
        LoadModelOptions options;
        options.backend = backend == "cpu" ? BackendKind::cpu : BackendKind::vulkan;
        py::gil_scoped_release release;
        if (options.backend == BackendKind::vulkan) options.context = shared_context();
        return std::make_unique<Sequential>(load_model(path, options));
      },
      py::arg("path"), py::arg("backend") = "vulkan");
  py::class_<Sequential>(m, "Model")
      .def(py::init([](const std::vector<LayerSpec>& specs, std::string name) {
             std::vector<Layer> layers;
             for (const auto& spec : specs) layers.push_back(spec.layer);
             return arguments_only([&] { return Sequential(layers, std::move(name)); });
           }),
           py::arg("layers"), py::arg("name"))
      .def("summary_text", &Sequential::summary_text)
      .def(
          "compile",
          [](Sequential& model, const std::string& kind, float learning_rate, float beta_1,
             float beta_2, float rho, float epsilon, float momentum, const std::string& loss,
             std::uint64_t seed, const std::string& backend, std::vector<std::string> metrics) {
            const Optimizer optimizer =
                kind == "sgd"       ? SGD(learning_rate, momentum)
                : kind == "rmsprop" ? RMSprop(learning_rate, rho, momentum, epsilon)
                                    : Adam(learning_rate, beta_1, beta_2, epsilon);
            CompileOptions options;
            options.loss = loss;
            options.metrics = std::move(metrics);
            options.seed = seed;
            options.backend = backend == "cpu" ? BackendKind::cpu : BackendKind::vulkan;
            if (options.backend == BackendKind::vulkan) {
              py::gil_scoped_release release;
              options.context = shared_context();
            }
            py::gil_scoped_release release;
            arguments_only([&] {
              model.compile(optimizer, options);
              return 0;
            });
          },
          py::arg("optimizer"), py::arg("learning_rate"), py::arg("beta_1"), py::arg("beta_2"),
          py::arg("rho"), py::arg("epsilon"), py::arg("momentum"), py::arg("loss"),
          py::arg("seed"), py::arg("backend"), py::arg("metrics") = std::vector<std::string>{"accuracy"})
      .def("fit", &fit, py::arg("x"), py::arg("y"), py::arg("epochs"), py::arg("initial_epoch"),
           py::arg("batch_size"),
           py::arg("shuffle"), py::arg("verbose"), py::arg("seed"), py::arg("val_x"),
           py::arg("val_y"), py::arg("native_callbacks"), py::arg("dispatcher"),
           py::arg("forward_batches"), py::arg("class_weight") = std::map<int, double>{},
           py::arg("sample_weight") = py::none(), py::arg("val_sample_weight") = py::none(),
           py::arg("steps_per_epoch") = 0, py::arg("validation_steps") = 0,
           py::arg("validation_batch_size") = 0, py::arg("augmentation") = py::none())
      .def("evaluate", &evaluate, py::arg("x"), py::arg("y"), py::arg("batch_size"),
           py::arg("verbose"), py::arg("sample_weight") = py::none())
      .def("predict", &predict, py::arg("x"), py::arg("batch_size"), py::arg("verbose"))
      .def("layer_outputs", &layer_outputs, py::arg("x"))
      .def("get_weights", &get_weights)
      .def("set_weights", &set_weights, py::arg("weights"))
      .def("weight_names", &Sequential::weight_names)
      .def("save_weights",
           [](Sequential& model, const std::filesystem::path& path) {
             py::gil_scoped_release release;
             model.save_weights(path);
           })
      .def("load_weights",
           [](Sequential& model, const std::filesystem::path& path) {
             py::gil_scoped_release release;
             model.load_weights(path);
           })
      .def("save",
           [](Sequential& model, const std::filesystem::path& path) {
             py::gil_scoped_release release;
             model.save(path);
           })
      .def("layer_configs",
           [](const Sequential& model) {
             py::list result;
             for (const auto& layer : model.layer_configs()) result.append(layer_config(layer));
             return result;
           })
      .def("compile_settings", &compile_settings)
      .def("layers",
           [](const Sequential& model) {
             py::list result;
             for (const auto& l : model.layers()) {
               result.append(py::make_tuple(l.name, l.type, l.output_shape, l.params, l.trainable));
             }
             return result;
           })
      .def_property_readonly("name", &Sequential::name)
      .def_property_readonly("input_shape", &Sequential::input_shape)
      .def_property_readonly("num_classes", &Sequential::num_classes)
      .def_property_readonly("compiled", &Sequential::compiled)
      .def("count_params", &Sequential::count_params)
      .def("backend_description", &Sequential::backend_description)
      .def_readwrite("stop_training", &Sequential::stop_training)
      .def("set_trainable", &Sequential::set_trainable, py::arg("layer"), py::arg("trainable"))
      // (epoch, step, steps_per_epoch): where the latest fit stands, or the
      // point a restored checkpoint resumes from.
      .def_property_readonly("training_position",
                             [](const Sequential& m) {
                               const TrainingPosition p = m.training_position();
                               return py::make_tuple(p.epoch, p.step, p.steps_per_epoch);
                             })
      .def("request_stop", &Sequential::request_stop)
      .def_property("learning_rate", &Sequential::learning_rate, &Sequential::set_learning_rate);
}

}  // namespace vknn::python
