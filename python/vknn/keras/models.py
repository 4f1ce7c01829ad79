"""keras.models: Sequential, and Model for the course's activation model.

Sequential builds the C++ vknn::Sequential once its input shape is known
(the first layer's input_shape, or the data at the first fit), and compiles
it on the device at compile(). fit/evaluate/predict check and convert their
arguments here (ValueError with Keras-like messages), then run in C++ with
the GIL released; progress bars and summary() go through sys.stdout.
"""
import os
import sys
import threading
import warnings

import numpy as np

from .. import _vknn
from ..distribute import _is_primary
from . import _inputs, callbacks as callbacks_module, layers as layers_module
from . import losses, optimizers, utils

_DEFAULT_BATCH = 32


class Model:
    """keras.models.Model(inputs=model.input, outputs=[layer.output, ...]):
    a model whose predict returns the outputs of some of a Sequential model's
    layers, as the course's activation-visualisation cell builds it."""

    def __init__(self, inputs=None, outputs=None, name=None, **kwargs):
        if kwargs:
            raise TypeError(f"Model: unsupported arguments {sorted(kwargs)}")
        single = not isinstance(outputs, (list, tuple))
        outs = [outputs] if single else list(outputs)
        if not isinstance(inputs, layers_module._SymbolicTensor) or inputs._index != -1:
            raise ValueError("Model: inputs must be a model's input (model.input)")
        source = inputs._model
        for o in outs:
            if not isinstance(o, layers_module._SymbolicTensor) or o._index < 0 or \
                    o._model is not source:
                raise ValueError(
                    "Model: outputs must be layer outputs (layer.output) of the model whose "
                    "input is given as inputs; vknn does not build other graphs")
        self._source = source
        self._indices = [o._index for o in outs]
        self._single = single
        self.name = name or "model"
        self.inputs = [inputs]
        self.outputs = outs

    @property
    def input(self):
        return self.inputs[0]

    @property
    def output(self):
        return self.outputs[0] if self._single else self.outputs

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None, **kwargs):
        """Each requested layer's output for x: a float32 array (N,) + its output
        shape, or a list of them."""
        _reject(kwargs, "predict")
        src = self._source
        src._require_compiled("predict")
        batch = _DEFAULT_BATCH if batch_size is None else \
            _inputs.positive_int("batch_size", batch_size, "predict")
        verbose = _inputs.verbosity(verbose, "predict")
        samples = _inputs.images(x, src)
        # layer_outputs runs one batch at a time (at most 1024 samples).
        batch = min(batch, 1024)
        with src._lock:
            chunks = [src._core.layer_outputs(samples[i:i + batch])
                      for i in range(0, samples.shape[0], batch)]
        results = [np.concatenate([c[i] for c in chunks]) for i in self._indices]
        # (verbose is accepted for Keras's signature; this predict shows no bar.)
        return results[0] if self._single else results

    def __call__(self, x):
        return self.predict(x, verbose=0)


