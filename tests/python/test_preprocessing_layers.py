"""Keras's random preprocessing layers (RandomFlip, RandomRotation,
RandomZoom, RandomTranslation): their transform against an independent numpy
implementation of Keras's conventions, their draws, and fit with them.

The numpy reference is written from Keras 2.15's image_preprocessing.py
(get_rotation_matrix, get_zoom_matrix, get_translation_matrix, the flips)
and TensorFlow's ImageProjectiveTransformV3 (image_ops.h: the output pixel
(x, y) reads the input at M (x, y, 1); the point is mapped into the picture
by the fill mode, then sampled bilinearly, a tap outside reading
fill_value), composed as layers applied in turn compose (the first layer's
matrix outermost), in float64. vknn samples the composed transform once in
float32; reflect and nearest then give TF's values within float32's error
on the coordinates (bound below); constant differs in a band of one pixel
along the border, where TF blends with fill_value and vknn, as scipy does
for ImageDataGenerator, fills the whole pixel (docs/image-folders.md).
"""
import warnings

import numpy as np
import pytest

import vknn as tf
from vknn import _vknn, keras
from vknn.keras import _preprocessing_layers

from test_image_folders import make_folders

layers = keras.layers
BOUND = 0.05  # levels of 255


# ---- the independent reference ---------------------------------------------

def rotation_matrix(angle, h, w):
    c, s = np.cos(angle), np.sin(angle)
    x_offset = ((w - 1) - (c * (w - 1) - s * (h - 1))) / 2
    y_offset = ((h - 1) - (s * (w - 1) + c * (h - 1))) / 2
    return np.array([[c, -s, x_offset], [s, c, y_offset], [0, 0, 1]])


def zoom_matrix(zx, zy, h, w):
    return np.array([[zx, 0, (w - 1) / 2 * (1 - zx)], [0, zy, (h - 1) / 2 * (1 - zy)],
                     [0, 0, 1]])


def translation_matrix(dx, dy):
    return np.array([[1, 0, -dx], [0, 1, -dy], [0, 0, 1]])


def flip_matrix(horizontal, vertical, h, w):
    m = np.eye(3)
    if horizontal:
        m = m @ np.array([[-1, 0, w - 1], [0, 1, 0], [0, 0, 1]])
    if vertical:
        m = m @ np.array([[1, 0, 0], [0, -1, h - 1], [0, 0, 1]])
    return m


def tf_map(c, n, mode):
    """ImageProjectiveTransformV3's MapCoordinate for reflect and nearest."""
    if mode == "reflect" and (c < 0 or c > n - 1):
        if n <= 1:
            c = 0.0
        else:
            period = 2 * n
            c = np.fmod(c, period)
            c = c + period if c < 0 else c
            c = period - 1 - c if c >= n else c
    return min(max(c, 0.0), n - 1.0) if mode in ("reflect", "nearest") else c


def tf_transform(x, m, fill_mode, fill_value=0.0):
    """TF's projective transform of x (h, w, c) by the 3x3 matrix m, bilinear."""
    h, w, _ = x.shape
    out = np.empty(x.shape, dtype=np.float64)

    def read(r, c):
        return x[r, c] if 0 <= r < h and 0 <= c < w else np.full(x.shape[2], fill_value)

    for r in range(h):
        for c in range(w):
            px, py, _ = m @ np.array([c, r, 1.0])
            px, py = tf_map(px, w, fill_mode), tf_map(py, h, fill_mode)
            x0, y0 = int(np.floor(px)), int(np.floor(py))
            tx, ty = px - x0, py - y0
            top = (1 - tx) * read(y0, x0) + tx * read(y0, x0 + 1)
            bottom = (1 - tx) * read(y0 + 1, x0) + tx * read(y0 + 1, x0 + 1)
            out[r, c] = (1 - ty) * top + ty * bottom
    return out


def keras_layers_matrix(p, h, w):
    """The layers RandomRotation, RandomTranslation, RandomZoom, RandomFlip,
    in that order, with vknn's drawn parameters p in Keras's terms: the
    angle theta (degrees), the shifts dx = -tx and dy = -ty (vknn's tx and
    ty are where the output's centre reads the input), zooms zx and zy."""
    return (rotation_matrix(np.deg2rad(p["theta"]), h, w) @ translation_matrix(-p["tx"], -p["ty"])
            @ zoom_matrix(p["zx"], p["zy"], h, w)
            @ flip_matrix(p["flip_horizontal"], p["flip_vertical"], h, w))


