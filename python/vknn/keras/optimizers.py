"""keras.optimizers.Adam, SGD and RMSprop with Keras's defaults.

Once compiled into a model, an optimizer's ``learning_rate`` (and its alias
``lr``) is the rate the model trains with: reading it reads the model's
rate (which a restored checkpoint may have changed), setting it changes the
rate of the next training step, as assigning a Keras optimizer's
learning-rate variable does. LearningRateScheduler and ReduceLROnPlateau set
it this way between epochs.
"""
import math
import warnings
import weakref

import numpy as np


# The ranges hyper-parameters must lie in, as the messages name them.
_RANGES = {
    "a finite number >= 0": lambda v: v >= 0,
    "a finite number > 0": lambda v: v > 0,
    "in [0, 1)": lambda v: 0 <= v < 1,
    "in [0, 1]": lambda v: 0 <= v <= 1,
}


def _check(owner, arg, value, allowed):
    """value as a float if it is a finite number (not a bool) `allowed`
    (a key of _RANGES), else a ValueError naming the optimizer and argument."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or not _RANGES[allowed](value):
        raise ValueError(f"{owner}: {arg} must be {allowed}, got {value!r}")
    return float(value)


def _check_rate(owner, value):
    return _check(owner, "learning_rate", value, "a finite number >= 0")


def _legacy_lr(kwargs, learning_rate, name):
    """Keras 2 still takes the old `lr` argument (older course notebooks write
    RMSprop(lr=0.001)), with a deprecation warning; so does vknn."""
    if "lr" not in kwargs:
        return learning_rate
    warnings.warn(f"{name}: the `lr` argument is deprecated, use `learning_rate` instead.",
                  DeprecationWarning, stacklevel=3)
    return kwargs.pop("lr")


class Optimizer:
    """Base of the optimizers vknn runs on the device."""

    def _start(self, owner, learning_rate, name, kwargs, **unsupported):
        """The arguments every optimizer shares: the learning rate (or the
        legacy `lr`), its name; Keras flags vknn does not implement, refused
        when set; no other keyword argument."""
        learning_rate = _legacy_lr(kwargs, learning_rate, owner)
        for flag, value in unsupported.items():
            if value:
                raise ValueError(f"{owner}: {flag}={value!r} is not supported by vknn")
        if kwargs:
            raise TypeError(f"{owner}: unsupported arguments {sorted(kwargs)}")
        self.name = name
        self.learning_rate = _check_rate(owner, learning_rate)

    # The model this optimizer is compiled into (held weakly: the model
    # holds the optimizer).
    _model_ref = None

    def _bind(self, model):
        self._model_ref = weakref.ref(model)

    def _compiled_core(self):
        model = self._model_ref() if self._model_ref is not None else None
        if model is None or model.optimizer is not self or model._core is None or \
                not model._core.compiled:
            return None, None
        return model, model._core

    @property
    def learning_rate(self):
        """The learning rate; once compiled, the model's current rate."""
        model, core = self._compiled_core()
        if core is None:
            return self._learning_rate
        with model._lock:
            rate = float(core.learning_rate)
        # The device holds float32: what was set reads back as set.
        return self._learning_rate if rate == float(np.float32(self._learning_rate)) else rate

    @learning_rate.setter
    def learning_rate(self, value):
        rate = _check_rate(type(self).__name__, value)
        model, core = self._compiled_core()
        if core is not None:
            with model._lock:
                core.learning_rate = rate
        self._learning_rate = rate

    # Keras 2's older name, still used by course notebooks and callbacks.
    lr = learning_rate

    def _device_config(self, optimizer, **values):
        """What compile() hands the library: every hyper-parameter, the
        other optimizers' at their defaults."""
        config = dict(optimizer=optimizer, learning_rate=self.learning_rate, beta_1=0.9,
                      beta_2=0.999, rho=0.9, epsilon=1e-7, momentum=0.0)
        config.update(values)
        return config


class Adam(Optimizer):
    """Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07), Keras's form."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07,
                 amsgrad=False, name="Adam", **kwargs):
        self._start("Adam", learning_rate, name, kwargs, amsgrad=amsgrad)
        self.beta_1 = _check("Adam", "beta_1", beta_1, "in [0, 1)")
        self.beta_2 = _check("Adam", "beta_2", beta_2, "in [0, 1)")
        self.epsilon = _check("Adam", "epsilon", epsilon, "a finite number > 0")

    def _config(self):
        return self._device_config("adam", beta_1=self.beta_1, beta_2=self.beta_2,
                                   epsilon=self.epsilon)


class SGD(Optimizer):
    """SGD(learning_rate=0.01, momentum=0.0), Keras's form."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        self._start("SGD", learning_rate, name, kwargs, nesterov=nesterov)
        self.momentum = _check("SGD", "momentum", momentum, "in [0, 1]")

    def _config(self):
        return self._device_config("sgd", momentum=self.momentum)


# Keras's RMSprop arguments vknn has only at their defaults.
_RMSPROP_DEFAULTS = {"centered": False, "weight_decay": None, "clipnorm": None,
                     "clipvalue": None, "global_clipnorm": None, "use_ema": False,
                     "ema_momentum": 0.99, "ema_overwrite_frequency": None, "jit_compile": True}


class RMSprop(Optimizer):
    """RMSprop(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-07), Keras's form:
    v = rho * v + (1 - rho) * g^2; step = learning_rate * g / (sqrt(v) + epsilon), with
    momentum applied to the step when it is not 0."""

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-07,
                 name="RMSprop", **kwargs):
        for arg in [arg for arg in kwargs if arg in _RMSPROP_DEFAULTS]:
            value, default = kwargs.pop(arg), _RMSPROP_DEFAULTS[arg]
            if value != default or type(value) is not type(default):
                raise ValueError(f"RMSprop: {arg}={value!r} is not supported by vknn (only "
                                 f"{default!r})")
        self._start("RMSprop", learning_rate, name, kwargs)
        self.rho = _check("RMSprop", "rho", rho, "in [0, 1)")
        self.momentum = _check("RMSprop", "momentum", momentum, "in [0, 1)")
        self.epsilon = _check("RMSprop", "epsilon", epsilon, "a finite number > 0")
        self.centered = False

    def _config(self):
        return self._device_config("rmsprop", rho=self.rho, epsilon=self.epsilon,
                                   momentum=self.momentum)


def get(identifier):
    """An optimizer from a name ('adam', 'sgd', 'rmsprop') or an optimizer object."""
    if isinstance(identifier, Optimizer):
        return identifier
    by_name = {"adam": Adam, "sgd": SGD, "rmsprop": RMSprop}
    if isinstance(identifier, str) and identifier.lower() in by_name:
        return by_name[identifier.lower()]()
    raise ValueError(
        f"compile: optimizer {identifier!r} is not supported; use 'rmsprop', 'adam', 'sgd', "
        f"or vknn.keras.optimizers.RMSprop(...), Adam(...) or SGD(...)")
