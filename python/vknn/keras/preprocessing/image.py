"""keras.preprocessing.image.ImageDataGenerator, as the course's week 4 uses it:

    train_datagen = ImageDataGenerator(rescale=1/255)
    train_generator = train_datagen.flow_from_directory(
        'horse-or-human/', target_size=(300, 300), batch_size=128, class_mode='binary')
    model.fit(train_generator, steps_per_epoch=8, epochs=15,
              validation_data=validation_generator, validation_steps=8)

The folder is read once, whole, by the C++ library's folder reader (the one
image_dataset_from_directory uses): classes are the sorted subfolders,
each class's files in sorted order, decoded (JPEG by libjpeg-turbo; PNG,
BMP and GIF by stb_image) and resized to target_size. fit uploads the
pictures to the device once and shuffles them there every epoch, as it
does any array; steps_per_epoch takes the first batches of each epoch's
order, as Keras's fit does with a Sequence (it starts a new pass every
epoch). With rescale=1/255 the pictures stay uint8 on the device, which
divides by 255 as it gathers a batch.

Augmentation (rotation_range, width_shift_range, height_shift_range,
shear_range, zoom_range, horizontal_flip, vertical_flip, fill_mode, cval)
runs on the device inside fit's recorded step: each training sample's
transform is drawn there (Philox, keyed by the seed, the sample and the
step) and applied as Keras's apply_transform applies it (scipy.ndimage's
order-1 affine_transform with its boundary modes), so every epoch sees new
transforms and the host does nothing per step. get_random_transform,
apply_transform and random_transform run the same transform on the host.
Validation data, evaluate and predict are never augmented.

What differs from Keras (docs/image-folders.md has the whole list): the
transforms are drawn by vknn's generator, not numpy's (a seed reproduces a
vknn run, not a Keras run); featurewise and samplewise normalisation, ZCA,
brightness_range, channel_shift_range and preprocessing_function are
refused; resizing is TensorFlow's half-pixel 'nearest' or 'bilinear' where
Keras calls PIL's; grayscale is stb_image's luma ((77 R + 150 G + 29 B) >> 8)
where PIL's is (299 R + 587 G + 114 B) / 1000; TIFF and PPM files are not
read (GIF is).
"""
import os

import numpy as np

from ... import _vknn
from ...data import FaceValues, _as_batch
from .._image_dataset import picture_size

# ImageDataGenerator's arguments vknn does not implement, at the defaults it
# accepts (anything else is refused, naming the argument).
_REFUSED_DEFAULTS = {
    "featurewise_center": False, "samplewise_center": False,
    "featurewise_std_normalization": False, "samplewise_std_normalization": False,
    "zca_whitening": False, "zca_epsilon": 1e-6, "brightness_range": None,
    "channel_shift_range": 0.0, "preprocessing_function": None, "data_format": None,
    "interpolation_order": 1, "dtype": None,
}
_FILL_MODES = ("nearest", "reflect", "wrap", "constant")
_CLASS_MODES = ("categorical", "binary", "sparse", "input", None)
_COLOR_MODES = {"grayscale": 1, "rgb": 3, "rgba": 4}


def _is_number(value):
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, float, np.integer,
                                                                           np.floating))


def _range(name, value):
    """A rotation or shear range: a finite number >= 0 (degrees)."""
    if not _is_number(value) or not np.isfinite(value) or value < 0:
        raise ValueError(f"ImageDataGenerator: {name} must be a finite number >= 0 (degrees), got "
                         f"{value!r}")
    return float(value)


def _shift(name, value):
    """(range, whole pixels) of width_shift_range / height_shift_range, as
    Keras reads them: a float is a fraction of the side when < 1, else
    pixels; an int n draws whole pixels in (-n, n)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        raise ValueError(f"ImageDataGenerator: {name}={value!r}: a list of shifts is not supported "
                         f"by vknn; give a float (a fraction of the side below 1, else pixels) or "
                         f"an int (whole pixels)")
    if not _is_number(value) or not np.isfinite(value) or value < 0:
        raise ValueError(f"ImageDataGenerator: {name} must be a number >= 0, got {value!r}")
    whole = isinstance(value, (int, np.integer))
    if whole and value > 65536:
        raise ValueError(f"ImageDataGenerator: {name}={value} pixels is too large (at most 65536)")
    return float(value), whole


def _zoom(value):
    """Keras's zoom_range: z is [1 - z, 1 + z]; a pair is [lower, upper]."""
    if _is_number(value):
        if not np.isfinite(value):
            raise ValueError(f"ImageDataGenerator: zoom_range must be finite, got {value!r}")
        return [1 - float(value), 1 + float(value)]
    if isinstance(value, (list, tuple, np.ndarray)) and len(value) == 2 \
            and all(_is_number(v) and np.isfinite(v) for v in value):
        return [float(value[0]), float(value[1])]
    raise ValueError(f"`zoom_range` should be a float or a tuple or list of two floats. Received: "
                     f"{value}")