def pictures(count, h, w, c, seed):
    return np.random.RandomState(seed).randint(0, 256, (count, h, w, c)).astype(np.uint8)


def augmentation_model(fill_mode="reflect", **kwargs):
    return keras.Sequential([
        layers.RandomRotation(0.15, fill_mode=fill_mode, **kwargs),
        layers.RandomTranslation(0.2, 0.3, fill_mode=fill_mode, **kwargs),
        layers.RandomZoom(0.25, fill_mode=fill_mode, **kwargs),
        layers.RandomFlip(),
    ])


def model_settings(model, seed=5):
    randoms = [e for e in model._input_elements
               if isinstance(e, _preprocessing_layers._RandomTransformLayer)]
    return _preprocessing_layers.settings(randoms, seed)


# ---- the transform -----------------------------------------------------------

@pytest.mark.parametrize("fill_mode", ["reflect", "nearest"])
@pytest.mark.parametrize("shape", [(9, 14, 1), (16, 11, 3)])
def test_the_layers_transform_is_kerases(fill_mode, shape):
    """Pictures that are not square: the centre ((w - 1) / 2, (h - 1) / 2)
    and the sides the shifts scale with are the layers', not
    ImageDataGenerator's."""
    h, w, c = shape
    settings = model_settings(augmentation_model(fill_mode))
    data = pictures(8, h, w, c, seed=1)
    for i, x in enumerate(data):
        p = _vknn.draw_augmentation(settings, h, w, i, 3)
        ours = _vknn.apply_augmentation(settings, p, x.astype(np.float32))
        reference = tf_transform(x.astype(np.float64), keras_layers_matrix(p, h, w), fill_mode)
        assert np.abs(ours - reference).max() <= BOUND, (fill_mode, shape, i, p)


def test_constant_fill_differs_from_tf_only_along_the_border():
    h, w = 15, 12
    settings = model_settings(augmentation_model("constant", fill_value=40.0))
    x = pictures(1, h, w, 1, seed=2)[0].astype(np.float32)
    for sample in range(6):
        p = _vknn.draw_augmentation(settings, h, w, sample, 0)
        ours = _vknn.apply_augmentation(settings, p, x)[..., 0]
        m = keras_layers_matrix(p, h, w)
        reference = tf_transform(x.astype(np.float64), m, "constant", 40.0)[..., 0]
        for r in range(h):
            for c in range(w):
                px, py, _ = m @ np.array([c, r, 1.0])
                inside = 0 <= px <= w - 1 and 0 <= py <= h - 1
                outside = px <= -1 or px >= w or py <= -1 or py >= h
                if inside or outside:  # not in TF's blending band
                    assert abs(ours[r, c] - reference[r, c]) <= BOUND


def test_each_layer_alone():
    h, w = 10, 13
    x = pictures(1, h, w, 2, seed=3)[0].astype(np.float32)
    flip = model_settings(keras.Sequential([layers.RandomFlip("horizontal")]))
    seen = set()
    for sample in range(12):
        p = _vknn.draw_augmentation(flip, h, w, sample, 0)
        out = _vknn.apply_augmentation(flip, p, x)
        np.testing.assert_array_equal(out, x[:, ::-1] if p["flip_horizontal"] else x)
        assert not p["flip_vertical"]
        seen.add(p["flip_horizontal"])
    assert seen == {True, False}
    # A half turn of a picture about its centre is the picture reversed on
    # both axes, whatever its shape (TF's centre, not ImageDataGenerator's).
    p = {"theta": 180.0, "tx": 0.0, "ty": 0.0, "shear": 0.0, "zx": 1.0, "zy": 1.0,
         "flip_horizontal": False, "flip_vertical": False}
    rotation = model_settings(keras.Sequential([layers.RandomRotation(0.5)]))
    np.testing.assert_allclose(_vknn.apply_augmentation(rotation, p, x), x[::-1, ::-1], atol=BOUND)
    # A shift of whole pixels moves the picture: rows by ty, columns by tx.
    shift = dict(p, theta=0.0, tx=2.0, ty=-1.0)
    moved = _vknn.apply_augmentation(model_settings(keras.Sequential(
        [layers.RandomTranslation(0.2, 0.2)])), shift, x)
    np.testing.assert_array_equal(moved[1:, :w - 2], x[:h - 1, 2:])


