"""keras.layers: Conv2D, MaxPooling2D (MaxPool2D), AveragePooling2D (AvgPool2D),
GlobalAveragePooling2D (GlobalAvgPool2D), Dropout, Rescaling, Flatten, Dense;
and, as a Sequential model's first element only, Input / InputLayer (a
leading Rescaling is the inputs' conversion: see _take_input_element).

A layer holds its configuration; once it is in a model it also answers
Keras's questions about itself (name, output_shape, count_params(), output,
get_weights()) from that model.
"""
import numpy as np

from .. import _vknn
from . import activations


def _positive_int(value, name, layer):
    """A layer's count (Conv2D filters, Dense units): an int above 0, not a bool."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{layer}: {name} must be a positive integer, got {value!r}")
    return value


def _pair(value, name, layer):
    if isinstance(value, bool):
        raise ValueError(f"{layer}: {name} must be an integer or a tuple of 2 integers, got {value!r}")
    if isinstance(value, int):
        value = (value, value)
    try:
        pair = tuple(value)
    except TypeError:
        pair = ()
    if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, int) for v in pair):
        raise ValueError(f"{layer}: {name} must be an integer or a tuple of 2 integers, got {value!r}")
    if any(v <= 0 for v in pair):
        raise ValueError(f"{layer}: {name} must be positive, got {value!r}")
    return pair


def _padding(value, layer):
    if not isinstance(value, str) or value.lower() not in ("valid", "same"):
        raise ValueError(f"{layer}: padding must be 'valid' or 'same', got {value!r}")
    return value.lower()


def _input_shape(value, layer):
    if value is None:
        return None
    try:
        shape = tuple(value)
    except TypeError:
        shape = None
    if not shape or any(isinstance(d, bool) or not isinstance(d, int) or d <= 0 for d in shape):
        raise ValueError(
            f"{layer}: input_shape must be a tuple of positive integers (one sample, without the "
            f"batch), e.g. (28, 28, 1); got {value!r}")
    return shape


class Layer:
    """What every vknn.keras layer has."""

    _type = "Layer"

    def __init__(self, input_shape=None, name=None, **kwargs):
        if "batch_input_shape" in kwargs:
            batch = kwargs.pop("batch_input_shape")
            input_shape = tuple(batch)[1:]
        trainable = kwargs.pop("trainable", True)
        if kwargs:
            raise TypeError(f"{self._type}: unsupported arguments {sorted(kwargs)}")
        if name is not None and not isinstance(name, str):
            raise ValueError(f"{self._type}: name must be a string, got {name!r}")
        self._given_name = name
        self._input_shape_arg = _input_shape(input_shape, self._type)
        self._model = None
        self._index = None
        self.trainable = trainable

    @property
    def trainable(self):
        """Keras's layer.trainable: False freezes the layer's weights (fit
        leaves them as they are; gradients still flow through it). Taken
        into account when the next fit starts; no compile() needed."""
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        if not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"{self._type}: trainable must be True or False, got {value!r}")
        self._trainable = bool(value)

    # Set by the model that holds the layer.
    def _attach(self, model, index):
        self._model = model
        self._index = index

    def _info(self):
        if self._model is None or not self._model._built():
            raise AttributeError(
                f"The layer {self._given_name or self._type} has never been called and thus has "
                f"no defined output shape (add it to a Sequential model with an input_shape)")
        return self._model._core.layers()[self._index]

    @property
    def name(self):
        if self._model is not None and self._model._built():
            return self._info()[0]
        return self._given_name or _default_name(self._type)

    @property
    def output_shape(self):
        return (None,) + tuple(self._info()[2])

    @property
    def input_shape(self):
        if self._index == 0 or self._model is None:
            if self._model is not None and self._model._built():
                return (None,) + tuple(self._model._input_shape)
            if self._input_shape_arg is not None:
                return (None,) + self._input_shape_arg
        return self._model.layers[self._index - 1].output_shape

    @property
    def output(self):
        """This layer's output as a symbolic tensor, for keras.models.Model(outputs=...)."""
        self._info()
        return _SymbolicTensor(self._model, self._index, self.output_shape)

    def count_params(self):
        return int(self._info()[3])

    def get_weights(self):
        if self._model is None:
            return []
        return self._model._layer_weights(self._index)

    def set_weights(self, weights):
        if self._model is None:
            raise ValueError(f"{self.name}: add the layer to a model before setting its weights")
        self._model._set_layer_weights(self._index, weights)

    def __repr__(self):
        return f"<vknn.keras.layers.{self._type} name={self.name}>"


def _default_name(type_name):
    import re
    return re.sub(r"(?<!^)(?=[A-Z][a-z])", "_", type_name).lower().replace("max_pooling2_d",
                                                                          "max_pooling2d")


