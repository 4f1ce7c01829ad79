"""ImageDataGenerator's augmentation (rotation_range, width_shift_range,
height_shift_range, shear_range, zoom_range, horizontal_flip, vertical_flip,
fill_mode, cval) against an independent numpy implementation of Keras's
conventions, and fit on generators that augment.

The numpy reference below is written from Keras's description of the
transform (keras-preprocessing 1.1.2 / Keras 3's legacy image.py:
get_random_transform, apply_transform, apply_affine_transform,
transform_matrix_offset_center) and scipy.ndimage's order-1
affine_transform with its boundary modes (ni_interpolation.c's
map_coordinate and the spline modes of the taps), in float64, with numpy
only: its own matrix composition, centring, axis swap, bilinear sampling
and boundary handling. vknn computes in float32, so the two agree within
float32's error on the coordinates: measured at most 0.009 levels of 255 on
these pictures (up to 150x150, rotations to 180 degrees); the bound here is
0.05.
"""
import numpy as np
import pytest

import vknn as tf
from vknn import _vknn, keras

from test_image_folders import SIZE, make_folders

ImageDataGenerator = tf.keras.preprocessing.image.ImageDataGenerator
FILL_MODES = ("nearest", "reflect", "wrap", "constant")
BOUND = 0.05  # levels of 255


# ---- the independent reference --------------------------------------------

def keras_matrix(p, h, w):
    """Keras's 3x3 matrix for parameters p on an h x w picture: rotation @
    shift @ shear @ zoom (each only when not neutral), centred, then the
    rows and columns swapped (M' = P M P), as apply_affine_transform builds
    it; it maps an output (row, col, 1) to the input point."""
    m = np.eye(3)
    if p["theta"] != 0:
        t = np.deg2rad(p["theta"])
        m = m @ np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    if p["tx"] != 0 or p["ty"] != 0:
        m = m @ np.array([[1, 0, p["tx"]], [0, 1, p["ty"]], [0, 0, 1]])
    if p["shear"] != 0:
        s = np.deg2rad(p["shear"])
        m = m @ np.array([[1, -np.sin(s), 0], [0, np.cos(s), 0], [0, 0, 1]])
    if p["zx"] != 1 or p["zy"] != 1:
        m = m @ np.diag([p["zx"], p["zy"], 1.0])
    ox, oy = h / 2 - 0.5, w / 2 - 0.5  # transform_matrix_offset_center(m, h, w)
    m = np.array([[1, 0, ox], [0, 1, oy], [0, 0, 1]]) @ m @ \
        np.array([[1, 0, -ox], [0, 1, -oy], [0, 0, 1]])
    swap = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]])
    return swap @ m @ swap


def map_coordinate(c, n, mode):
    """scipy's map_coordinate for one coordinate c on an axis of n pixels."""
    if 0 <= c <= n - 1:
        return c
    if mode == "constant":
        return None
    if mode == "nearest":
        return c  # not mapped: the taps clamp
    if n == 1:
        return 0.0
    if mode == "reflect":
        period = 2 * n
        c = np.fmod(c, period)
        c = c + period if c < 0 else c
        return period - 1 - c if c >= n else c
    # scipy's 'wrap': period n - 1, negative points land in (0, n - 1]
    period = n - 1
    if c < 0:
        return period - np.fmod(-c, period)
    return np.fmod(c, period)


def tap(i, n, mode):
    """A tap's index: scipy maps taps outside the axis with the spline mode
    (nearest for nearest, reflect for reflect, mirror otherwise)."""
    if 0 <= i < n:
        return i
    if n == 1:
        return 0
    if mode == "nearest":
        return 0 if i < 0 else n - 1
    if mode == "reflect":
        return -i - 1 if i < 0 else 2 * n - 1 - i
    return -i if i < 0 else 2 * n - 2 - i


def numpy_apply_transform(x, p, fill_mode, cval):
    """Keras's apply_transform of picture x (h, w, c) by parameters p, in
    float64, returned as float32 as Keras returns it."""
    h, w, channels = x.shape
    m = keras_matrix(p, h, w)
    out = np.empty(x.shape, dtype=np.float64)
    for r in range(h):
        for c in range(w):
            rr, cc = m[:2, :2] @ np.array([r, c]) + m[:2, 2]
            rr, cc = map_coordinate(rr, h, fill_mode), map_coordinate(cc, w, fill_mode)
            if rr is None or cc is None:
                out[r, c] = cval
                continue
            r0, c0 = int(np.floor(rr)), int(np.floor(cc))
            tr, tc = rr - r0, cc - c0
            rows = (tap(r0, h, fill_mode), tap(r0 + 1, h, fill_mode))
            cols = (tap(c0, w, fill_mode), tap(c0 + 1, w, fill_mode))
            out[r, c] = ((1 - tr) * ((1 - tc) * x[rows[0], cols[0]] + tc * x[rows[0], cols[1]])
                         + tr * ((1 - tc) * x[rows[1], cols[0]] + tc * x[rows[1], cols[1]]))
    out = out.astype(np.float32)
    if p["flip_horizontal"]:
        out = out[:, ::-1]
    if p["flip_vertical"]:
        out = out[::-1]
    return out


