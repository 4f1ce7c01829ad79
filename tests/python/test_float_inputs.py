"""General float inputs: they stay float on the device (never re-quantised),
learn as well as pixels do, and a float dataset split over several device
buffers gives the same results as one buffer.

Floats that are exactly pixel / 255 keep the lossless uint8 path
(tests/python/test_matches_cpp.py checks that they give the uint8 results
exactly); these tests are about every other float array."""
import numpy as np
import pytest

import vknn as tf
from vknn import keras
from vknn.keras import _inputs

COUNT = 600


def small_model():
    return keras.Sequential([
        keras.layers.Conv2D(8, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        keras.layers.MaxPooling2D(2, 2),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])


def trained(x, y, epochs=2, seed=4, optimizer="adam"):
    keras.utils.set_random_seed(seed)
    m = small_model()
    m.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = m.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    return m, h


@pytest.fixture(scope="module")
def standardised(fashion):
    (x, y), (x_test, y_test) = fashion
    x, x_test = x[:COUNT] / 255.0, x_test[:200] / 255.0
    mean, std = x.mean(), x.std()
    return (x - mean) / std, y[:COUNT], (x_test - mean) / std, y_test[:200]


def test_standardised_images_go_to_the_device_as_float32(standardised):
    x, *_ = standardised
    m = small_model()
    converted = _inputs.images(x, m)
    assert converted.dtype == np.float32 and converted.shape == (COUNT, 28, 28, 1)
    assert converted.flags.c_contiguous
    np.testing.assert_array_equal(converted[..., 0], x.astype(np.float32))
    # Pixels over 255 still take the 4x smaller uint8 path.
    assert _inputs.images(np.zeros((2, 28, 28)) / 255.0, m).dtype == np.uint8
    # So do values that are not k / 255 by a single k: one off value is enough
    # to make the whole array float.
    nearly = np.zeros((2, 28, 28))
    nearly[1, 5, 5] = 0.5
    assert _inputs.images(nearly, m).dtype == np.float32


def test_standardised_images_train_well_above_chance(standardised):
    x, y, x_test, y_test = standardised
    m, h = trained(x, y, epochs=3)
    assert h.history["accuracy"][-1] > h.history["accuracy"][0]
    loss, accuracy = m.evaluate(x_test, y_test, verbose=0)
    assert accuracy > 0.6, accuracy  # chance is 0.1
    p = m.predict(x_test, verbose=0)
    assert p.dtype == np.float32 and p.shape == (200, 10)
    assert np.mean(np.argmax(p, axis=1) == y_test) == pytest.approx(accuracy)


def test_float_values_are_used_as_given_not_snapped_to_pixels(fashion):
    # x / 255 scaled by 1 + 1e-6 is within a hair of the pixels, but not
    # pixels: vknn trains on it as given (different weights from the uint8
    # run), and the results stay close to the uint8 run's. (A scale, not an
    # offset: an offset moves the blank background off 0 and breaks the
    # max-pooling ties there, which routes gradients elsewhere.)
    (x, y), _ = fashion
    x, y = x[:128], y[:128]
    m_pixels, h_pixels = trained(x, y, optimizer=keras.optimizers.SGD(0.05))
    m_float, h_float = trained(x / 255.0 * (1 + 1e-6), y, optimizer=keras.optimizers.SGD(0.05))
    differences = [np.max(np.abs(a - b)) for a, b in
                   zip(m_pixels.get_weights(), m_float.get_weights())]
    assert max(differences) > 0
    assert max(differences) < 1e-4
    np.testing.assert_allclose(h_float.history["loss"], h_pixels.history["loss"], rtol=1e-4)


def test_several_device_buffers_give_the_same_results_as_one(standardised, monkeypatch):
    # VKNN_FLOAT_DATASET_CHUNK_SAMPLES is the library's internal test hook:
    # 600 samples in buffers of 80 (8 buffers, the most the gather binds)
    # take the several-buffer path that a full float training set takes on
    # lavapipe (188 MB over a 128 MiB buffer range).
    x, y, x_test, y_test = standardised
    one, h_one = trained(x, y, epochs=1)
    monkeypatch.setenv("VKNN_FLOAT_DATASET_CHUNK_SAMPLES", "80")
    several, h_several = trained(x, y, epochs=1)
    assert h_one.history == h_several.history
    for a, b in zip(one.get_weights(), several.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(one.predict(x_test, verbose=0),
                                  several.predict(x_test, verbose=0))
    monkeypatch.setenv("VKNN_FLOAT_DATASET_CHUNK_SAMPLES", "10")  # 60 buffers: refused
    with pytest.raises(tf.Error, match="need 60 storage buffers"):
        several.predict(x, verbose=0)


def test_any_memory_order_and_float_width_give_the_same_predictions(standardised):
    x, y, x_test, _ = standardised
    m, _ = trained(x[:64], y[:64], epochs=1)
    p = m.predict(x_test.astype(np.float32), verbose=0)
    np.testing.assert_array_equal(p, m.predict(np.asfortranarray(x_test), verbose=0))
    np.testing.assert_array_equal(p, m.predict(x_test[..., None], verbose=0))
    np.testing.assert_array_equal(p, m.predict(x_test[::-1][::-1], verbose=0))


def test_the_activation_model_takes_float_values_too(standardised):
    # The course's visualisation cell, on standardised images: every layer's
    # output, the last one equal to predict's probabilities.
    x, y, x_test, _ = standardised
    m, _ = trained(x[:64], y[:64], epochs=1)
    activation_model = keras.models.Model(inputs=m.input,
                                          outputs=[layer.output for layer in m.layers])
    outputs = activation_model.predict(x_test[:5].reshape(5, 28, 28, 1))
    assert [o.shape for o in outputs] == [(5, 26, 26, 8), (5, 13, 13, 8), (5, 1352), (5, 10)]
    np.testing.assert_allclose(outputs[-1], m.predict(x_test[:5], verbose=0), rtol=1e-6)