class _SymbolicTensor:
    """A layer's output or a model's input as Keras's functional API names
    them; only vknn.keras.models.Model consumes it."""

    def __init__(self, model, index, shape):
        self._model = model
        self._index = index  # -1: the model's input
        self.shape = shape

    def __repr__(self):
        what = "input" if self._index < 0 else f"output of layer {self._index}"
        return f"<vknn KerasTensor: {what} shape={self.shape}>"


class Conv2D(Layer):
    _type = "Conv2D"

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", activation=None,
                 input_shape=None, name=None, **kwargs):
        _check_defaults(self._type, kwargs, {"data_format": (None, "channels_last"),
                                             "dilation_rate": (1, (1, 1)), "groups": (1,),
                                             "use_bias": (True,),
                                             "kernel_initializer": ("glorot_uniform",),
                                             "bias_initializer": ("zeros",)})
        super().__init__(input_shape=input_shape, name=name, **kwargs)
        self.filters = _positive_int(filters, "filters", "Conv2D")
        self.kernel_size = _pair(kernel_size, "kernel_size", "Conv2D")
        self.strides = _pair(strides, "strides", "Conv2D")
        self.padding = _padding(padding, "Conv2D")
        self.activation = activations.get(activation) if activation is None or \
            not isinstance(activation, str) else activation
        self._activation = activations.resolve(activation, "Conv2D")

    def _spec(self, input_shape):
        return _vknn.conv2d(self.filters, self.kernel_size, self.strides, self.padding,
                            self._activation, input_shape, self._given_name or "")

    def _weight_shapes(self, input_shape):
        kh, kw = self.kernel_size
        return [(kh, kw, input_shape[-1], self.filters), (self.filters,)]


class _Pooling2D(Layer):
    """Keras's Pooling2D arguments, shared by MaxPooling2D and AveragePooling2D."""

    _binding = None  # the _vknn function that makes the layer's spec

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", input_shape=None,
                 name=None, **kwargs):
        _check_defaults(self._type, kwargs, {"data_format": (None, "channels_last")})
        super().__init__(input_shape=input_shape, name=name, **kwargs)
        self.pool_size = _pair(pool_size, "pool_size", self._type)
        self.strides = None if strides is None else _pair(strides, "strides", self._type)
        self.padding = _padding(padding, self._type)

    def _spec(self, input_shape):
        return type(self)._binding(self.pool_size, self.strides, self.padding, input_shape,
                                   self._given_name or "")

    def _weight_shapes(self, input_shape):
        return []


class MaxPooling2D(_Pooling2D):
    _type = "MaxPooling2D"
    _binding = _vknn.max_pooling2d


class AveragePooling2D(_Pooling2D):
    """The mean of each window; with padding='same' a border window averages
    only the pixels it covers, as TensorFlow does."""
    _type = "AveragePooling2D"
    _binding = _vknn.average_pooling2d


MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D


class GlobalAveragePooling2D(Layer):
    """The mean of each channel over the whole map: (H, W, C) -> (C,)."""
    _type = "GlobalAveragePooling2D"

    def __init__(self, data_format=None, keepdims=False, input_shape=None, name=None, **kwargs):
        _check_defaults(self._type, {"data_format": data_format, "keepdims": keepdims},
                        {"data_format": (None, "channels_last"), "keepdims": (False,)})
        super().__init__(input_shape=input_shape, name=name, **kwargs)

    def _spec(self, input_shape):
        return _vknn.global_average_pooling2d(input_shape, self._given_name or "")

    def _weight_shapes(self, input_shape):
        return []


GlobalAvgPool2D = GlobalAveragePooling2D


class Dropout(Layer):
    """Inverted dropout: in fit each input is zeroed with probability rate and
    the rest scaled by 1 / (1 - rate); evaluate and predict pass it through.
    The mask comes from a counter-based generator on the device, so a seed
    reproduces a run exactly; without one it is derived from the compile
    seed (vknn.keras.utils.set_random_seed) and the layer's position."""
    _type = "Dropout"

    def __init__(self, rate, noise_shape=None, seed=None, input_shape=None, name=None, **kwargs):
        super().__init__(input_shape=input_shape, name=name, **kwargs)
        if isinstance(rate, (bool, np.bool_)) or not isinstance(rate, (int, float, np.integer,
                                                                      np.floating)) \
                or not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be a number in [0, 1) (the fraction of inputs "
                             f"dropped in training, e.g. Dropout(0.2)), got {rate!r}")
        if noise_shape is not None:
            raise ValueError(f"Dropout: noise_shape={noise_shape!r} is not supported by vknn "
                             f"(only None: an independent mask for every input)")
        if seed is not None and (isinstance(seed, (bool, np.bool_))
                                 or not isinstance(seed, (int, np.integer))
                                 or not 0 <= seed < 2 ** 64):
            raise ValueError(f"Dropout: seed must be None or an integer in [0, 2**64), "
                             f"got {seed!r}")
        self.rate = float(rate)
        self.noise_shape = None
        self.seed = None if seed is None else int(seed)

    def _spec(self, input_shape):
        return _vknn.dropout(self.rate, self.seed, input_shape, self._given_name or "")

    def _weight_shapes(self, input_shape):
        return []


