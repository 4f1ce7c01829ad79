"""Keras's random preprocessing layers (RandomFlip, RandomRotation,
RandomZoom, RandomTranslation), applied as vknn applies ImageDataGenerator's
augmentation: in the batch gather on the device, inside the recorded
training step, so the host does nothing per step (docs/image-folders.md,
"The Random* layers").

They must come at the start of a model, before its first layer with weights
(with the Input and a Rescaling around them, in any order): the layers'
transforms are composed into one affine transform per sample and epoch,
sampled once. As in Keras they act in training only: evaluate, predict and
fit's validation see the pictures as they are.
"""
import warnings

import numpy as np

from .. import _vknn
from .layers import Layer, _default_name

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")


def _factor_pair(layer, arg, value, symmetric, low=None):
    """Keras's factor: a float f is (-f, f), a pair is (lower, upper).
    symmetric: vknn takes only (-f, f) here (the layer's draw is composed
    with the others in one order, which is exact only for symmetric ranges)."""
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{layer}: {arg} must be a float or a pair of floats, got {value!r}")
    if isinstance(value, (int, float, np.integer, np.floating)):
        pair = (-abs(float(value)), abs(float(value)))
    else:
        try:
            pair = tuple(float(v) for v in value)
        except (TypeError, ValueError):
            pair = ()
        if len(pair) != 2:
            raise ValueError(f"{layer}: {arg} must be a float or a pair of floats, got {value!r}")
    if not all(np.isfinite(pair)):
        raise ValueError(f"{layer}: {arg} must be finite, got {value!r}")
    if pair[0] > pair[1]:
        raise ValueError(f"{layer}: {arg} is (lower, upper) with lower <= upper, got {value!r}")
    if low is not None and pair[0] < low:
        raise ValueError(f"{layer}: {arg} must be >= {low}, got {value!r}")
    if symmetric and pair[0] != -pair[1]:
        raise ValueError(
            f"{layer}: {arg}={value!r} is not symmetric; vknn takes a float f (the range "
            f"[-f, f]) or a pair (-f, f), as its transforms compose in one fixed order")
    return pair


class _RandomTransformLayer(Layer):
    """What the four layers share: seed, fill_mode, fill_value,
    interpolation, and being folded into the model's input gather."""

    _fills = True  # RandomFlip has no fill_mode

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 input_shape=None, name=None, **kwargs):
        kwargs.pop("value_range", None)  # Keras 3's; the geometric layers ignore it too
        if self._fills:
            if fill_mode not in _FILL_MODES:
                raise ValueError(f"{self._type}: fill_mode must be one of {_FILL_MODES}, got "
                                 f"{fill_mode!r}")
            if isinstance(fill_value, (bool, np.bool_)) or \
                    not isinstance(fill_value, (int, float, np.integer, np.floating)) or \
                    not np.isfinite(fill_value):
                raise ValueError(f"{self._type}: fill_value must be a finite number, got "
                                 f"{fill_value!r}")
            if interpolation != "bilinear":
                raise ValueError(f"{self._type}: interpolation={interpolation!r} is not supported "
                                 f"by vknn (only 'bilinear', Keras's default)")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                                 or seed < 0):
            raise ValueError(f"{self._type}: seed must be an integer >= 0 or None, got {seed!r}")
        self.fill_mode = fill_mode
        self.fill_value = float(fill_value)
        self.interpolation = interpolation
        self.seed = None if seed is None else int(seed)
        self._owner = None  # the model whose inputs it augments
        super().__init__(input_shape=input_shape, name=name, **kwargs)

    @property
    def name(self):
        return self._given_name or _default_name(self._type)

    @property
    def input_shape(self):
        shape = getattr(self._owner, "_input_shape", None)
        return None if shape is None else (None,) + tuple(shape)

    output_shape = input_shape  # the layers keep the pictures' shape

    def _spec(self, input_shape):
        raise ValueError(
            f"{self._type}: vknn applies the Random* layers as it gathers each batch, so they "
            f"must come at the start of the model, before its first layer with weights (after "
            f"an Input or a Rescaling at most)")

    def _weight_shapes(self, input_shape):
        return []

    def count_params(self):
        return 0

    def get_weights(self):
        return []

    # The layer's part of the composed settings (see _settings).
    def _contribute(self, settings):
        raise NotImplementedError

    def __call__(self, inputs, training=True):
        """The layer on an array of pictures (N, H, W, C) or one picture
        (H, W, C), on the host: each picture transformed by a fresh draw
        (training=True, Keras's default when called eagerly in the labs'
        plotting code: layer(images, training=True)), or returned as float32
        unchanged (training=False)."""
        return apply_settings(settings([self], 0) if training else None, inputs)