class ImageDataGenerator:
    """keras.preprocessing.image.ImageDataGenerator: rescale,
    validation_split and the geometric augmentation (rotation_range,
    width_shift_range, height_shift_range, shear_range, zoom_range,
    horizontal_flip, vertical_flip, fill_mode, cval), which fit applies on
    the device (see the module's docstring). The other Keras arguments are
    refused unless left at their defaults."""

    def __init__(self, rotation_range=0, width_shift_range=0.0, height_shift_range=0.0,
                 shear_range=0.0, zoom_range=0.0, fill_mode="nearest", cval=0.0,
                 horizontal_flip=False, vertical_flip=False, rescale=None, validation_split=0.0,
                 **kwargs):
        for name, value in kwargs.items():
            if name not in _REFUSED_DEFAULTS:
                raise TypeError(f"ImageDataGenerator: unexpected argument {name}={value!r}")
            default = _REFUSED_DEFAULTS[name]
            if name == "data_format" and value in (None, "channels_last"):
                continue
            if name == "dtype" and value in (None, "float32", np.float32):
                continue
            if value is not default and value != default:
                raise ValueError(
                    f"ImageDataGenerator: {name}={value!r} is not supported by vknn (leave {name} "
                    f"at {default!r}; vknn augments with rotation, shifts, shear, zoom and flips)")
        if rescale is not None and (isinstance(rescale, bool)
                                    or not isinstance(rescale, (int, float, np.floating))
                                    or not np.isfinite(rescale) or rescale == 0):
            raise ValueError(f"ImageDataGenerator: rescale must be a finite nonzero number or "
                             f"None, got {rescale!r}")
        if isinstance(validation_split, bool) or not isinstance(validation_split, (int, float)) \
                or not 0 <= validation_split < 1:
            raise ValueError(f"`validation_split` must be strictly between 0 and 1.  Received: "
                             f"{validation_split}")
        if fill_mode not in _FILL_MODES:
            raise ValueError(f"ImageDataGenerator: fill_mode={fill_mode!r} is not one of "
                             f"{', '.join(repr(m) for m in _FILL_MODES)}")
        if not _is_number(cval) or not np.isfinite(cval):
            raise ValueError(f"ImageDataGenerator: cval must be a finite number, got {cval!r}")
        for name, value in (("horizontal_flip", horizontal_flip), ("vertical_flip", vertical_flip)):
            if not isinstance(value, (bool, np.bool_)):
                raise ValueError(f"ImageDataGenerator: {name} must be True or False, got {value!r}")
        self.rotation_range = _range("rotation_range", rotation_range)
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self._width_shift = _shift("width_shift_range", width_shift_range)
        self._height_shift = _shift("height_shift_range", height_shift_range)
        self.shear_range = _range("shear_range", shear_range)
        self.zoom_range = _zoom(zoom_range)
        self.fill_mode = fill_mode
        self.cval = float(cval)
        self.horizontal_flip = bool(horizontal_flip)
        self.vertical_flip = bool(vertical_flip)
        self.rescale = rescale
        self._validation_split = float(validation_split)

    def _augments(self):
        return bool(self.rotation_range or self._width_shift[0] or self._height_shift[0]
                    or self.shear_range or self.zoom_range != [1.0, 1.0]
                    or self.horizontal_flip or self.vertical_flip)

    def _settings(self, seed, cval=None):
        """The settings vknn's augmented gather takes (cval in the units of
        the values it transforms: Keras's, unless given)."""
        return {"rotation_range": self.rotation_range,
                "width_shift_range": self._width_shift[0],
                "width_shift_whole_pixels": self._width_shift[1],
                "height_shift_range": self._height_shift[0],
                "height_shift_whole_pixels": self._height_shift[1],
                "shear_range": self.shear_range, "zoom_low": self.zoom_range[0],
                "zoom_high": self.zoom_range[1], "horizontal_flip": self.horizontal_flip,
                "vertical_flip": self.vertical_flip, "fill_mode": self.fill_mode,
                "cval": self.cval if cval is None else float(cval), "seed": int(seed)}

    def get_random_transform(self, img_shape, seed=None):
        """Keras's dictionary of one random transform (theta, tx, ty, shear,
        zx, zy, flip_horizontal, flip_vertical; channel_shift_intensity and
        brightness None) for pictures of img_shape (height, width, channels),
        drawn by vknn's generator: the transform fit draws for sample 0 at
        step 0 under this seed (seed=None: a random seed from numpy)."""
        if len(img_shape) != 3:
            raise ValueError(f"get_random_transform: img_shape must be (height, width, channels), "
                             f"got {img_shape!r}")
        if seed is None:
            seed = np.random.randint(0, 2 ** 31)
        return _vknn.draw_augmentation(self._settings(seed), int(img_shape[0]), int(img_shape[1]),
                                       0, 0)

    def apply_transform(self, x, transform_parameters):
        """Keras's apply_transform: one picture (height, width, channels)
        transformed by the given parameters (Keras's keys; missing ones at
        their neutral values), with this generator's fill_mode and cval, as
        float32: what fit's augmented gather computes."""
        x = np.asarray(x)
        if x.ndim != 3:
            raise ValueError(f"apply_transform: x must be one picture (height, width, channels), "
                             f"got shape {x.shape}")
        return _vknn.apply_augmentation(self._settings(0), dict(transform_parameters),
                                        x.astype(np.float32))

    def random_transform(self, x, seed=None):
        """Keras's random_transform: apply_transform of get_random_transform."""
        x = np.asarray(x)
        return self.apply_transform(x, self.get_random_transform(x.shape, seed))

    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None,
             save_to_dir=None, save_prefix="", save_format="png", ignore_class_split=False,
             subset=None):
        """A NumpyArrayIterator over pictures x (N, height, width, channels)
        and labels y."""
        if save_to_dir is not None:
            raise ValueError("flow: save_to_dir is not supported by vknn (fit augments on the "
                             "device; apply_transform gives augmented pictures)")
        if sample_weight is not None:
            raise ValueError("flow: sample_weight is not supported by vknn; pass sample_weight to "
                             "fit with arrays instead")
        if subset is not None:
            raise ValueError("flow: subset is not supported by vknn (split the arrays, or use "
                             "fit's validation_split)")
        return NumpyArrayIterator(x, y, self, batch_size, shuffle, seed)

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode="rgb",
                            classes=None, class_mode="categorical", batch_size=32, shuffle=True,
                            seed=None, save_to_dir=None, save_prefix="", save_format="png",
                            follow_links=False, subset=None, interpolation="nearest",
                            keep_aspect_ratio=False):
        """A DirectoryIterator over a folder with one subfolder per class."""
        if save_to_dir is not None:
            raise ValueError("flow_from_directory: save_to_dir is not supported by vknn (fit "
                             "augments on the device; apply_transform gives augmented pictures)")
        if keep_aspect_ratio:
            raise ValueError("flow_from_directory: keep_aspect_ratio=True is not supported by "
                             "vknn yet (pictures are resized whole)")
        return DirectoryIterator(directory, self, target_size, color_mode, classes, class_mode,
                                 batch_size, shuffle, seed, follow_links, subset, interpolation)


