"""Turning the course's numpy inputs into what the device takes.

vknn keeps a dataset on the device in one of two forms: uint8 pixels, which
the model sees as p / 255 (what the course does with ``images / 255.0``),
or float32 values, which the model sees as they are. So:

- uint8 images are passed as they are;
- float images (float16/32/64) whose every value is exactly a pixel over
  255, k / 255 for an integer k in 0..255, as computed in the array's own
  precision (``images / 255.0`` in float64, ``images / 255.0`` on a float32
  array, or ``images * (1 / 255)``), become the uint8 k: lossless, 4x
  smaller on the device, and results on ``x / 255.0`` equal results on
  ``x``;
- any other float images (standardised ``(x - mean) / std``, say) go to
  the device as float32, converted once here; vknn never re-quantises
  them. (float64 values are rounded to float32, the precision the model
  computes in.) NaN or infinite values raise ValueError naming the first
  one's index: they would poison training silently.

Shapes (N, H, W) and (N, H, W, C) are accepted for a model whose input is
(H, W, C) (the first only when C is 1), in any memory order.

Images at their face value are the exception to the uint8 rule: where the
model starts with a Rescaling layer, or the images come from a
vknn.data.Dataset (whose batches hold float32 pixel values 0..255, as
Keras's), pixel 200 means the value 200 as in Keras, and the Rescaling
layer is applied to it here, on the host (_face_values).
"""
import numpy as np

from ..data import Dataset, FaceValues

# Elements per chunk when checking float inputs: bounds the temporaries to a
# few tens of MB whatever the dataset size.
_CHUNK = 1 << 22


def _shape_text(shape):
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _pixel_tables(dtype):
    """k / 255 for k in 0..255 as the three usual spellings compute it in this
    precision: k / 255 in it, k * (1 / 255) in it, and k / 255.0 in float64
    rounded to it."""
    k = np.arange(256)
    kf = k.astype(dtype)
    return (kf / dtype(255), kf * (dtype(1) / dtype(255)),
            (k.astype(np.float64) / 255.0).astype(dtype))


def _exact_pixels(flat, out):
    """Writes uint8 k into out where flat holds k/255; returns the index of the
    first value that is not such a pixel, or -1."""
    divided, multiplied, rounded = _pixel_tables(flat.dtype.type)
    for start in range(0, flat.size, _CHUNK):
        x = flat[start:start + _CHUNK]
        scaled = x * 255.0 if x.dtype == np.float64 else x.astype(np.float64) * 255.0
        np.rint(scaled, out=scaled)
        in_range = (scaled >= 0) & (scaled <= 255)  # NaN compares False
        if not in_range.all():
            return start + int(np.argmax(~in_range))
        k = scaled.astype(np.uint8)
        exact = divided[k] == x
        if not exact.all():
            # Only the values the common spelling missed try the other two.
            misses = np.flatnonzero(~exact)
            ok = (multiplied[k[misses]] == x[misses]) | (rounded[k[misses]] == x[misses])
            if not ok.all():
                return start + int(misses[np.argmax(~ok)])
        out[start:start + x.size] = k
    return -1


def images(x, model, what="x"):
    """x as a C-ordered uint8 array shaped (N,) + the model's input shape."""
    rescaling = getattr(model, "_input_rescaling", None)
    face = isinstance(x, FaceValues)
    if face:
        x = x.array
    if isinstance(x, (list, tuple)):
        x = np.asarray(x)
    if (face or rescaling is not None) and isinstance(x, np.ndarray):
        x = _face_values(x, rescaling, what)
    if not isinstance(x, np.ndarray):
        raise ValueError(f"{what}: expected a numpy array of images, got {type(x).__name__}")
    expected = tuple(model._input_shape)
    first = model._first_layer_name()
    accepted = {expected}
    if len(expected) == 3 and expected[2] == 1:
        accepted.add(expected[:2])
    if x.ndim < 1 or tuple(x.shape[1:]) not in accepted:
        raise ValueError(
            f'Input 0 of layer "{first}" is incompatible with the layer: expected '
            f'shape={_shape_text((None,) + expected)}, found shape={_shape_text(x.shape)}')
    if x.shape[0] == 0:
        raise ValueError(f"{what}: no samples (the array has shape {_shape_text(x.shape)})")
    if x.dtype == np.uint8:
        return np.ascontiguousarray(x).reshape((x.shape[0],) + expected)
    if np.issubdtype(x.dtype, np.floating):
        flat = np.ascontiguousarray(x).reshape(-1)
        pixels = np.empty(flat.size, dtype=np.uint8)
        if _exact_pixels(flat, pixels) < 0:
            return pixels.reshape((x.shape[0],) + expected)
        del pixels
        return _float_values(x, expected, what)
    raise ValueError(
        f"{what}: images of dtype {x.dtype} are not supported; give uint8 pixels (0..255) or "
        f"float values (e.g. images / 255.0)")