class Sequential(Model):
    """keras.models.Sequential(layers=None, name=None)."""

    _count = 0

    def __init__(self, layers=None, name=None):
        if name is None:
            name = "sequential" if Sequential._count == 0 else f"sequential_{Sequential._count}"
            Sequential._count += 1
        if not isinstance(name, str) or not name:
            raise ValueError(f"Sequential: name must be a non-empty string, got {name!r}")
        self.name = name
        self._layers = []
        self._core = None
        self._input_shape = None
        self._compile_config = None
        self._stop_training = False
        self._trainable = True
        self.history = None
        self.optimizer = None
        # The C++ model is not thread-safe and its calls release the GIL:
        # calls from several threads take turns. Re-entrant, because a
        # callback may read or set the weights during fit (as Keras's
        # EarlyStopping does), which the library allows.
        self._lock = threading.RLock()
        for layer in layers or []:
            self.add(layer)

    # ---- structure --------------------------------------------------------

    def add(self, layer):
        """Appends a layer (keras.Sequential.add)."""
        if isinstance(layer, Sequential):
            self._add_preprocessing_model(layer)
            return
        if layers_module._take_input_element(self, layer):
            return
        if not isinstance(layer, layers_module.Layer):
            raise ValueError(
                f"Sequential.add: expected a vknn.keras.layers layer, got {layer!r} "
                f"(vknn supports {layers_module.supported_layers()})")
        if self._core is not None and self._core.compiled:
            raise ValueError("Sequential.add: the model is already compiled; add layers first")
        if layer._model is not None:
            raise ValueError(f"Sequential.add: the layer {layer.name} is already in a model")
        self._layers.append(layer)
        layer._attach(self, len(self._layers) - 1)
        self._core = None
        if len(self._layers) == 1 and layer._input_shape_arg is not None:
            shape = layer._input_shape_arg
            self._input_shape = shape + (1,) if len(shape) == 2 else shape
        if self._input_shape is not None:
            self._build(self._input_shape)

    def _add_preprocessing_model(self, inner):
        """A Sequential inside this one, as Keras's data-augmentation
        tutorial nests it (Sequential([data_augmentation, Rescaling(...),
        Conv2D(...), ...])): taken when it holds only preprocessing elements
        (Input, Rescaling, the Random* layers), which are added here in turn."""
        if inner is self:
            raise ValueError("Sequential.add: a model cannot contain itself")
        if inner._layers:
            raise ValueError(
                f"Sequential.add: the model {inner.name} has layers with weights or of the "
                f"model's body ({inner._layers[0].name}, ...); vknn nests a Sequential only when "
                f"it holds preprocessing layers (Input, Rescaling, RandomFlip, RandomRotation, "
                f"RandomZoom, RandomTranslation); add the layers themselves instead")
        shape = inner._input_shape
        if shape is not None:
            if self._input_shape is not None and tuple(self._input_shape) != tuple(shape):
                raise ValueError(f"Sequential.add: the model {inner.name} takes inputs of shape "
                                 f"{tuple(shape)}, but this model's are "
                                 f"{tuple(self._input_shape)}")
            if self._layers:
                raise ValueError(f"Sequential.add: the model {inner.name} has an input shape "
                                 f"and must come first")
            self._input_shape = tuple(shape)
        for element in getattr(inner, "_input_elements", None) or []:
            if not isinstance(element, layers_module.InputLayer):
                self.add(element)
        if self._input_shape is not None and self._layers and self._core is None:
            self._build(self._input_shape)

    def _built(self):
        return self._core is not None

    def _build(self, input_shape):
        specs = [layer._spec(list(input_shape) if i == 0 else None)
                 for i, layer in enumerate(self._layers)]
        self._core = _vknn.Model(specs, self.name)
        self._input_shape = tuple(input_shape)

    def _ensure_built(self, x=None, call="the model"):
        if self._core is not None:
            return
        if x is not None and not self._layers:
            raise ValueError(f"{call}: the model has no layers")
        if x is None or getattr(x, "ndim", 0) < 3:
            raise ValueError(
                "This model has not yet been built. Build the model first by giving the first "
                "layer an input_shape, e.g. Conv2D(64, (3, 3), input_shape=(28, 28, 1)), or by "
                "calling fit() with data")
        shape = tuple(int(d) for d in x.shape[1:])
        self._build(shape + (1,) if len(shape) == 2 else shape)
        if self._compile_config is not None:
            self._compile_core()

    def _first_layer_name(self):
        return self._layers[0].name if self._layers else self.name

    @property
    def layers(self):
        return list(self._layers)

    @property
    def trainable(self):
        """Keras's model.trainable. Setting it sets every layer's trainable,
        as Keras does; a layer can then be changed on its own (the model's
        flag stays what was set, as in Keras)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        if not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"trainable must be True or False, got {value!r}")
        self._trainable = bool(value)
        for layer in self._layers:
            layer.trainable = bool(value)

    def _sync_trainable(self):
        """Hands the layers' trainable flags to the C++ model (read when a
        fit starts and by summary)."""
        for i, layer in enumerate(self._layers):
            self._core.set_trainable(i, layer.trainable)

    def get_layer(self, name=None, index=None):
        """keras Model.get_layer: the layer called `name`, or at position
        `index` (negative counts from the end, as a list index)."""
        if index is not None and name is not None:
            raise ValueError(f"Provide only a layer name or a layer index. Received: "
                             f"index={index}, name={name}.")
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
                raise ValueError(f"get_layer: index must be an integer, got {index!r}")
            if len(self._layers) <= index or index < -len(self._layers):
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only "
                                 f"has {len(self._layers)} layers.")
            return self._layers[index]
        if name is not None:
            for layer in self._layers:
                if layer.name == name:
                    return layer
            raise ValueError(f"No such layer: {name}. Existing layers are: "
                             f"{[layer.name for layer in self._layers]}.")
        raise ValueError("Provide either a layer name or layer index at `get_layer`.")

    @property
    def input(self):
        self._ensure_built()
        return layers_module._SymbolicTensor(self, -1, (None,) + self._input_shape)

    @property
    def inputs(self):
        return [self.input]

    @property
    def output(self):
        return self._layers[-1].output

    @property
    def outputs(self):
        return [self.output]

    @property
    def input_shape(self):
        self._ensure_built()
        return (None,) + self._input_shape

    @property
    def output_shape(self):
        return self._layers[-1].output_shape

    def count_params(self):
        self._ensure_built()
        return int(self._core.count_params())

    def summary(self, line_length=None, positions=None, print_fn=None, **kwargs):
        """Keras's summary table, printed through sys.stdout (or print_fn).
        Data-parallel (vknn.distribute), only rank 0 prints it to sys.stdout,
        as only rank 0 prints progress; a print_fn is called on every rank."""
        self._ensure_built()
        self._sync_trainable()
        text = self._core.summary_text()
        if print_fn is None:
            if not _is_primary():
                return
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        else:
            for line in text.rstrip("\n").split("\n"):
                print_fn(line)

    # ---- compile ------------------------------------------------------------

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, **kwargs):
        """compile(optimizer='rmsprop' | 'adam' | 'sgd' | RMSprop(...) | Adam(...) | SGD(...),
        loss='sparse_categorical_crossentropy' | 'binary_crossentropy', metrics=['accuracy'])."""
        _reject(kwargs, "compile", allowed_defaults={"loss_weights": None,
                                                    "weighted_metrics": None,
                                                    "run_eagerly": None, "steps_per_execution": None,
                                                    "jit_compile": None})
        opt = optimizers.get(optimizer)
        loss_name = losses.resolve(loss)
        if metrics is None:
            metrics = []
        if isinstance(metrics, str):
            metrics = [metrics]
        keep_accuracy = False
        # 'accuracy' is the one accuracy that fits the loss, as in Keras
        # (binary at a 0.5 threshold for binary cross-entropy); the History
        # key is 'accuracy' whichever name was given.
        matching = {"sparse_categorical_crossentropy": "sparse_categorical_accuracy",
                    "binary_crossentropy": "binary_accuracy"}[loss_name]
        for metric in metrics:
            if metric in ("accuracy", "acc", matching):
                keep_accuracy = True
            elif metric in ("sparse_categorical_accuracy", "binary_accuracy"):
                raise ValueError(
                    f"compile: metric {metric!r} does not fit loss {loss_name!r}; use "
                    f"'accuracy' (or {matching!r})")
            else:
                raise ValueError(
                    f"compile: metric {metric!r} is not supported; vknn computes 'accuracy'")
        self.optimizer = opt
        self.loss = loss_name
        self._compile_config = dict(opt._config(), seed=utils.random_seed())
        opt._bind(self)
        self._keep_accuracy = keep_accuracy
        if self._core is not None:
            self._compile_core()

    def _compile_core(self):
        c = self._compile_config
        # The rate as last set on the optimizer (it may have been set after
        # compile, before the first fit built the model).
        rate = self.optimizer._learning_rate
        with self._lock:
            self._core.compile(c["optimizer"], rate, c["beta_1"], c["beta_2"],
                               c["rho"], c["epsilon"], c["momentum"], self.loss, c["seed"],
                               "vulkan", ["accuracy"] if self._keep_accuracy else [])

    def _label_classes(self):
        """(number of label values, whether the labels are binary 0/1)."""
        if self.loss == "binary_crossentropy":
            return 2, True
        return self._core.num_classes, False

    def _require_compiled(self, call):
        if self._compile_config is None:
            raise RuntimeError("You must compile your model before training/testing. Use "
                               "`model.compile(optimizer, loss)`.")

    # ---- training -----------------------------------------------------------

    @property
    def stop_training(self):
        return self._core.stop_training if self._core is not None else self._stop_training

    @stop_training.setter
    def stop_training(self, value):
        self._stop_training = bool(value)
        if self._core is not None:
            self._core.stop_training = bool(value)

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, **kwargs):
        """Keras's fit: returns a History whose .history has 'loss', 'accuracy'
        (and 'val_loss', 'val_accuracy' when validating) per epoch."""
        _reject(kwargs, "fit", allowed_defaults={"validation_freq": 1, "max_queue_size": 10,
                                                 "workers": 1, "use_multiprocessing": False})
        self._require_compiled("fit")
        augmentation = _inputs.augmentation(x, self)
        layer_augmentation = layers_module._input_augmentation(self)
        if layer_augmentation is not None:
            if augmentation is not None:
                raise ValueError(
                    "fit: both the model's Random* layers and the ImageDataGenerator augment the "
                    "pictures; vknn applies one transform per picture (remove the generator's "
                    "augmentation or the layers)")
            augmentation = layer_augmentation
        x, y, batch_size, dataset_shuffle = _inputs.from_dataset(x, y, batch_size, "fit")
        if dataset_shuffle is not None:
            shuffle = dataset_shuffle  # a dataset's own order, as Keras's fit takes it
        validation_data, validation_data_batch = _inputs.validation_pair(validation_data)
        if x is None or y is None:
            raise ValueError("fit: x and y are required (numpy arrays of images and labels)")
        self._ensure_built(np.asarray(x) if isinstance(x, (list, tuple)) else x, "fit")
        batch = _DEFAULT_BATCH if batch_size is None else \
            _inputs.positive_int("batch_size", batch_size, "fit")
        epochs = _inputs.positive_int("epochs", epochs, "fit", minimum=0)
        initial_epoch = _inputs.positive_int("initial_epoch", initial_epoch, "fit", minimum=0)
        verbose = _inputs.verbosity(verbose, "fit")
        steps_per_epoch = 0 if steps_per_epoch is None else \
            _inputs.positive_int("steps_per_epoch", steps_per_epoch, "fit")
        validation_steps = 0 if validation_steps is None else \
            _inputs.positive_int("validation_steps", validation_steps, "fit")
        validation_batch_size = (validation_data_batch or 0) if validation_batch_size is None else \
            _inputs.positive_int("validation_batch_size", validation_batch_size, "fit")
        if not isinstance(shuffle, (bool, np.bool_)):
            raise ValueError(f"fit: shuffle must be True or False, got {shuffle!r}")
        classes, binary = self._label_classes()
        samples = _inputs.images(x, self)
        labels = _inputs.labels(y, samples.shape[0], classes, binary=binary)
        weights = _inputs.sample_weights(sample_weight, samples.shape[0], "fit: sample_weight")
        class_weight = _inputs.class_weights(class_weight, classes)
        val_x = val_y = val_weights = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
                raise ValueError("fit: validation_data must be a tuple (x_val, y_val) or "
                                 "(x_val, y_val, val_sample_weights)")
            val_x = _inputs.images(validation_data[0], self, "validation_data x")
            val_y = _inputs.labels(validation_data[1], val_x.shape[0], classes,
                                   "validation_data y", binary=binary)
            if len(validation_data) == 3:
                val_weights = _inputs.sample_weights(validation_data[2], val_x.shape[0],
                                                     "fit: validation_data's sample weights")
        elif validation_split:
            if not isinstance(validation_split, (int, float)) or not 0 < validation_split < 1:
                raise ValueError(
                    f"fit: validation_split must be a number in [0, 1), got {validation_split!r}")
            # As Keras: the last fraction of the samples, taken before shuffling.
            split = int(samples.shape[0] * (1 - validation_split))
            if split <= 0 or split >= samples.shape[0]:
                raise ValueError(f"fit: validation_split {validation_split} leaves no training "
                                 f"or no validation samples out of {samples.shape[0]}")
            samples, val_x = samples[:split], samples[split:]
            labels, val_y = labels[:split], labels[split:]
            if weights is not None:  # as Keras, the weights split with the samples
                weights, val_weights = weights[:split], weights[split:]

        user_callbacks = list(callbacks or [])
        for cb in user_callbacks:
            if not isinstance(cb, callbacks_module.Callback):
                raise ValueError(f"fit: callbacks must be vknn.keras.callbacks.Callback objects, "
                                 f"got {cb!r}")
        history = callbacks_module.History()
        # steps_per_epoch and validation_steps beyond the data's batches are
        # refused by the library's fit (FitOptions), raised here as ValueError.
        params = {"verbose": verbose, "epochs": epochs,
                  "steps": steps_per_epoch or -(-samples.shape[0] // min(batch, samples.shape[0]))}
        for cb in user_callbacks + [history]:
            cb.set_model(self)
            cb.set_params(params)
        native = [cb._native for cb in user_callbacks if isinstance(cb, callbacks_module._NativeCallback)]
        python_cbs = [cb for cb in user_callbacks
                      if not isinstance(cb, callbacks_module._NativeCallback)]
        for cb in python_cbs:
            for hook in ("on_train_batch_begin", "on_batch_begin"):
                if getattr(type(cb), hook, None) is not getattr(callbacks_module.Callback, hook):
                    warnings.warn(f"{type(cb).__name__}.{hook} is never called by vknn's fit "
                                  f"(batches run on the device without a host round trip)",
                                  stacklevel=2)
        dispatcher = None
        if python_cbs:
            resumers = [cb for cb in user_callbacks
                        if isinstance(cb, callbacks_module.BackupAndRestore)]

            def start_epoch():
                # BackupAndRestore (native, so its train begin has run) may
                # have restored a backup: fit goes on from the backup's epoch.
                if any(cb.restored for cb in resumers):
                    return self._core.training_position[0]
                return initial_epoch

            dispatcher = callbacks_module._Dispatcher(python_cbs, self, epochs, params["steps"],
                                                      self._keep_accuracy, initial_epoch,
                                                      start_epoch)
        with self._lock:
            self._sync_trainable()
            result = self._core.fit(
                samples, labels, epochs=epochs, initial_epoch=initial_epoch, batch_size=batch,
                shuffle=bool(shuffle), verbose=verbose, seed=utils.random_seed(), val_x=val_x,
                val_y=val_y, native_callbacks=native, dispatcher=dispatcher,
                forward_batches=bool(dispatcher and dispatcher.wants_batches()),
                class_weight=class_weight, sample_weight=weights, val_sample_weight=val_weights,
                steps_per_epoch=steps_per_epoch, validation_steps=validation_steps,
                validation_batch_size=validation_batch_size, augmentation=augmentation)
        # Keras's key order: loss, accuracy, val_loss, val_accuracy.
        order = ["loss", "accuracy", "val_loss", "val_accuracy"]
        history.history = {k: list(result["history"][k]) for k in order
                           if k in result["history"]
                           and (self._keep_accuracy or not k.endswith("accuracy"))}
        if dispatcher is not None:
            # What callbacks added to the epoch logs ('lr' from
            # LearningRateScheduler and ReduceLROnPlateau), as Keras's
            # History, which runs after the user's callbacks, records it.
            for key, values in dispatcher.added_logs.items():
                history.history.setdefault(key, []).extend(values)
        history.epoch = list(result["epoch"])
        self.history = history
        return history

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, **kwargs):
        """[loss, accuracy] (just the loss when compiled without metrics), or a
        dict with return_dict=True."""
        _reject(kwargs, "evaluate")
        if steps is not None:
            raise ValueError("evaluate: steps is not supported by vknn")
        self._require_compiled("evaluate")
        x, y, batch_size, _ = _inputs.from_dataset(x, y, batch_size, "evaluate")
        if x is None or y is None:
            raise ValueError("evaluate: x and y are required (numpy arrays of images and labels)")
        self._ensure_built(x, "evaluate")
        batch = _DEFAULT_BATCH if batch_size is None else \
            _inputs.positive_int("batch_size", batch_size, "evaluate")
        verbose = _inputs.verbosity(verbose, "evaluate")
        samples = _inputs.images(x, self)
        classes, binary = self._label_classes()
        labels = _inputs.labels(y, samples.shape[0], classes, binary=binary)
        weights = _inputs.sample_weights(sample_weight, samples.shape[0],
                                         "evaluate: sample_weight")
        with self._lock:
            loss, accuracy = self._core.evaluate(samples, labels, batch_size=batch,
                                                 verbose=verbose, sample_weight=weights)
        if return_dict:
            return {"loss": loss, "accuracy": accuracy} if self._keep_accuracy else {"loss": loss}
        return [loss, accuracy] if self._keep_accuracy else loss

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None, **kwargs):
        """Class probabilities: a float32 array (N, classes); for a binary
        classifier (N, 1), the probability of class 1."""
        _reject(kwargs, "predict")
        if steps is not None:
            raise ValueError("predict: steps is not supported by vknn")
        self._require_compiled("predict")
        x, _, batch_size, _ = _inputs.from_dataset(x, None, batch_size, "predict")
        self._ensure_built(x, "predict")
        batch = _DEFAULT_BATCH if batch_size is None else \
            _inputs.positive_int("batch_size", batch_size, "predict")
        verbose = _inputs.verbosity(verbose, "predict")
        samples = _inputs.images(x, self)
        with self._lock:
            return self._core.predict(samples, batch_size=batch, verbose=verbose)

    def __call__(self, x, training=None):
        """predict(x), or for a Sequential of preprocessing layers only (the
        tutorials' data_augmentation model) those layers on the pictures, on
        the host: augmented with fresh draws (training=True, or None as Keras
        takes it when called eagerly), then rescaled."""
        if not self._layers and getattr(self, "_input_elements", None):
            from . import _preprocessing_layers
            return _preprocessing_layers.apply_elements(self._input_elements, x,
                                                        training in (None, True))
        return self.predict(x, verbose=0)

    # ---- weights ------------------------------------------------------------

    def _weight_shapes(self):
        """Per layer, the Keras shapes of its weights."""
        shapes, previous = [], self._input_shape
        infos = self._core.layers()
        for layer, info in zip(self._layers, infos):
            shapes.append(layer._weight_shapes(tuple(previous)))
            previous = tuple(info[2])
        return shapes

    def get_weights(self):
        """The weights in layer order (kernel, bias, ...), float32, in Keras layouts:
        Conv2D kernels (kh, kw, in, out), Dense kernels (in, out)."""
        self._require_compiled("get_weights")
        with self._lock:
            flat = self._core.get_weights()
        shapes = [s for layer_shapes in self._weight_shapes() for s in layer_shapes]
        return [w.reshape(s) for w, s in zip(flat, shapes)]

    def set_weights(self, weights):
        """Sets the weights from a list like get_weights() returns."""
        self._require_compiled("set_weights")
        shapes = [s for layer_shapes in self._weight_shapes() for s in layer_shapes]
        weights = list(weights)
        if len(weights) != len(shapes):
            raise ValueError(f"set_weights: the model has {len(shapes)} weight arrays but "
                             f"{len(weights)} were given")
        arrays = []
        names = self._core.weight_names()
        for i, (w, shape) in enumerate(zip(weights, shapes)):
            a = np.asarray(w)
            if tuple(a.shape) != tuple(shape):
                raise ValueError(f"set_weights: weight {i} ({names[i]}) has shape {tuple(shape)}; "
                                 f"got an array of shape {tuple(a.shape)}")
            if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
                raise ValueError(f"set_weights: weight {i} ({names[i]}) must be numeric, got "
                                 f"dtype {a.dtype}")
            arrays.append(np.ascontiguousarray(a, dtype=np.float32).reshape(-1))
        with self._lock:
            self._core.set_weights(arrays)

    def _layer_weights(self, index):
        if self._compile_config is None or self._core is None:
            return []
        per_layer = self._weight_shapes()
        start = sum(len(s) for s in per_layer[:index])
        return self.get_weights()[start:start + len(per_layer[index])]

    def _set_layer_weights(self, index, weights):
        per_layer = self._weight_shapes()
        start = sum(len(s) for s in per_layer[:index])
        all_weights = self.get_weights()
        weights = list(weights)
        if len(weights) != len(per_layer[index]):
            raise ValueError(f"set_weights: layer {self._layers[index].name} has "
                             f"{len(per_layer[index])} weight arrays, got {len(weights)}")
        all_weights[start:start + len(weights)] = weights
        self.set_weights(all_weights)

    def save_weights(self, filepath, overwrite=True, save_format=None, options=None):
        """Writes the weights to filepath (safetensors, Keras tensor names and
        layouts, written atomically), whatever the file's extension."""
        self._require_compiled("save_weights")
        import os
        if not overwrite and os.path.exists(filepath):
            raise ValueError(f"save_weights: {filepath} exists and overwrite=False")
        with self._lock:
            self._core.save_weights(os.fspath(filepath))

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """keras Model.save: the whole model (layers, weights, optimizer and its
        state, loss and metrics) in Keras v3's '.keras' format, written
        atomically; load it with vknn.keras.models.load_model. A path ending in
        '.h5' (Keras's legacy format) or without an extension (a SavedModel
        directory) is a ValueError: vknn writes '.keras' files only."""
        _reject(kwargs, "save", allowed_defaults={"save_format": None})
        if zipped not in (None, True):
            raise ValueError("save: zipped=False (an unzipped model folder) is not supported by "
                             "vknn; save to a '.keras' file")
        path = _keras_path(filepath, "save")
        self._require_compiled("save")
        self._ensure_built(None, "save")
        if not overwrite and os.path.exists(path):
            raise ValueError(f"save: {path} exists and overwrite=False")
        with self._lock:
            self._sync_trainable()
            self._core.save(path)

    @classmethod
    def _from_core(cls, core):
        """A Sequential around a compiled C++ model (load_model's): its layers
        and optimizer rebuilt as Python objects from the model's own
        settings."""
        model = cls(name=core.name)
        for i, spec in enumerate(core.layer_configs()):
            layer = _layer_from_config(spec)
            model._layers.append(layer)
            layer._attach(model, i)
        model._core = core
        model._input_shape = tuple(core.input_shape)
        for layer, info in zip(model._layers, core.layers()):
            layer.trainable = bool(info[4])
        settings = core.compile_settings()
        opt = _optimizer_from_settings(settings)
        model.optimizer = opt
        model.loss = settings["loss"]
        model._keep_accuracy = bool(settings["metrics"])
        model._compile_config = dict(opt._config(), seed=utils.random_seed())
        opt._bind(model)
        return model

    def load_weights(self, filepath, skip_mismatch=False, by_name=False, options=None):
        """Loads weights written by save_weights (or by the C++ API / examples)."""
        self._require_compiled("load_weights")
        import os
        with self._lock:
            self._core.load_weights(os.fspath(filepath))


def _keras_path(filepath, call):
    """The path as a string if it names a '.keras' file; ValueError naming what
    vknn does not write or read otherwise."""
    try:
        path = os.fspath(filepath)
    except TypeError:
        raise ValueError(f"{call}: filepath must be a path, got {filepath!r}") from None
    if path.endswith(".keras"):
        return path
    if path.endswith((".h5", ".hdf5")):
        raise ValueError(f"{call}: {path}: the legacy Keras HDF5 model format (.h5) is not "
                         f"supported by vknn; use a path ending in '.keras' (Keras v3's format), "
                         f"or save_weights for the weights alone")
    if not os.path.splitext(path)[1] or os.path.isdir(path):
        raise ValueError(f"{call}: {path}: a path without the '.keras' extension is a TensorFlow "
                         f"SavedModel directory, which vknn does not support; use a path ending "
                         f"in '.keras'")
    raise ValueError(f"{call}: {path}: expected a path ending in '.keras' (Keras v3's format), "
                     f"got the extension {os.path.splitext(path)[1]!r}")


def _float32_text(value):
    """The shortest decimal of a float32 (0.9 for float32(0.9)), so a reloaded
    optimizer shows the hyper-parameters as they were given."""
    return float(repr(np.float32(value)))


def _optimizer_from_settings(s):
    rate = _float32_text(s["learning_rate"])
    if s["optimizer"] == "adam":
        return optimizers.Adam(learning_rate=rate, beta_1=_float32_text(s["beta_1"]),
                               beta_2=_float32_text(s["beta_2"]),
                               epsilon=_float32_text(s["epsilon"]))
    if s["optimizer"] == "sgd":
        return optimizers.SGD(learning_rate=rate, momentum=_float32_text(s["momentum"]))
    return optimizers.RMSprop(learning_rate=rate, rho=_float32_text(s["rho"]),
                              momentum=_float32_text(s["momentum"]),
                              epsilon=_float32_text(s["epsilon"]))


def _layer_from_config(c):
    """The vknn.keras layer for one of the C++ model's layer settings."""
    common = dict(name=c["name"], input_shape=c["input_shape"])
    kind = c["class_name"]
    if kind == "Conv2D":
        return layers_module.Conv2D(c["filters"], c["kernel_size"], strides=c["strides"],
                                    padding=c["padding"], activation=c["activation"], **common)
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        return getattr(layers_module, kind)(pool_size=c["pool_size"], strides=c["strides"],
                                            padding=c["padding"], **common)
    if kind == "Dropout":
        return layers_module.Dropout(_float32_text(c["rate"]), seed=c["seed"], **common)
    if kind == "Dense":
        return layers_module.Dense(c["units"], activation=c["activation"], **common)
    return getattr(layers_module, kind)(**common)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """keras.models.load_model for a '.keras' file written by model.save (or by
    Keras, for the layers and settings vknn has): the model compiled with the
    file's optimizer, loss and metrics, its weights, optimizer state, iteration
    count and learning rate restored. It predicts exactly as the saved model,
    and fit(..., initial_epoch=<epochs done>) with the same data and seed
    (vknn.keras.utils.set_random_seed) continues as the saved model's fit
    would. A file vknn cannot honour is a vknn.Error naming the file and
    the problem."""
    if custom_objects:
        raise ValueError("load_model: custom_objects are not supported by vknn (it has no "
                         "custom layers)")
    if not compile:
        raise ValueError("load_model: compile=False is not supported by vknn: its models hold "
                         "their weights in their compiled form; load with compile=True")
    path = _keras_path(filepath, "load_model")
    return Sequential._from_core(_vknn.load_model(path))


def _reject(kwargs, call, allowed_defaults=None):
    """Keras arguments vknn does not have: accepted at their defaults only."""
    allowed_defaults = allowed_defaults or {}
    for name, value in kwargs.items():
        if name in allowed_defaults and value == allowed_defaults[name]:
            continue
        raise ValueError(f"{call}: argument {name}={value!r} is not supported by vknn")


__all__ = ["Model", "Sequential", "load_model"]