def pictures(count, h, w, c, seed):
    return np.random.RandomState(seed).randint(0, 256, (count, h, w, c)).astype(np.uint8)


def generator(fill_mode, **overrides):
    settings = dict(rotation_range=90, width_shift_range=0.3, height_shift_range=0.3,
                    shear_range=30, zoom_range=[0.6, 1.5], horizontal_flip=True,
                    vertical_flip=True, fill_mode=fill_mode, cval=77.0)
    settings.update(overrides)
    return ImageDataGenerator(**settings)


# ---- the transform ----------------------------------------------------------

@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("shape", [(9, 7, 1), (12, 16, 3), (17, 17, 4)])
def test_apply_transform_is_kerases_transform(fill_mode, shape):
    """vknn's apply_transform (the CPU reference of the device's gather) of
    drawn parameters, against the numpy reference, for every fill mode, odd
    and non-square pictures and 1, 3 and 4 channels."""
    g = generator(fill_mode)
    x = pictures(1, *shape, seed=len(fill_mode))[0].astype(np.float32)
    for seed in range(6):
        p = g.get_random_transform(x.shape, seed=seed)
        expected = numpy_apply_transform(x, p, fill_mode, 77.0)
        got = g.apply_transform(x, p)
        assert got.dtype == np.float32 and got.shape == x.shape
        assert np.abs(got - expected).max() <= BOUND, (fill_mode, shape, seed, p)


def test_each_transform_alone_and_the_conventions():
    """One parameter at a time against the reference, and what Keras's
    conventions mean on a picture: tx (from height_shift_range) moves the
    columns, ty the rows (Keras's swapped axes), theta=90 is rot90, flips
    come after the affine transform."""
    g = ImageDataGenerator(fill_mode="constant", cval=-1.0)
    x = np.arange(5 * 5, dtype=np.float32).reshape(5, 5, 1)
    neutral = dict(theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, flip_horizontal=False,
                   flip_vertical=False)
    for key, value in [("theta", 33.0), ("tx", 1.25), ("ty", -2.0), ("shear", 20.0),
                       ("zx", 0.7), ("zy", 1.4), ("flip_horizontal", True),
                       ("flip_vertical", True)]:
        p = dict(neutral, **{key: value})
        assert np.abs(g.apply_transform(x, p) - numpy_apply_transform(x, p, "constant", -1.0)).max() \
            <= 1e-4, key
    moved = g.apply_transform(x, dict(neutral, tx=1.0))[..., 0]
    assert (moved[:, :4] == x[:, 1:, 0]).all() and (moved[:, 4] == -1).all()
    moved = g.apply_transform(x, dict(neutral, ty=1.0))[..., 0]
    assert (moved[:4] == x[1:, :, 0]).all() and (moved[4] == -1).all()
    assert (g.apply_transform(x, dict(neutral, theta=90.0))[..., 0] == np.rot90(x[..., 0])).all()
    flipped = g.apply_transform(x, dict(neutral, tx=1.0, flip_horizontal=True))
    assert (flipped == g.apply_transform(x, dict(neutral, tx=1.0))[:, ::-1]).all()


def test_the_reference_is_scipys_where_scipy_is_installed():
    """The numpy reference's boundary handling against scipy.ndimage itself
    (Keras's own call), where scipy is there: the reference stands alone
    elsewhere."""
    ndimage = pytest.importorskip("scipy.ndimage")
    x = pictures(1, 11, 8, 1, seed=5)[0].astype(np.float32)
    g = generator("nearest")
    for fill_mode in FILL_MODES:
        for seed in range(4):
            p = g.get_random_transform(x.shape, seed=seed)
            m = keras_matrix(p, 11, 8)
            expected = ndimage.affine_transform(x[..., 0], m[:2, :2], m[:2, 2], order=1,
                                                mode=fill_mode, cval=77.0)
            ours = numpy_apply_transform(x, dict(p, flip_horizontal=False, flip_vertical=False),
                                         fill_mode, 77.0)[..., 0]
            assert np.abs(ours - expected).max() < 1e-3, (fill_mode, seed)