class RandomFlip(_RandomTransformLayer):
    """keras.layers.RandomFlip(mode="horizontal_and_vertical", seed=None):
    flips each picture left-right and / or top-bottom, each with probability
    1/2, in training."""

    _type = "RandomFlip"
    _fills = False

    def __init__(self, mode="horizontal_and_vertical", seed=None, input_shape=None, name=None,
                 **kwargs):
        if mode not in ("horizontal", "vertical", "horizontal_and_vertical"):
            raise ValueError(f"RandomFlip: mode must be 'horizontal', 'vertical' or "
                             f"'horizontal_and_vertical', got {mode!r}")
        self.mode = mode
        super().__init__(seed=seed, input_shape=input_shape, name=name, **kwargs)

    def _contribute(self, settings):
        settings["horizontal_flip"] = self.mode != "vertical"
        settings["vertical_flip"] = self.mode != "horizontal"


class RandomRotation(_RandomTransformLayer):
    """keras.layers.RandomRotation(factor, fill_mode="reflect",
    interpolation="bilinear", seed=None, fill_value=0.0): rotates each
    picture about its centre by an angle uniform in [-factor, factor) of a
    full turn (factor 0.2: up to 72 degrees either way), in training."""

    _type = "RandomRotation"

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, input_shape=None, name=None, **kwargs):
        self.factor = factor
        self._range = _factor_pair(self._type, "factor", factor, symmetric=True)
        super().__init__(fill_mode, interpolation, seed, fill_value, input_shape, name, **kwargs)

    def _contribute(self, settings):
        settings["rotation_range"] = self._range[1] * 360.0


class RandomZoom(_RandomTransformLayer):
    """keras.layers.RandomZoom(height_factor, width_factor=None,
    fill_mode="reflect", interpolation="bilinear", seed=None,
    fill_value=0.0): zooms each picture about its centre by a factor uniform
    in [1 + lower, 1 + upper) (positive: out, negative: in), one factor for
    both axes when width_factor is None, in training. vknn takes a
    width_factor only equal to height_factor (the axes then drawn apart)."""

    _type = "RandomZoom"

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, input_shape=None, name=None,
                 **kwargs):
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._height = _factor_pair(self._type, "height_factor", height_factor, symmetric=False,
                                    low=-1.0)
        if width_factor is not None:
            width = _factor_pair(self._type, "width_factor", width_factor, symmetric=False,
                                 low=-1.0)
            if width != self._height:
                raise ValueError(
                    f"RandomZoom: width_factor={width_factor!r} differs from height_factor="
                    f"{height_factor!r}; vknn draws both axes' zooms from one range (leave "
                    f"width_factor None for one zoom keeping the aspect ratio)")
        super().__init__(fill_mode, interpolation, seed, fill_value, input_shape, name, **kwargs)

    def _contribute(self, settings):
        settings["zoom_low"] = 1.0 + self._height[0]
        settings["zoom_high"] = 1.0 + self._height[1]
        settings["same_zoom_both_axes"] = self.width_factor is None


class RandomTranslation(_RandomTransformLayer):
    """keras.layers.RandomTranslation(height_factor, width_factor,
    fill_mode="reflect", interpolation="bilinear", seed=None,
    fill_value=0.0): shifts each picture by a fraction of its height
    uniform in [-height_factor, height_factor) and of its width likewise,
    in training."""

    _type = "RandomTranslation"

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, input_shape=None,
                 name=None, **kwargs):
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._height = _factor_pair(self._type, "height_factor", height_factor, symmetric=True)
        self._width = _factor_pair(self._type, "width_factor", width_factor, symmetric=True)
        super().__init__(fill_mode, interpolation, seed, fill_value, input_shape, name, **kwargs)

    def _contribute(self, settings):
        settings["height_shift_range"] = self._height[1]
        settings["width_shift_range"] = self._width[1]


# The order vknn composes the transforms in (augmentation_math.hpp): a flip
# anywhere and, with one zoom for both axes, a zoom anywhere give Keras's
# distribution; a translation after a zoom or before a rotation does not.
_ORDER = {"RandomRotation": 0, "RandomTranslation": 1, "RandomZoom": 2}