def test_the_draws_follow_the_layers_ranges():
    settings = model_settings(keras.Sequential([
        layers.RandomRotation(0.1), layers.RandomTranslation(0.1, 0.2),
        layers.RandomZoom((-0.3, 0.1)), layers.RandomFlip("vertical")]))
    draws = [_vknn.draw_augmentation(settings, 50, 40, s, 0) for s in range(1500)]
    theta = np.array([d["theta"] for d in draws])
    assert theta.min() >= -36 and theta.max() < 36 and theta.max() > 34
    rows = np.array([d["ty"] for d in draws])  # 0.1 of the height, 50
    cols = np.array([d["tx"] for d in draws])  # 0.2 of the width, 40
    assert rows.min() >= -5 and rows.max() < 5 and rows.max() > 4.8
    assert cols.min() >= -8 and cols.max() < 8 and cols.max() > 7.8
    zx = np.array([d["zx"] for d in draws])
    assert zx.min() >= 0.7 and zx.max() < 1.1
    assert all(d["zx"] == d["zy"] for d in draws)  # no width_factor: one zoom
    assert 0.45 < np.mean([d["flip_vertical"] for d in draws]) < 0.55
    assert not any(d["flip_horizontal"] for d in draws)
    apart = model_settings(keras.Sequential([layers.RandomZoom(0.2, 0.2)]))
    zooms = [_vknn.draw_augmentation(apart, 8, 8, s, 0) for s in range(20)]
    assert any(d["zx"] != d["zy"] for d in zooms)


def test_the_device_gather_gives_the_cpu_references_bits():
    settings = model_settings(augmentation_model("reflect"))
    data = pictures(7, 13, 10, 3, seed=7)
    samples, step = [4, 0, 6], 11
    device = _vknn.run_augmented_gather(settings, data, samples, step, True)
    cpu = _vknn.run_augmented_gather(settings, data, samples, step, False)
    np.testing.assert_array_equal(device, cpu)
    for i, s in enumerate(samples):
        p = _vknn.draw_augmentation(settings, 13, 10, s, step)
        expected = _vknn.apply_augmentation(settings, p, data[s].astype(np.float32)) / 255
        assert np.abs(device[i] - expected).max() <= 3e-7


# ---- in a model ----------------------------------------------------------------

def small_model(preprocessing, size=12, seed=0):
    keras.utils.set_random_seed(seed)
    m = keras.Sequential(list(preprocessing) + [
        layers.Rescaling(1 / 255, input_shape=(size, size, 3)),
        layers.Conv2D(4, (3, 3), activation="relu"),
        layers.MaxPooling2D(2, 2),
        layers.Flatten(),
        layers.Dense(2, activation="softmax"),
    ])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def test_fit_is_augmented_reproducible_by_seed_and_validation_is_not():
    x = pictures(48, 12, 12, 3, seed=3)
    y = (np.arange(48) % 2).astype(np.int32)

    def fit(preprocessing):
        m = small_model(preprocessing)
        h = m.fit(x, y, batch_size=16, epochs=2, verbose=0)
        return h.history["loss"], m.get_weights()

    def randoms(seed):
        return [layers.RandomFlip("horizontal", seed=seed), layers.RandomRotation(0.2),
                layers.RandomZoom(0.2)]

    first, again = fit(randoms(1)), fit(randoms(1))
    assert first[0] == again[0]
    assert all(np.array_equal(a, b) for a, b in zip(first[1], again[1]))
    assert fit(randoms(2))[0] != first[0]
    assert fit([])[0] != first[0]
    # The layers act in training only: with a learning rate of 0, fit's
    # validation on the training pictures is evaluate's loss, and predict
    # is the model without them.
    m = small_model(randoms(1))
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = m.fit(x, y, batch_size=8, epochs=1, verbose=0, validation_data=(x, y))
    loss, _ = m.evaluate(x, y, verbose=0)
    assert h.history["val_loss"][0] == pytest.approx(loss, abs=1e-6)
    assert h.history["loss"][0] != pytest.approx(loss, abs=1e-6)
    plain = small_model([])
    plain.set_weights(m.get_weights())
    np.testing.assert_array_equal(m.predict(x, verbose=0), plain.predict(x, verbose=0))