@pytest.mark.parametrize("fill_mode", FILL_MODES)
def test_the_device_step_gives_apply_transforms_pixels(fill_mode):
    """The training step's gather, run on the device as fit records it: each
    sample's pixels equal apply_transform of the parameters vknn draws for
    that sample at that step, divided by 255 (uint8 pictures; the constant
    fill's cval as the model sees it), and the numpy reference's within the
    bound. Float datasets are transformed as they are."""
    g = generator(fill_mode)
    data = pictures(6, 13, 10, 3, seed=7)
    samples, step = [4, 0, 5], 21
    settings = g._settings(seed=123, cval=77.0 / 255)
    device = _vknn.run_augmented_gather(settings, data, samples, step, True)
    cpu = _vknn.run_augmented_gather(settings, data, samples, step, False)
    np.testing.assert_array_equal(device, cpu)  # bit for bit on lavapipe
    keras_settings = g._settings(seed=123)
    for i, s in enumerate(samples):
        p = _vknn.draw_augmentation(keras_settings, 13, 10, s, step)
        applied = _vknn.apply_augmentation(keras_settings, p, data[s].astype(np.float32))
        constant = fill_mode == "constant"
        expected = np.where(applied == 77.0, 77.0 / 255, applied / 255) if constant \
            else applied / 255
        assert np.abs(device[i] - expected).max() <= 3e-7
        reference = numpy_apply_transform(data[s].astype(np.float32), p, fill_mode, 77.0)
        assert np.abs(device[i] * 255 - reference).max() <= BOUND
    floats = data.astype(np.float32) / 7
    on_device = _vknn.run_augmented_gather(keras_settings, floats, samples, step, True)
    for i, s in enumerate(samples):
        p = _vknn.draw_augmentation(keras_settings, 13, 10, s, step)
        np.testing.assert_array_equal(on_device[i],
                                      _vknn.apply_augmentation(keras_settings, p, floats[s]))


def test_draws_follow_kerases_distributions():
    g = ImageDataGenerator(rotation_range=40, width_shift_range=0.2, height_shift_range=3,
                           shear_range=10, zoom_range=0.25, horizontal_flip=True)
    draws = [g.get_random_transform((50, 40, 3), seed=s) for s in range(1500)]
    theta = np.array([d["theta"] for d in draws])
    assert theta.min() >= -40 and theta.max() < 40 and abs(theta.mean()) < 2.5
    ty = np.array([d["ty"] for d in draws])  # width_shift_range 0.2 of 40 pixels
    assert ty.min() >= -8 and ty.max() < 8 and ty.max() > 7
    assert set(d["tx"] for d in draws) == {-2.0, -1.0, 0.0, 1.0, 2.0}  # int 3: choice(3) * +-1
    zoom = np.array([[d["zx"], d["zy"]] for d in draws])
    assert zoom.min() >= 0.75 and zoom.max() < 1.25
    assert not np.array_equal(zoom[:, 0], zoom[:, 1])  # independent, as Keras draws them
    assert 0.45 < np.mean([d["flip_horizontal"] for d in draws]) < 0.55
    assert not any(d["flip_vertical"] for d in draws)
    assert g.get_random_transform((50, 40, 3), seed=9) == g.get_random_transform((50, 40, 3), seed=9)
    assert draws[0]["channel_shift_intensity"] is None and draws[0]["brightness"] is None
    x = pictures(1, 50, 40, 3, seed=1)[0]
    np.testing.assert_array_equal(g.random_transform(x, seed=4),
                                  g.apply_transform(x, g.get_random_transform(x.shape, seed=4)))


# ---- fit ---------------------------------------------------------------------

def small_model(size, channels=3, classes=2):
    keras.utils.set_random_seed(0)
    m = keras.Sequential([
        keras.layers.Conv2D(4, (3, 3), activation="relu", input_shape=(size, size, channels)),
        keras.layers.MaxPooling2D(2, 2),
        keras.layers.Flatten(),
        keras.layers.Dense(classes, activation="softmax"),
    ])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def test_fit_on_flow_is_augmented_and_reproducible_by_seed():
    x = pictures(50, 12, 12, 3, seed=3)
    y = (np.arange(50) % 2).astype(np.int32)
    g = generator("reflect", rescale=1 / 255)

    def fit(iterator):
        m = small_model(12)
        h = m.fit(iterator, epochs=2, verbose=0)
        return h.history["loss"], m.get_weights()

    first = fit(g.flow(x, y, batch_size=16, seed=1))
    again = fit(g.flow(x, y, batch_size=16, seed=1))
    assert first[0] == again[0]
    assert all(np.array_equal(a, b) for a, b in zip(first[1], again[1]))
    other = fit(g.flow(x, y, batch_size=16, seed=2))
    assert other[0] != first[0]
    plain = fit(ImageDataGenerator(rescale=1 / 255).flow(x, y, batch_size=16, seed=1))
    assert plain[0] != first[0]
    # flow yields augmented, rescaled batches on the host too
    bx, by = g.flow(x, y, batch_size=16, seed=1, shuffle=False)[0]
    assert bx.shape == (16, 12, 12, 3) and bx.dtype == np.float32 and bx.max() <= 1.0
    assert not np.allclose(bx, x[:16] / 255)
    np.testing.assert_array_equal(by, y[:16])