def _face_values(x, rescaling, what):
    """Images whose values are meant as they are (see the module's docstring),
    in the form images() takes: a leading Rescaling(scale, offset) applied in
    float32 as Keras computes it, except that Rescaling(1/255) of integer
    pixels 0..255 stays uint8 (the device divides by 255 as it gathers a
    batch; equal to Keras's x * float32(1/255) within float rounding)."""
    if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
        raise ValueError(f"{what}: images of dtype {x.dtype} are not supported; give numbers")
    if rescaling is not None and rescaling == (1 / 255, 0.0):
        if x.dtype == np.uint8:
            return x
        if x.size and np.all((x >= 0) & (x <= 255) & (x == np.rint(x))):
            return x.astype(np.uint8)
    values = x.astype(np.float32)
    if rescaling is not None:
        scale, offset = rescaling
        values = values * np.float32(scale) + np.float32(offset)
    return values


def _is_resident_batches(x):
    """A vknn.data.Dataset, or an ImageDataGenerator's iterator (flow,
    flow_from_directory):
    batches of pictures held whole in memory, which fit takes as arrays."""
    from .preprocessing.image import DirectoryIterator, NumpyArrayIterator
    return isinstance(x, (Dataset, DirectoryIterator, NumpyArrayIterator))


def from_dataset(x, y, batch_size, call):
    """fit/evaluate/predict's (x, y, batch_size, shuffle) when x is a
    vknn.data.Dataset (its images as FaceValues, its labels, its batch size
    and whether it shuffles); the arguments unchanged (shuffle None) otherwise."""
    if not _is_resident_batches(x):
        return x, y, batch_size, None
    if y is not None:
        raise ValueError(f"{call}: `y` argument is not supported when using a dataset as input "
                         f"(the dataset holds the labels)")
    if batch_size is not None:
        raise ValueError(f"{call}: batch_size must not be given with a dataset or a generator "
                         f"(it is batched already: image_dataset_from_directory's or "
                         f"flow_from_directory's batch_size)")
    images, labels, batch, shuffle = x._for_model()
    if batch is None:
        raise ValueError(f"{call}: the dataset is not batched; call .batch(n) on it first")
    return images, labels, batch, shuffle


def augmentation(x, model):
    """fit's augmentation settings when x is an iterator of an
    ImageDataGenerator that augments (flow, flow_from_directory); None
    otherwise. Only fit's training data is ever augmented."""
    settings = getattr(x, "_augmentation_settings", None)
    return settings(model) if settings is not None else None


def validation_pair(validation_data):
    """fit's validation_data and its own batch size: a Dataset or a
    generator becomes ((images, labels), its batch size), as Keras validates
    in the dataset's own batches; anything else (validation_data, None)."""
    if _is_resident_batches(validation_data):
        images, labels, batch, _ = validation_data._for_model(validation=True)
        if labels is None:
            raise ValueError("fit: validation_data is a dataset without labels")
        return (images, labels), batch
    return validation_data, None


def _float_values(x, expected, what):
    """x as a C-ordered float32 array shaped (N,) + expected, refusing NaN and
    infinities (also float64 values too large for float32)."""
    values = np.empty(x.shape, dtype=np.float32)
    with np.errstate(over="ignore"):
        values[...] = x  # one conversion, from any memory order
    flat = values.reshape(-1)
    for start in range(0, flat.size, _CHUNK):
        finite = np.isfinite(flat[start:start + _CHUNK])
        if not finite.all():
            where = np.unravel_index(start + int(np.argmax(~finite)), x.shape)
            value = x[where]
            reason = "is not finite" if not np.isfinite(value) else "overflows float32"
            raise ValueError(
                f"{what}: the value {value!r} at index {tuple(int(i) for i in where)} "
                f"({x.dtype}) {reason}; inputs must be finite numbers (a NaN input would turn "
                f"the loss and the weights into NaN)")
    return values.reshape((x.shape[0],) + expected)