def test_the_tutorials_nested_augmentation_model_and_its_call():
    """Keras's image-classification tutorial: a data_augmentation Sequential
    called on pictures to plot them, then first in the model."""
    data_augmentation = keras.Sequential([
        layers.RandomFlip("horizontal", input_shape=(12, 12, 3)),
        layers.RandomRotation(0.1),
        layers.RandomZoom(0.1),
    ])
    images = pictures(5, 12, 12, 3, seed=4).astype(np.float32)
    augmented = data_augmentation(images)
    assert augmented.shape == images.shape and augmented.dtype == np.float32
    assert not np.array_equal(augmented, images)
    np.testing.assert_array_equal(data_augmentation(images, training=False), images)
    assert layers.RandomRotation(0.2)(images[0]).shape == (12, 12, 3)
    model = keras.Sequential([
        data_augmentation,
        layers.Rescaling(1. / 255),
        layers.Conv2D(4, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(2, activation="softmax"),
    ])
    assert [layer.name for layer in model.layers] == ["conv2d", "max_pooling2d", "flatten",
                                                      "dense"]
    assert model.layers[0].input_shape == (None, 12, 12, 3)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    y = (np.arange(5) % 2).astype(np.int32)
    h = model.fit(pictures(5, 12, 12, 3, seed=4), y, epochs=1, verbose=0)
    assert np.isfinite(h.history["loss"][0])


def test_image_dataset_from_directory_with_the_layers_learns(tmp_path):
    """The newer labs: image_dataset_from_directory, an Input, the Random*
    layers and Rescaling at the model's start, on folders the script made."""
    train_dir, _ = make_folders(tmp_path, "sneakers_vs_boots", 60)
    train = keras.utils.image_dataset_from_directory(
        train_dir, image_size=(32, 32), batch_size=20, seed=1, label_mode="binary")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input(shape=(32, 32, 3)),
        layers.RandomFlip("horizontal"),
        layers.RandomRotation(0.05),
        layers.RandomZoom(0.1),
        layers.Rescaling(1. / 255),
        layers.Conv2D(8, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    h = model.fit(train, epochs=6, verbose=0)
    assert h.history["accuracy"][-1] >= 0.8, h.history


def test_what_vknn_does_not_do_is_refused_by_name():
    conv = layers.Conv2D(2, 3, input_shape=(8, 8, 1))
    m = keras.Sequential([conv])
    with pytest.raises(ValueError, match="RandomFlip after conv2d.*start of the model"):
        m.add(layers.RandomFlip())
    assert len(m.layers) == 1
    with pytest.raises(ValueError, match="factor=\\(-0.1, 0.3\\) is not symmetric"):
        layers.RandomRotation((-0.1, 0.3))
    with pytest.raises(ValueError, match="interpolation='nearest' is not supported"):
        layers.RandomZoom(0.1, interpolation="nearest")
    with pytest.raises(ValueError, match="fill_mode must be one of"):
        layers.RandomRotation(0.1, fill_mode="mirror")
    with pytest.raises(ValueError, match="width_factor=0.3 differs from height_factor=0.2"):
        layers.RandomZoom(0.2, 0.3)
    with pytest.raises(ValueError, match="mode must be"):
        layers.RandomFlip("diagonal")
    with pytest.raises(ValueError, match="height_factor must be >= -1"):
        layers.RandomZoom((-1.5, 0.2))
    with pytest.raises(ValueError, match="RandomFlip: the model has 2 of them"):
        model_settings(keras.Sequential([layers.RandomFlip(), layers.RandomFlip()]))
    with pytest.raises(ValueError, match="different fill_mode"):
        model_settings(keras.Sequential([layers.RandomRotation(0.1),
                                         layers.RandomZoom(0.1, fill_mode="nearest")]))
    with pytest.raises(ValueError, match="holds preprocessing layers"):
        keras.Sequential([keras.Sequential([layers.Dense(2, input_shape=(4,))]), layers.Dense(2)])
    # The model's layers and a generator that augments: one transform only.
    x = pictures(8, 12, 12, 3, seed=5)
    y = (np.arange(8) % 2).astype(np.int32)
    m = small_model([layers.RandomFlip()])
    generator = tf.keras.preprocessing.image.ImageDataGenerator(rescale=1 / 255,
                                                                 horizontal_flip=True)
    with pytest.raises(ValueError, match="both the model's Random\\* layers and the "
                                         "ImageDataGenerator"):
        m.fit(generator.flow(x, y, batch_size=4), epochs=1, verbose=0)


def test_an_order_vknn_composes_differently_is_warned_about():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model_settings(augmentation_model())  # Keras's usual order: no warning
        model_settings(keras.Sequential([layers.RandomZoom(0.1), layers.RandomRotation(0.1)]))
    with pytest.warns(UserWarning, match="RandomZoom comes before RandomTranslation"):
        model_settings(keras.Sequential([layers.RandomZoom(0.1),
                                         layers.RandomTranslation(0.1, 0.1)]))
