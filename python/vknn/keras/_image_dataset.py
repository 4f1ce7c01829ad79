"""keras.utils.image_dataset_from_directory, on vknn's folder reader.

The folder is read by the C++ library (vknn::data::read_image_folder, also
what the train_from_directory example uses): Keras's class order (sorted
subfolders), file order (each class's files sorted, then shuffled by
numpy's RandomState(seed), the same files as Keras for the same seed), the
validation split (the last int(validation_split * N) files), JPEG decoded by
libjpeg-turbo and PNG, BMP and GIF by stb_image on several threads, resized as
tf.image.resize
(bilinear or nearest, half-pixel centres, no antialias) and rounded to
uint8. docs/image-folders.md says what matches Keras and where it differs.
"""
import os

import numpy as np

from .. import _vknn
from ..data import Dataset

_LABEL_MODES = ("int", "categorical", "binary", None)
_COLOR_MODES = {"grayscale": 1, "rgb": 3, "rgba": 4}
_INTERPOLATIONS = ("bilinear", "nearest")


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                 color_mode="rgb", batch_size=32, image_size=(256, 256),
                                 shuffle=True, seed=None, validation_split=None, subset=None,
                                 interpolation="bilinear", follow_links=False,
                                 crop_to_aspect_ratio=False, **kwargs):
    """A vknn.data.Dataset of (images, labels) batches from a folder with one
    subfolder per class; images float32 (batch, H, W, channels) pixel values
    0..255, labels int32 class indices ('int'), float32 (batch, 1) ('binary')
    or one-hot float32 (batch, classes) ('categorical'). With
    subset='both', a (training, validation) pair."""
    for name, value in kwargs.items():
        if name == "pad_to_aspect_ratio" and value is False:
            continue
        if name == "data_format" and value in (None, "channels_last"):
            continue
        if name == "verbose":
            continue
        raise TypeError(f"image_dataset_from_directory: unsupported argument {name}={value!r}")
    verbose = 1 if kwargs.get("verbose", True) else 0
    directory = os.fspath(directory)
    if labels != "inferred":
        raise ValueError(
            f"image_dataset_from_directory: labels={labels!r} is not supported by vknn yet; only "
            f"labels='inferred' (the labels come from the subfolders)")
    if label_mode not in _LABEL_MODES:
        raise ValueError(f"`label_mode` argument must be one of 'int', 'categorical', 'binary', "
                         f"or None. Received: label_mode={label_mode!r}")
    if color_mode not in _COLOR_MODES:
        raise ValueError(f"`color_mode` must be one of {{'rgb', 'rgba', 'grayscale'}}. "
                         f"Received: color_mode={color_mode!r}")
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"image_dataset_from_directory: interpolation={interpolation!r} is not "
                         f"supported by vknn; use 'bilinear' (Keras's default) or 'nearest'")
    if crop_to_aspect_ratio:
        raise ValueError("image_dataset_from_directory: crop_to_aspect_ratio=True is not "
                         "supported by vknn yet (pictures are resized whole)")
    height, width = picture_size(image_size, "image_dataset_from_directory: image_size")
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                   or batch_size < 1):
        raise ValueError(f"image_dataset_from_directory: batch_size must be an integer >= 1 or "
                         f"None, got {batch_size!r}")
    if class_names is not None:
        class_names = [str(c) for c in class_names]
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                             or not 0 <= seed < 2 ** 32):
        raise ValueError(f"image_dataset_from_directory: seed must be an integer in [0, 2**32) "
                         f"(numpy's RandomState seeds), got {seed!r}")
    subsets = _check_split(validation_split, subset, shuffle, seed)
    if seed is None and shuffle:
        # Keras draws one (np.random.randint(1e6)) so that both calls of a
        # split would agree if they shared it; here it only orders the files.
        seed = int(np.random.randint(1e6))

    def read(which, show_found):
        # The reader checks binary's two classes before decoding anything.
        pixels, indices, names, files = _vknn.read_image_folder(
            directory, height, width, color_mode, label_mode or "int", class_names or [],
            bool(shuffle), seed, float(validation_split or 0.0), which, interpolation,
            bool(follow_links), verbose if show_found else 0)
        return Dataset(pixels, None if label_mode is None else indices, batch_size,
                       shuffle=bool(shuffle), class_names=names,
                       label_mode=label_mode or "int", file_paths=files)

    if subsets == ["both"]:
        return read("training", True), read("validation", True)
    return read(subsets[0], True)


def picture_size(size, what):
    """(height, width) from a pair of positive sizes up to 16384; `what`
    names the argument in the ValueError ("call: argument")."""
    try:
        height, width = (int(d) for d in size)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be (height, width), got {size!r}") from None
    if not (0 < height <= 16384 and 0 < width <= 16384):
        raise ValueError(f"{what} {size!r} must hold positive sizes up to 16384")
    return height, width


def _check_split(validation_split, subset, shuffle, seed):
    """Keras's check_validation_split_arg; the subsets to read."""
    if validation_split:
        if not isinstance(validation_split, (int, float)) or not 0 < validation_split < 1:
            raise ValueError(f"`validation_split` must be between 0 and 1, received: "
                             f"{validation_split}")
        if subset not in ("training", "validation", "both"):
            raise ValueError(f'`subset` must be either "training", "validation" or "both", '
                             f"received: {subset}")
        if shuffle and seed is None:
            raise ValueError("If using `validation_split` and shuffling the data, you must "
                             "provide a `seed` argument, to make sure that there is no overlap "
                             "between the training and validation subset.")
        return ["both"] if subset == "both" else [subset]
    if subset is not None:
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    return ["all"]


__all__ = ["image_dataset_from_directory"]