def test_validation_is_never_augmented():
    """With a learning rate of 0 validation on the training pictures equals
    evaluate, while the training loss (augmented pictures) does not."""
    x = pictures(32, 12, 12, 3, seed=4)
    y = (np.arange(32) % 2).astype(np.int32)
    m = small_model(12)
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    g = generator("wrap", rescale=1 / 255)
    h = m.fit(g.flow(x, y, batch_size=8, seed=5), epochs=1, verbose=0,
              validation_data=g.flow(x, y, batch_size=8, shuffle=False))
    loss, _ = m.evaluate(x / 255.0, y, verbose=0)
    assert h.history["val_loss"][0] == pytest.approx(loss, abs=1e-6)
    assert h.history["loss"][0] != pytest.approx(loss, abs=1e-6)


def test_flow_from_directory_trains_with_the_course_settings(tmp_path):
    """Course 2's cats-vs-dogs generator on a folder made by the script:
    fit runs and learns something (loss falls)."""
    train_dir, _ = make_folders(tmp_path, "sneakers_vs_boots", 40, 0)
    g = ImageDataGenerator(rescale=1 / 255, rotation_range=40, width_shift_range=0.2,
                           height_shift_range=0.2, shear_range=0.2, zoom_range=0.2,
                           horizontal_flip=True, fill_mode="nearest")
    it = g.flow_from_directory(str(train_dir), target_size=(SIZE, SIZE), batch_size=16,
                               class_mode="sparse", seed=3)
    m = small_model(SIZE)
    h = m.fit(it, epochs=4, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]


def test_what_vknn_does_not_do_is_refused_by_name():
    for name, value in [("brightness_range", (0.5, 1.5)), ("channel_shift_range", 10.0),
                        ("featurewise_center", True), ("samplewise_std_normalization", True),
                        ("zca_whitening", True), ("preprocessing_function", abs),
                        ("interpolation_order", 0)]:
        with pytest.raises(ValueError, match=f"{name}=.* is not supported by vknn"):
            ImageDataGenerator(**{name: value})
    with pytest.raises(ValueError, match="a list of shifts is not supported"):
        ImageDataGenerator(width_shift_range=[-2, 0, 2])
    with pytest.raises(ValueError, match="fill_mode='mirror' is not one of"):
        ImageDataGenerator(fill_mode="mirror")
    with pytest.raises(ValueError, match="zoom_range` should be a float or a tuple or list of two"):
        ImageDataGenerator(zoom_range=[0.5, 1.0, 2.0])
    with pytest.raises(ValueError, match="rotation_range must be a finite number >= 0"):
        ImageDataGenerator(rotation_range=-10)
    with pytest.raises(ValueError, match="cval must be a finite number"):
        ImageDataGenerator(cval=float("nan"))
    with pytest.raises(ValueError, match="horizontal_flip must be True or False"):
        ImageDataGenerator(horizontal_flip="yes")
    g = ImageDataGenerator(rotation_range=10)
    with pytest.raises(ValueError, match="save_to_dir is not supported"):
        g.flow(np.zeros((2, 4, 4, 1)), save_to_dir="/tmp")
    with pytest.raises(ValueError, match="should have rank 4"):
        g.flow(np.zeros((2, 4, 4)))
    with pytest.raises(ValueError, match="apply_transform: x must be one picture"):
        g.apply_transform(np.zeros((4, 4)), {})
    # A model whose input is not a picture cannot be augmented.
    m = keras.Sequential([keras.layers.Dense(2, activation="softmax", input_shape=(16,))])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    flat = g.flow(np.zeros((4, 4, 4, 1), dtype=np.uint8), np.zeros(4, dtype=np.int32))
    with pytest.raises(ValueError, match="expected shape=\\(None, 16\\)"):
        m.fit(flat, epochs=1, verbose=0)
