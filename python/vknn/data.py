"""vknn.data: the part of tf.data that the image labs chain on a dataset.

``tf.keras.utils.image_dataset_from_directory`` returns a :class:`Dataset`:
batches of (images, labels) whose images are float32 pixel values 0..255,
as Keras's are. Under the hood the whole dataset is one resident uint8 numpy
array (what vknn uploads to the device once per fit), so:

- ``cache()`` and ``prefetch(n)`` (``n`` may be ``AUTOTUNE``) have nothing
  left to do and return the dataset as it is;
- ``shuffle(n)`` asks fit to shuffle the samples every epoch (fit shuffles
  all samples, not within a window of ``n``);
- ``map(fn)`` calls ``fn(images, labels)`` on host numpy batches, once, when
  the data is first needed (as if ``cache()`` came after it), so a random
  augmentation inside ``fn`` is drawn once, not per epoch;
- ``take(n)`` keeps the first n batches; iterating gives numpy batches whose
  ``.numpy()`` returns them (so ``images[i].numpy().astype("uint8")`` from
  the labs works).

``model.fit``, ``evaluate`` and ``predict`` take a Dataset in place of x
(and a Dataset as ``validation_data``), with its batch size.
"""
import numpy as np

AUTOTUNE = -1


class _Batch(np.ndarray):
    """A numpy array with TensorFlow's .numpy(), for the labs' plotting code."""

    def numpy(self):
        return np.asarray(self)


def _as_batch(a):
    return np.asarray(a).view(_Batch)


class FaceValues:
    """Images meant at their face value (pixel 200 is the value 200.0, as
    Keras's datasets yield them), not vknn's uint8 convention (pixel 200 is
    200/255). The model's input conversion (vknn.keras._inputs) applies a
    leading Rescaling layer to them, or takes them as float values."""

    def __init__(self, array):
        self.array = array
        self.shape = array.shape
        self.ndim = array.ndim
        self.dtype = array.dtype


