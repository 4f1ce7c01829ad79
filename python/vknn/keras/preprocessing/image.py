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

What differs from Keras (docs/image-folders.md has the whole list): no
augmentation yet (rotation_range, zoom_range, horizontal_flip, ... are
refused unless left at their defaults); resizing is TensorFlow's
half-pixel 'nearest' or 'bilinear' where Keras calls PIL's; grayscale is
stb_image's luma ((77 R + 150 G + 29 B) >> 8) where PIL's is
(299 R + 587 G + 114 B) / 1000; TIFF and PPM files are not read (GIF is).
"""
import os

import numpy as np

from ... import _vknn
from ...data import FaceValues, _as_batch
from .._image_dataset import picture_size

# ImageDataGenerator's augmentation and normalisation arguments, at the
# defaults vknn accepts (anything else is refused, naming the argument).
_AUGMENTATION_DEFAULTS = {
    "featurewise_center": False, "samplewise_center": False,
    "featurewise_std_normalization": False, "samplewise_std_normalization": False,
    "zca_whitening": False, "zca_epsilon": 1e-6, "rotation_range": 0, "width_shift_range": 0.0,
    "height_shift_range": 0.0, "brightness_range": None, "shear_range": 0.0, "zoom_range": 0.0,
    "channel_shift_range": 0.0, "fill_mode": "nearest", "cval": 0.0, "horizontal_flip": False,
    "vertical_flip": False, "preprocessing_function": None, "data_format": None,
    "interpolation_order": 1, "dtype": None,
}
_CLASS_MODES = ("categorical", "binary", "sparse", "input", None)
_COLOR_MODES = {"grayscale": 1, "rgb": 3, "rgba": 4}


class ImageDataGenerator:
    """keras.preprocessing.image.ImageDataGenerator(rescale=None,
    validation_split=0.0, ...): rescale and validation_split; the
    augmentation arguments only at their defaults (see the module's
    docstring)."""

    def __init__(self, rescale=None, validation_split=0.0, **kwargs):
        for name, value in kwargs.items():
            if name not in _AUGMENTATION_DEFAULTS:
                raise TypeError(f"ImageDataGenerator: unexpected argument {name}={value!r}")
            default = _AUGMENTATION_DEFAULTS[name]
            if name == "data_format" and value in (None, "channels_last"):
                continue
            if name == "dtype" and value in (None, "float32", np.float32):
                continue
            if value is not default and value != default:
                raise ValueError(
                    f"ImageDataGenerator: {name}={value!r} is not supported by vknn yet (no "
                    f"augmentation: leave {name} at {default!r})")
        if rescale is not None and (isinstance(rescale, bool)
                                    or not isinstance(rescale, (int, float, np.floating))
                                    or not np.isfinite(rescale) or rescale == 0):
            raise ValueError(f"ImageDataGenerator: rescale must be a finite nonzero number or "
                             f"None, got {rescale!r}")
        if isinstance(validation_split, bool) or not isinstance(validation_split, (int, float)) \
                or not 0 <= validation_split < 1:
            raise ValueError(f"`validation_split` must be strictly between 0 and 1.  Received: "
                             f"{validation_split}")
        self.rescale = rescale
        self._validation_split = float(validation_split)

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode="rgb",
                            classes=None, class_mode="categorical", batch_size=32, shuffle=True,
                            seed=None, save_to_dir=None, save_prefix="", save_format="png",
                            follow_links=False, subset=None, interpolation="nearest",
                            keep_aspect_ratio=False):
        """A DirectoryIterator over a folder with one subfolder per class."""
        if save_to_dir is not None:
            raise ValueError("flow_from_directory: save_to_dir is not supported by vknn (there "
                             "are no augmented pictures to save)")
        if keep_aspect_ratio:
            raise ValueError("flow_from_directory: keep_aspect_ratio=True is not supported by "
                             "vknn yet (pictures are resized whole)")
        return DirectoryIterator(directory, self, target_size, color_mode, classes, class_mode,
                                 batch_size, shuffle, seed, follow_links, subset, interpolation)


class DirectoryIterator:
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
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size < 1:
            raise ValueError(f"flow_from_directory: batch_size must be an integer >= 1, got "
                             f"{batch_size!r}")
        if subset is not None and subset not in ("training", "validation"):
            raise ValueError(f"Invalid subset name: {subset}; expected \"training\" or "
                             f"\"validation\"")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                                 or not 0 <= seed < 2 ** 32):
            raise ValueError(f"flow_from_directory: seed must be an integer in [0, 2**32), got "
                             f"{seed!r}")
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
        self.rescale = generator.rescale
        self._pixels = pixels
        self._rng = np.random.RandomState(seed)
        self._order = None
        self._next = 0
        if class_mode == "binary" and self.num_classes != 2 and self.samples:
            raise ValueError(f"flow_from_directory: class_mode='binary' needs 2 classes, found "
                             f"{self.num_classes}: {names}")

    def __len__(self):
        return -(-self.samples // self.batch_size)

    def _images(self, index):
        x = self._pixels[index].astype(np.float32)
        if self.rescale is not None:
            x *= np.float32(self.rescale)
        return x

    def _labels(self, index):
        c = self.classes[index]
        if self.class_mode == "categorical":
            return np.eye(self.num_classes, dtype=np.float32)[c]
        return c.astype(np.float32)

    def __getitem__(self, i):
        if not 0 <= i < len(self):
            raise IndexError(f"Asked to retrieve element {i}, but the Sequence has length "
                             f"{len(self)}")
        if self._order is None:
            self._order = self._rng.permutation(self.samples) if self.shuffle \
                else np.arange(self.samples)
        index = self._order[i * self.batch_size:(i + 1) * self.batch_size]
        x = _as_batch(self._images(index))
        if self.class_mode is None:
            return x
        if self.class_mode == "input":
            return x, x.copy()
        return x, _as_batch(self._labels(index))

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
        if self.rescale is not None and np.float32(self.rescale) == np.float32(1 / 255):
            x = pixels
        elif self.rescale is None:
            x = FaceValues(pixels)
        else:
            x = pixels.astype(np.float32) * np.float32(self.rescale)
        return x, labels, self.batch_size, self.shuffle


__all__ = ["ImageDataGenerator", "DirectoryIterator"]