def _check_order(layers):
    kinds = [layer._type for layer in layers if layer._type in _ORDER]
    # An isotropic zoom commutes with the rotation: only its place relative
    # to a translation matters then.
    same_zoom = all(layer.width_factor is None for layer in layers if layer._type == "RandomZoom")
    for i, a in enumerate(kinds):
        for b in kinds[i + 1:]:
            if _ORDER[a] > _ORDER[b] and not (same_zoom and {a, b} == {"RandomRotation",
                                                                        "RandomZoom"}):
                warnings.warn(
                    f"{a} comes before {b}: vknn composes the Random* layers' transforms in the "
                    f"order RandomRotation, RandomTranslation, RandomZoom (flips anywhere), so the "
                    f"shifts' spread differs slightly from Keras's for this order "
                    f"(docs/image-folders.md)", stacklevel=3)
                return


def settings(layers, seed, fill_scale=1.0, fill_offset=0.0):
    """The augmented gather's settings (the dictionary augmentation_of reads)
    for the leading Random* layers `layers`, in model order. fill_scale and
    fill_offset turn the layers' fill_value into the model's units: a
    Rescaling after them scales it, as in Keras."""
    kinds = [layer._type for layer in layers]
    for kind in set(kinds):
        if kinds.count(kind) > 1:
            raise ValueError(f"{kind}: the model has {kinds.count(kind)} of them; vknn takes one "
                             f"of each Random* layer (their transforms are composed into one)")
    fills = {(layer.fill_mode, layer.fill_value) for layer in layers if layer._fills}
    if len(fills) > 1:
        raise ValueError(
            f"the model's Random* layers have different fill_mode / fill_value settings "
            f"({sorted(fills)}); vknn samples their composed transform once, with one of them")
    fill_mode, fill_value = fills.pop() if fills else ("reflect", 0.0)
    _check_order(layers)
    s = {"rotation_range": 0.0, "width_shift_range": 0.0, "width_shift_whole_pixels": False,
         "height_shift_range": 0.0, "height_shift_whole_pixels": False, "shear_range": 0.0,
         "zoom_low": 1.0, "zoom_high": 1.0, "horizontal_flip": False, "vertical_flip": False,
         "fill_mode": fill_mode, "cval": float(np.float32(fill_value) * np.float32(fill_scale)
                                               + np.float32(fill_offset)),
         "seed": int(seed), "same_zoom_both_axes": False, "preprocessing_layers_geometry": True}
    for layer in layers:
        layer._contribute(s)
    return s


def seed_of(layers):
    """The first seed a layer was given, else vknn.keras.utils' seed."""
    from . import utils
    for layer in layers:
        if layer.seed is not None:
            return layer.seed
    return utils.random_seed()


def apply_settings(augmentation, inputs):
    """The augmented gather's transform `augmentation` (settings(), or None
    for none) on pictures, on the host, with fresh draws from numpy's
    generator (what a user plots), by the CPU reference of the gather."""
    x = np.asarray(inputs, dtype=np.float32)
    single = x.ndim == 3
    if single:
        x = x[None]
    if x.ndim != 4:
        raise ValueError(f"expected pictures (N, height, width, channels) or one picture "
                         f"(height, width, channels), got shape {np.asarray(inputs).shape}")
    if augmentation is not None and len(x):
        augmentation = dict(augmentation, seed=int(np.random.randint(0, 2 ** 31)))
        step = int(np.random.randint(0, 2 ** 31))
        x = np.stack([_vknn.apply_augmentation(
            augmentation, _vknn.draw_augmentation(augmentation, x.shape[1], x.shape[2], i, step),
            picture) for i, picture in enumerate(x)])
    else:
        x = x.copy()
    return x[0] if single else x


def apply_elements(elements, inputs, training=True):
    """A model's preprocessing elements (Input, Rescaling, Random* layers,
    in order) on pictures, on the host: each run of Random* layers as one
    composed transform with fresh draws (none when training is False), each
    Rescaling as it comes."""
    from .layers import Rescaling
    x = np.asarray(inputs, dtype=np.float32)
    run = []
    for element in list(elements) + [None]:
        if isinstance(element, _RandomTransformLayer):
            run.append(element)
            continue
        if run and training:
            x = apply_settings(settings(run, 0), x)
        run = []
        if isinstance(element, Rescaling):
            x = element(x)
    return x
