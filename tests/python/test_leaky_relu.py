"""keras.layers.LeakyReLU on vknn: Keras's values and gradient, names and
arguments (Keras 3's negative_slope and Keras 2's alpha), refusals."""
import numpy as np
import pytest

import vknn as tf
from vknn import keras


def model(layer):
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.layers.Dense(6, input_shape=(4,)), layer,
                          keras.layers.Dense(2, activation="softmax")])
    m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def test_values_are_kerass_and_it_trains():
    m = model(keras.layers.LeakyReLU(negative_slope=0.2))
    assert [layer.name for layer in m.layers] == ["dense", "leaky_re_lu", "dense_1"]
    assert m.layers[1].count_params() == 0
    x = np.random.default_rng(3).normal(size=(16, 4)).astype(np.float32)
    before, after = keras.models.Model(
        inputs=m.input, outputs=[m.layers[0].output, m.layers[1].output]).predict(x)
    assert (before < 0).any() and (before > 0).any()
    np.testing.assert_allclose(after, np.where(before >= 0, before, np.float32(0.2) * before),
                               rtol=1e-6, atol=1e-7)
    y = (x[:, 0] > 0).astype(np.int64)
    history = m.fit(x, y, epochs=3, batch_size=4, verbose=0).history
    assert all(np.isfinite(history["loss"]))


def test_alpha_is_kerass_older_name_and_the_default_is_0_3():
    assert keras.layers.LeakyReLU(alpha=0.1).negative_slope == pytest.approx(0.1)
    assert keras.layers.LeakyReLU().negative_slope == pytest.approx(0.3)


def test_bad_slopes_are_refused_naming_the_argument():
    with pytest.raises(ValueError, match="cannot be negative"):
        keras.layers.LeakyReLU(negative_slope=-0.5)
    with pytest.raises(ValueError, match="negative_slope must be a finite number"):
        keras.layers.LeakyReLU(negative_slope=float("nan"))
    with pytest.raises(TypeError, match="unsupported arguments"):
        keras.layers.LeakyReLU(slope=0.1)