class Flatten(Layer):
    _type = "Flatten"

    def __init__(self, input_shape=None, name=None, **kwargs):
        _check_defaults(self._type, kwargs, {"data_format": (None, "channels_last")})
        super().__init__(input_shape=input_shape, name=name, **kwargs)

    def _spec(self, input_shape):
        return _vknn.flatten(input_shape, self._given_name or "")

    def _weight_shapes(self, input_shape):
        return []


class Dense(Layer):
    _type = "Dense"

    def __init__(self, units, activation=None, input_shape=None, name=None, **kwargs):
        _check_defaults(self._type, kwargs, {"use_bias": (True,),
                                             "kernel_initializer": ("glorot_uniform",),
                                             "bias_initializer": ("zeros",)})
        super().__init__(input_shape=input_shape, name=name, **kwargs)
        self.units = _positive_int(units, "units", "Dense")
        self.activation = activations.get(activation) if activation is None or \
            not isinstance(activation, str) else activation
        self._activation = activations.resolve(activation, "Dense")

    def _spec(self, input_shape):
        return _vknn.dense(self.units, self._activation, input_shape, self._given_name or "")

    def _weight_shapes(self, input_shape):
        fan_in = 1
        for d in input_shape:
            fan_in *= d
        return [(fan_in, self.units), (self.units,)]


class InputLayer:
    """keras.layers.InputLayer(input_shape=...) and keras.Input(shape=...):
    the input shape of the Sequential model it starts. Not a layer of the
    model (model.layers does not list it, as in Keras)."""

    def __init__(self, input_shape=None, batch_size=None, dtype=None, name=None, shape=None,
                 **kwargs):
        if kwargs:
            raise TypeError(f"Input: unsupported arguments {sorted(kwargs)}")
        if shape is not None and input_shape is not None:
            raise ValueError("Input: give shape or input_shape, not both")
        self._input_shape_arg = _input_shape(shape if shape is not None else input_shape, "Input")
        if self._input_shape_arg is None:
            raise ValueError("Input: shape is required, e.g. Input(shape=(150, 150, 3))")
        if dtype not in (None, "float32", "uint8"):
            raise ValueError(f"Input: dtype={dtype!r} is not supported by vknn (float32 inputs)")
        self.name = name or "input_1"
        self.shape = (batch_size,) + self._input_shape_arg

    def __repr__(self):
        return f"<vknn KerasTensor: input shape={self.shape}>"


def Input(shape=None, batch_size=None, name=None, dtype=None, **kwargs):
    """keras.Input(shape=(H, W, C)): a Sequential model's first element."""
    return InputLayer(shape=shape, batch_size=batch_size, name=name, dtype=dtype, **kwargs)


class _ElementwiseLayer(Layer):
    """A layer of the C++ elementwise family (Rescaling, ...: one function of
    each element, no weights), built from its Keras class name and its
    settings, the attributes named in _settings (Keras's config keys)."""
    _settings = ()

    def _spec(self, input_shape):
        return _vknn.elementwise_layer(self._type, {k: getattr(self, k) for k in self._settings},
                                       input_shape, self._given_name or "")

    def _weight_shapes(self, input_shape):
        return []


def _finite_number(layer, arg, value, hint=""):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                   np.floating)) \
            or not np.isfinite(value):
        raise ValueError(f"{layer}: {arg} must be a finite number, got {value!r}{hint}")
    return float(value)


class Rescaling(_ElementwiseLayer):
    """keras.layers.Rescaling(scale, offset=0.0): inputs * scale + offset.

    As the model's first layer (after an Input) vknn applies it to the inputs
    on the host as fit, evaluate and predict convert them (vknn.keras._inputs):
    Rescaling(1./255) of pixels 0..255 then keeps them uint8 on the device,
    which divides by 255 as it gathers each batch, and it is not listed in
    model.layers or summary(). Anywhere else it is a layer of the model on
    the device (listed, no parameters), as in Keras. Its inputs are taken at
    face value, as in Keras: uint8 pixel 200 is 200.0 before the scaling.
    Called on an array (as in dataset.map(lambda x, y: (rescale(x), y))) it
    returns the scaled float32 array."""

    _type = "Rescaling"
    _settings = ("scale", "offset")

    def __init__(self, scale, offset=0.0, input_shape=None, name=None, **kwargs):
        hint = " (vknn takes one scale and offset for all channels)"
        self.scale = _finite_number(self._type, "scale", scale, hint)
        self.offset = _finite_number(self._type, "offset", offset, hint)
        super().__init__(input_shape=input_shape, name=name, **kwargs)

    def __call__(self, inputs):
        return np.asarray(inputs).astype(np.float32) * np.float32(self.scale) + \
            np.float32(self.offset)

    def __repr__(self):
        return f"<vknn.keras.layers.Rescaling scale={self.scale} offset={self.offset}>"