class Dataset:
    """Batches of a resident dataset (see the module's docstring)."""

    def __init__(self, images, labels, batch_size, shuffle=False, class_names=None,
                 label_mode="int", file_paths=None, maps=(), take=None):
        self._images = images          # uint8 (N, H, W, C), face values
        self._labels = labels          # uint8 class indices (N,), or None
        self._batch_size = batch_size  # None: unbatched
        self._shuffle = shuffle
        self._label_mode = label_mode
        self._maps = tuple(maps)
        self._take = take
        self._materialised = None
        if class_names is not None:
            self.class_names = list(class_names)
        if file_paths is not None:
            self.file_paths = list(file_paths)

    def _derive(self, **changes):
        fields = dict(images=self._images, labels=self._labels, batch_size=self._batch_size,
                      shuffle=self._shuffle, label_mode=self._label_mode, maps=self._maps,
                      take=self._take, class_names=getattr(self, "class_names", None),
                      file_paths=getattr(self, "file_paths", None))
        fields.update(changes)
        derived = Dataset(**fields)
        if "maps" not in changes and "take" not in changes:
            derived._materialised = self._materialised
        return derived

    # ---- what the labs chain ------------------------------------------------

    def cache(self, filename=""):
        """The data is resident already: the same dataset."""
        if filename:
            raise ValueError("Dataset.cache: caching to a file is not supported by vknn (the "
                             "dataset is held in memory already); call cache() without one")
        return self

    def prefetch(self, buffer_size):
        """Nothing to prefetch (fit uploads the dataset once): the same dataset."""
        if buffer_size != AUTOTUNE and (isinstance(buffer_size, bool)
                                        or not isinstance(buffer_size, (int, np.integer))
                                        or buffer_size < 0):
            raise ValueError(f"Dataset.prefetch: buffer_size must be an integer >= 0 or "
                             f"tf.data.AUTOTUNE, got {buffer_size!r}")
        return self

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True):
        """fit then shuffles all samples every epoch (by vknn's seed,
        vknn.keras.utils.set_random_seed), whatever buffer_size is."""
        if isinstance(buffer_size, bool) or not isinstance(buffer_size, (int, np.integer)) \
                or buffer_size < 1:
            raise ValueError(f"Dataset.shuffle: buffer_size must be an integer >= 1, got "
                             f"{buffer_size!r}")
        if not reshuffle_each_iteration:
            raise ValueError("Dataset.shuffle: reshuffle_each_iteration=False is not supported "
                             "by vknn (fit reshuffles every epoch)")
        return self._derive(shuffle=True)

    def map(self, map_func, num_parallel_calls=None, deterministic=None):
        """map_func(images, labels) -> (images, labels) on each host batch, once
        (see the module's docstring)."""
        if not callable(map_func):
            raise ValueError(f"Dataset.map: map_func must be callable, got {map_func!r}")
        return self._derive(maps=self._maps + (map_func,))

    def take(self, count):
        """The first count batches (all of them for -1)."""
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < -1:
            raise ValueError(f"Dataset.take: count must be an integer >= -1, got {count!r}")
        return self._derive(take=None if count == -1 else int(count))

    def batch(self, batch_size):
        if self._batch_size is not None:
            raise ValueError("Dataset.batch: the dataset is batched already; vknn does not nest "
                             "batches (unbatch() first)")
        return self._derive(batch_size=_positive(batch_size, "Dataset.batch: batch_size"))

    def unbatch(self):
        return self._derive(batch_size=None)

    def as_numpy_iterator(self):
        for element in self:
            yield tuple(np.asarray(a) for a in element) if isinstance(element, tuple) \
                else np.asarray(element)

    def cardinality(self):
        return len(self)

    def __len__(self):
        count = self._materialise()[0].shape[0]
        batches = count if self._batch_size is None else -(-count // self._batch_size)
        return batches

    def __iter__(self):
        images, labels = self._materialise()
        step = 1 if self._batch_size is None else self._batch_size
        for start in range(0, images.shape[0], step):
            if self._batch_size is None:
                x = images[start]
                y = None if labels is None else labels[start]
            else:
                x = images[start:start + step]
                y = None if labels is None else labels[start:start + step]
            if x.dtype == np.uint8:
                x = x.astype(np.float32)  # Keras's batches are float32
            if y is None:
                yield _as_batch(x)
            else:
                yield _as_batch(x), _as_batch(y)

    # ---- what fit, evaluate and predict take --------------------------------

    def _keras_labels(self, indices):
        """Class indices in Keras's label_mode form."""
        if indices is None:
            return None
        if self._label_mode == "binary":
            return indices.astype(np.float32).reshape(-1, 1)
        if self._label_mode == "categorical":
            return np.eye(len(self.class_names), dtype=np.float32)[indices]
        return indices.astype(np.int32)

    def _materialise(self):
        """(images, labels) as the batches hold them: images float32 face values
        (uint8 while no map has run), labels in label_mode's form."""
        if self._materialised is None:
            images, labels = self._images, self._keras_labels(self._labels)
            if self._maps:
                size = self._batch_size or images.shape[0]
                xs, ys = [], []
                for start in range(0, images.shape[0], size):
                    x = images[start:start + size].astype(np.float32)
                    y = None if labels is None else labels[start:start + size]
                    for fn in self._maps:
                        out = fn(x) if y is None else fn(x, y)
                        if y is None:
                            x = out
                        else:
                            if not isinstance(out, tuple) or len(out) != 2:
                                raise ValueError("Dataset.map: the function must return "
                                                 "(images, labels), as it was given them")
                            x, y = out
                    xs.append(np.asarray(x))
                    ys.append(None if y is None else np.asarray(y))
                images = np.concatenate(xs)
                labels = None if labels is None else np.concatenate(ys)
            if self._take is not None:
                keep = self._take * (self._batch_size or 1)
                images = images[:keep]
                labels = None if labels is None else labels[:keep]
            self._materialised = (images, labels)
        return self._materialised

    def _for_model(self, validation=False):
        """(x as FaceValues, y, batch size, whether fit shuffles). As
        validation data (`validation`) the same: the dataset is held in the
        order it batches in."""
        images, labels = self._materialise()
        return FaceValues(images), labels, self._batch_size, self._shuffle


def _positive(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{what} must be an integer >= 1, got {value!r}")
    return int(value)


__all__ = ["AUTOTUNE", "Dataset"]