def _check_batching(batch_size, seed, call):
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
        raise ValueError(f"{call}: batch_size must be an integer >= 1, got {batch_size!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                             or not 0 <= seed < 2 ** 32):
        raise ValueError(f"{call}: seed must be an integer in [0, 2**32), got {seed!r}")


class _Iterator:
    """What both iterators share: Keras's Sequence protocol over pictures
    held whole in memory (self._pixels, N x H x W x C) with their labels,
    batches augmented on the host as the generator says, and what fit takes
    (_for_model, _augmentation_settings)."""

    def __len__(self):
        return -(-self.n // self.batch_size)

    def _augment_seed(self):
        from .. import utils
        return utils.random_seed() if self.seed is None else int(self.seed)

    def _images(self, index):
        x = self._pixels[index].astype(np.float32)
        generator = self.image_data_generator
        if generator._augments():
            # The host's own draws (keyed by the sample and the batches this
            # iterator has yielded): pictures to look at, not fit's.
            settings = generator._settings(self._augment_seed())
            x = np.stack([_vknn.apply_augmentation(
                settings, _vknn.draw_augmentation(settings, x.shape[1], x.shape[2], int(i),
                                                  self._batches_seen), picture)
                for i, picture in zip(index, x)]) if len(x) else x
        if self.rescale is not None:
            x *= np.float32(self.rescale)
        return x

    def _batch_index(self, i):
        if not 0 <= i < len(self):
            raise IndexError(f"Asked to retrieve element {i}, but the Sequence has length "
                             f"{len(self)}")
        if self._order is None:
            self._order = self._rng.permutation(self.n) if self.shuffle else np.arange(self.n)
        self._batches_seen += 1
        return self._order[i * self.batch_size:(i + 1) * self.batch_size]

    def __iter__(self):
        return self

    def __next__(self):
        if self._next >= len(self):
            self.on_epoch_end()
        batch = self[self._next]
        self._next += 1
        return batch

    next = __next__

    def on_epoch_end(self):
        """A new order for the next pass (shuffle), as Keras's iterator."""
        self._order = None
        self._next = 0

    def reset(self):
        self.on_epoch_end()

    def _model_values(self, pixels):
        """pixels as fit uploads them: uint8 when rescale is 1/255 (the
        device divides by 255 as it gathers), face values without rescale,
        else the rescaled float32 values."""
        if self.rescale is not None and np.float32(self.rescale) == np.float32(1 / 255) \
                and pixels.dtype == np.uint8:
            return pixels
        if self.rescale is None:
            return FaceValues(pixels)
        return pixels.astype(np.float32) * np.float32(self.rescale)

    def _augmentation_settings(self, model):
        """fit's augmentation settings, or None when the generator does not
        augment. cval becomes what the model sees for Keras's cval: times
        rescale, then through a leading Rescaling layer."""
        if not self.image_data_generator._augments():
            return None
        cval = np.float32(self.image_data_generator.cval)
        if self.rescale is not None:
            cval = cval * np.float32(self.rescale)
        rescaling = getattr(model, "_input_rescaling", None)
        if rescaling is not None:
            cval = cval * np.float32(rescaling[0]) + np.float32(rescaling[1])
        return self.image_data_generator._settings(self._augment_seed(), cval)


class NumpyArrayIterator(_Iterator):
    """Keras's NumpyArrayIterator (ImageDataGenerator.flow): len() batches of
    (x, y), x float32 augmented and rescaled; attributes x, y, n,
    batch_size, shuffle, seed."""

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=True, seed=None):
        x = np.asarray(x)
        if x.ndim != 4:
            raise ValueError(f"Input data in `NumpyArrayIterator` should have rank 4. You passed an "
                             f"array with shape {x.shape}")
        if y is not None:
            y = np.asarray(y)
            if len(y) != len(x):
                raise ValueError(f"`x` (images tensor) and `y` (labels) should have the same "
                                 f"length. Found: x.shape = {x.shape}, y.shape = {y.shape}")
        _check_batching(batch_size, seed, "flow")
        self.x = x
        self.y = y
        self.n = len(x)
        self.image_data_generator = image_data_generator
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = seed
        self.rescale = image_data_generator.rescale
        self._pixels = x
        self._rng = np.random.RandomState(seed)
        self._order = None
        self._next = 0
        self._batches_seen = 0

    def __getitem__(self, i):
        index = self._batch_index(i)
        x = _as_batch(self._images(index))
        if self.y is None:
            return x
        return x, _as_batch(self.y[index])

    def _for_model(self, validation=False):
        """(x, y, batch size, whether fit shuffles), as DirectoryIterator's."""
        x, y = self.x, self.y
        if validation and self.shuffle:
            if self._order is None:
                self._order = self._rng.permutation(self.n)
            x = x[self._order]
            y = None if y is None else y[self._order]
        return self._model_values(x), y, self.batch_size, self.shuffle


class DirectoryIterator(_Iterator):
    """Keras's DirectoryIterator: len() batches of (x, y), x float32
    (batch, height, width, channels) rescaled, y by class_mode
    ('categorical': one-hot, 'binary' and 'sparse': class indices as
    float32, 'input': x itself, None: no y). Attributes as Keras's:
    samples, classes, class_indices, filenames, filepaths, num_classes,
    image_shape, batch_size, shuffle."""

    def __init__(self, directory, generator, target_size, color_mode, classes, class_mode,
                 batch_size, shuffle, seed, follow_links, subset, interpolation):
        directory = os.fspath(directory)
        if color_mode not in _COLOR_MODES:
            raise ValueError(f"Invalid color mode: {color_mode}; expected \"rgb\", \"rgba\", or "
                             f"\"grayscale\".")
        if class_mode not in _CLASS_MODES:
            raise ValueError(f"Invalid class_mode: {class_mode}; expected one of \"categorical\", "
                             f"\"binary\", \"sparse\", \"input\" or None.")
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"flow_from_directory: interpolation={interpolation!r} is not "
                             f"supported by vknn; use 'nearest' (Keras's default) or 'bilinear'")
        height, width = picture_size(target_size, "flow_from_directory: target_size")
        _check_batching(batch_size, seed, "flow_from_directory")
        if subset is not None and subset not in ("training", "validation"):
            raise ValueError(f"Invalid subset name: {subset}; expected \"training\" or "
                             f"\"validation\"")
        # Every picture in class and file order; the split is Keras's, per
        # class: validation takes each class's first int(split * n) files,
        # training the rest.
        pixels, indices, names, files = _vknn.read_image_folder(
            directory, height, width, color_mode, "int",
            [str(c) for c in classes] if classes is not None else [], False, 0, 0.0, "all",
            interpolation, bool(follow_links), 0)
        split = generator._validation_split
        if subset is not None and split:
            keep = np.zeros(len(indices), dtype=bool)
            for c in range(len(names)):
                members = np.flatnonzero(indices == c)
                cut = int(split * len(members))
                keep[members[:cut] if subset == "validation" else members[cut:]] = True
            pixels, indices = pixels[keep], indices[keep]
            files = [f for f, k in zip(files, keep) if k]
        print(f"Found {len(indices)} images belonging to {len(names)} classes.")

        self.directory = directory
        self.image_shape = (height, width, _COLOR_MODES[color_mode])
        self.class_indices = {name: i for i, name in enumerate(names)}
        self.num_classes = len(names)
        self.classes = np.asarray(indices, dtype=np.int32)
        self.samples = len(self.classes)
        self.filepaths = [os.path.join(directory, f) if not os.path.isabs(f) else f for f in files]
        self.filenames = [os.path.relpath(p, directory) for p in self.filepaths]
        self.class_mode = class_mode
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = seed
        self.n = self.samples
        self.image_data_generator = generator
        self.rescale = generator.rescale
        self._pixels = pixels
        self._rng = np.random.RandomState(seed)
        self._order = None
        self._next = 0
        self._batches_seen = 0
        if class_mode == "binary" and self.num_classes != 2 and self.samples:
            raise ValueError(f"flow_from_directory: class_mode='binary' needs 2 classes, found "
                             f"{self.num_classes}: {names}")

    def _labels(self, index):
        c = self.classes[index]
        if self.class_mode == "categorical":
            return np.eye(self.num_classes, dtype=np.float32)[c]
        return c.astype(np.float32)

    def __getitem__(self, i):
        index = self._batch_index(i)
        x = _as_batch(self._images(index))
        if self.class_mode is None:
            return x
        if self.class_mode == "input":
            return x, x.copy()
        return x, _as_batch(self._labels(index))

    # ---- what fit, evaluate and predict take --------------------------------

    def _for_model(self, validation=False):
        """(x, y, batch size, whether fit shuffles): x the uint8 pictures when
        rescale is 1/255 (the device divides by 255 as it gathers), else the
        rescaled values. validation: as fit's validation_data, in the order
        of the iterator's pass (it[0], it[1], ...: shuffled when it
        shuffles), since fit validates on the first validation_steps batches,
        as Keras's fit takes them from the iterator; not file order, whose
        first batches are all of the first class."""
        if self.class_mode == "input":
            raise ValueError("fit: class_mode='input' (autoencoders) is not supported by vknn")
        pixels = self._pixels
        labels = None if self.class_mode is None else self.classes.astype(np.uint8)
        if validation and self.shuffle:
            if self._order is None:
                self._order = self._rng.permutation(self.samples)
            pixels = pixels[self._order]
            labels = None if labels is None else labels[self._order]
        x = self._model_values(pixels)
        return x, labels, self.batch_size, self.shuffle


__all__ = ["ImageDataGenerator", "DirectoryIterator", "NumpyArrayIterator"]