class LeakyReLU(_ElementwiseLayer):
    """keras.layers.LeakyReLU(negative_slope=0.3): x for x >= 0, negative_slope
    * x below, on the device; Keras 2's alpha= is taken as negative_slope."""

    _type = "LeakyReLU"
    _settings = ("negative_slope",)

    def __init__(self, negative_slope=0.3, input_shape=None, name=None, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        self.negative_slope = _finite_number(self._type, "negative_slope", negative_slope)
        if self.negative_slope < 0:
            raise ValueError(f"LeakyReLU: the negative_slope value of a Leaky ReLU layer cannot be "
                             f"negative, got {negative_slope!r}")
        super().__init__(input_shape=input_shape, name=name, **kwargs)


def _take_input_element(model, element):
    """Sequential.add's hook for the elements that are not layers of the C++
    model: an Input sets the input shape, a leading Rescaling is kept as the
    model's input conversion, leading Random* layers as its augmentation
    (vknn.keras._preprocessing_layers). Returns whether `element` was one of
    them; model._input_elements keeps them in order."""
    from ._preprocessing_layers import _RandomTransformLayer
    taken = getattr(model, "_input_elements", None)
    if taken is None:
        taken = model._input_elements = []
    if isinstance(element, InputLayer):
        if model._layers or taken:
            raise ValueError("Sequential: an Input must come first in the model")
        shape = element._input_shape_arg
        model._input_shape = shape + (1,) if len(shape) == 2 else shape
        taken.append(element)
        return True
    leading = not model._layers
    if isinstance(element, Rescaling) and leading and \
            getattr(model, "_input_rescaling", None) is None:
        # Leading: the inputs' conversion on the host. Elsewhere a layer.
        model._input_rescaling = (element.scale, element.offset)
    elif isinstance(element, _RandomTransformLayer):
        if not leading:
            raise ValueError(
                f"Sequential.add: {element._type} after {model._layers[-1].name}: vknn applies "
                f"the Random* layers as it gathers each batch, so they must come at the start of "
                f"the model, before its first layer with weights (after an Input or a Rescaling "
                f"at most)")
        element._owner = model
    else:
        return False
    if element._input_shape_arg is not None and model._input_shape is None:
        shape = element._input_shape_arg
        model._input_shape = shape + (1,) if len(shape) == 2 else shape
    taken.append(element)
    return True


def _input_augmentation(model):
    """fit's augmentation settings from the model's leading Random* layers,
    or None: their fill_value is in the units of their inputs, so a Rescaling
    after them converts it."""
    from . import _preprocessing_layers as pl
    elements = getattr(model, "_input_elements", None) or []
    randoms = [e for e in elements if isinstance(e, pl._RandomTransformLayer)]
    if not randoms:
        return None
    scale, offset = 1.0, 0.0
    rescaling = getattr(model, "_input_rescaling", None)
    fillers = [e for e in randoms if e._fills]
    if rescaling is not None and fillers and not any(
            isinstance(e, Rescaling) for e in elements[:elements.index(fillers[0])]):
        scale, offset = rescaling
    return pl.settings(randoms, pl.seed_of(randoms), scale, offset)


def supported_layers():
    """The layers a Sequential model takes, for messages: "Conv2D, ... and Dense"."""
    names = [name for name in __all__ if isinstance(globals()[name], type)
             and issubclass(globals()[name], Layer) and globals()[name] is not Layer
             and globals()[name]._type == name]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _check_defaults(layer, kwargs, allowed):
    """Keras arguments vknn has only at their default: accepted at it,
    ValueError otherwise (never silently ignored)."""
    for name, defaults in allowed.items():
        if name in kwargs:
            value = kwargs.pop(name)
            if value not in defaults:
                raise ValueError(f"{layer}: {name}={value!r} is not supported by vknn (only "
                                 f"{defaults[0]!r})")


from ._preprocessing_layers import (RandomFlip, RandomRotation, RandomTranslation,  # noqa: E402
                                    RandomZoom)

__all__ = ["Layer", "Conv2D", "MaxPooling2D", "MaxPool2D", "AveragePooling2D", "AvgPool2D",
           "GlobalAveragePooling2D", "GlobalAvgPool2D", "Dropout", "Flatten", "Dense",
           "Input", "InputLayer", "Rescaling", "LeakyReLU", "RandomFlip", "RandomRotation",
           "RandomZoom", "RandomTranslation"]
