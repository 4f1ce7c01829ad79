"""Keras's fit, evaluate and model APIs beyond the course's: initial_epoch;
each checked
against what Keras does, on a 4-filter model and at most 128 Fashion-MNIST
images."""
import numpy as np
import pytest

from vknn import keras


@pytest.fixture(scope="module")
def data(fashion):
    (x, y), _ = fashion
    return x[:128], y[:128]


def compiled(optimizer="adam"):
    m = keras.Sequential([
        keras.layers.Conv2D(4, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        keras.layers.MaxPooling2D(2, 2),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    m.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def same(a, b):
    return len(a) == len(b) and all(np.array_equal(u, v) for u, v in zip(a, b))


def test_initial_epoch_continues_a_fit(data, capsys):
    x, y = data
    straight = compiled()
    h_all = straight.fit(x[:96], y[:96], epochs=3, verbose=0)
    m = compiled()
    m.fit(x[:96], y[:96], epochs=1, verbose=0)
    begun = []
    h = m.fit(x[:96], y[:96], epochs=3, initial_epoch=1, verbose=2,
              callbacks=[keras.callbacks.LambdaCallback(
                  on_epoch_begin=lambda epoch, logs: begun.append(epoch))])
    assert h.epoch == [1, 2] and begun == [1, 2]
    assert "Epoch 2/3" in capsys.readouterr().out
    # Each epoch shuffles by its own number: the same run as one fit.
    assert same(m.get_weights(), straight.get_weights())
    assert h.history["loss"] == h_all.history["loss"][1:]
    # At or past epochs: nothing runs (Keras).
    h = m.fit(x[:96], y[:96], epochs=3, initial_epoch=3, verbose=0)
    assert h.epoch == [] and h.history == {}
    assert same(m.get_weights(), straight.get_weights())
    with pytest.raises(ValueError, match="initial_epoch must be an integer >= 0"):
        m.fit(x[:96], y[:96], initial_epoch=-1, verbose=0)