def labels(y, count, classes, what="y", binary=False):
    """y as a C-ordered uint8 array of count labels in 0..classes-1 (0 or 1
    when binary: integers, bools, or floats that are exactly 0.0 or 1.0)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    elif y.ndim == 2 and not binary and y.shape[1] == classes:
        y = _one_hot_indices(y, what)
    if y.ndim != 1:
        raise ValueError(
            f"{what}: labels must be a 1-D array of class indices (sparse labels), got shape "
            f"{_shape_text(y.shape)}")
    if y.shape[0] != count:
        raise ValueError(
            f"Data cardinality is ambiguous: x sizes: {count}, {what} sizes: {y.shape[0]}. "
            f"Make sure all arrays contain the same number of samples.")
    if np.issubdtype(y.dtype, np.floating):
        if not np.all(np.isfinite(y)) or not np.all(y == np.rint(y)):
            bad = int(np.argmax(~np.isfinite(y) | (y != np.rint(y))))
            raise ValueError(
                f"{what}: labels must be integer class indices; found {y[bad]!r} at index {bad}")
    elif not (np.issubdtype(y.dtype, np.integer) or y.dtype == np.bool_):
        raise ValueError(f"{what}: labels must be integer class indices, got dtype {y.dtype}")
    out_of_range = (y < 0) | (y >= classes)
    if out_of_range.any():
        bad = int(np.argmax(out_of_range))
        if binary:
            raise ValueError(
                f"{what}: label {y[bad]!r} at index {bad} is not a binary label; binary "
                f"cross-entropy takes labels 0 or 1")
        raise ValueError(
            f"{what}: label {y[bad]!r} at index {bad} is out of range for a model with "
            f"{classes} output classes (labels must be 0..{classes - 1})")
    return np.ascontiguousarray(y, dtype=np.uint8)


def sample_weights(w, count, what="sample_weight"):
    """Keras's sample_weight: a float32 array of count weights (shape (N,) or
    (N, 1)), each finite and >= 0; None stays None."""
    if w is None:
        return None
    w = np.asarray(w)
    if w.ndim == 2 and w.shape[1] == 1:
        w = w[:, 0]
    if w.ndim != 1:
        raise ValueError(f"{what}: must be a 1-D array of one weight per sample, got shape "
                         f"{_shape_text(w.shape)}")
    if w.shape[0] != count:
        raise ValueError(f"{what}: has {w.shape[0]} weights but there are {count} samples "
                         f"(one weight per sample)")
    if not (np.issubdtype(w.dtype, np.floating) or np.issubdtype(w.dtype, np.integer)
            or w.dtype == np.bool_):
        raise ValueError(f"{what}: weights must be numbers, got dtype {w.dtype}")
    w = np.ascontiguousarray(w, dtype=np.float32)
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"{what}: weight {w[i]!r} at index {i} is not a finite number >= 0")
    return w


def class_weights(class_weight, classes):
    """Keras's class_weight: a dict {class index: weight} as {int: float};
    None stays {}. A class it does not list weighs 1 (as Keras 3)."""
    if class_weight is None:
        return {}
    if not isinstance(class_weight, dict):
        raise ValueError(f"fit: class_weight must be a dict {{class index: weight}}, got "
                         f"{type(class_weight).__name__}")
    out = {}
    for key, value in class_weight.items():
        if isinstance(key, (bool, np.bool_)) or not isinstance(key, (int, np.integer)):
            raise ValueError(f"fit: class_weight keys must be integer class indices, got {key!r}")
        if not 0 <= int(key) < classes:
            raise ValueError(f"fit: class_weight names class {key}, but the labels are "
                             f"0..{classes - 1}")
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)) \
                or not np.isfinite(value) or value < 0:
            raise ValueError(f"fit: class_weight[{key}] is {value!r}; class weights must be "
                             f"finite numbers >= 0")
        out[int(key)] = float(value)
    return out


def _one_hot_indices(y, what):
    """One-hot labels (categorical_crossentropy's, label_mode='categorical')
    as class indices: with exactly one 1 per row, categorical cross-entropy
    is sparse categorical cross-entropy of the 1's index, which vknn
    computes. Soft labels (label smoothing, mixup) are refused."""
    one_hot = ((y == 0) | (y == 1)).all(axis=1) & ((y == 1).sum(axis=1) == 1)
    if not one_hot.all():
        bad = int(np.argmax(~one_hot))
        raise ValueError(
            f"{what}: labels of shape {_shape_text(y.shape)} must be one-hot (one 1, the rest 0, "
            f"per row); row {bad} is {y[bad].tolist()!r}. vknn trains categorical "
            f"cross-entropy on one-hot labels only (soft labels are not supported)")
    return np.argmax(y, axis=1)


def positive_int(name, value, call, minimum=1):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or value < minimum:
        raise ValueError(f"{call}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def verbosity(value, call, auto=1):
    if value == "auto":
        return auto
    if isinstance(value, bool) or value not in (0, 1, 2):
        raise ValueError(f"{call}: verbose must be 'auto', 0, 1 or 2, got {value!r}")
    return int(value)
