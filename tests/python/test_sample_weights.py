"""Keras's class_weight and sample_weight in fit, sample_weight in evaluate and
in validation_data: a sample's loss, gradient and accuracy count weigh its
weight (Keras: loss = sum(w * loss) / samples, accuracy = sum(w * correct) /
sum(w)). On a 4-filter model and at most 128 Fashion-MNIST images."""
import numpy as np
import pytest

from vknn import keras

from conftest import same_arrays as same
from conftest import small_cnn as compiled  # the 4-filter course model, compiled
from test_keras_fit import data  # noqa: F401  (the fixture: 128 Fashion-MNIST images)


CLASS_WEIGHT = {0: 0.5, 3: 2.0, 9: 4.0}


def by_label(y):
    return np.array([CLASS_WEIGHT.get(int(label), 1.0) for label in y], np.float32)


def test_class_weight_is_sample_weight_by_label(data):
    x, y = data
    a = compiled()
    h_a = a.fit(x, y, epochs=2, verbose=0, class_weight=CLASS_WEIGHT)
    b = compiled()
    h_b = b.fit(x, y, epochs=2, verbose=0, sample_weight=by_label(y))
    assert same(a.get_weights(), b.get_weights())
    assert h_a.history == h_b.history
    # numpy integer keys, as class_weight built with np.unique gives them
    c = compiled()
    c.fit(x, y, epochs=2, verbose=0, class_weight={np.int64(k): v for k, v in CLASS_WEIGHT.items()})
    assert same(a.get_weights(), c.get_weights())
    plain = compiled()
    h_plain = plain.fit(x, y, epochs=2, verbose=0)
    assert not same(a.get_weights(), plain.get_weights())
    assert h_plain.history["loss"] != h_a.history["loss"]


def test_validation_split_splits_the_weights(data):
    x, y = data
    w = np.linspace(0.1, 2.0, len(x)).astype(np.float32)
    a = compiled()
    h_a = a.fit(x, y, epochs=1, verbose=0, sample_weight=w, validation_split=0.25)
    b = compiled()
    h_b = b.fit(x[:96], y[:96], epochs=1, verbose=0, sample_weight=w[:96],
                validation_data=(x[96:], y[96:], w[96:]))
    assert same(a.get_weights(), b.get_weights())
    assert h_a.history == h_b.history
    # The validation figures are evaluate's with the same weights.
    loss, accuracy = b.evaluate(x[96:], y[96:], sample_weight=w[96:], verbose=0)
    assert h_b.history["val_loss"][0] == pytest.approx(loss, abs=1e-6)
    assert h_b.history["val_accuracy"][0] == pytest.approx(accuracy, abs=1e-6)


def test_evaluate_weighs_as_keras(data):
    x, y = data
    m = compiled()
    m.fit(x[:96], y[:96], epochs=1, verbose=0)
    w = (np.arange(32) % 3).astype(np.float32)  # a third weigh nothing
    p = m.predict(x[96:], verbose=0).astype(np.float64)
    losses = -np.log(np.clip(p[np.arange(32), y[96:]], 1e-7, 1 - 1e-7))
    right = (p.argmax(axis=1) == y[96:]).astype(np.float64)
    result = m.evaluate(x[96:], y[96:], sample_weight=w, verbose=0, return_dict=True)
    assert result["loss"] == pytest.approx(float((w * losses).sum() / 32), abs=2e-5)
    assert result["accuracy"] == pytest.approx(float((w * right).sum() / w.sum()), abs=1e-6)
    # (N, 1) weights, as Keras also takes them
    again = m.evaluate(x[96:], y[96:], sample_weight=w[:, None], verbose=0, return_dict=True)
    assert again == result


def test_binary_task_with_class_weight(data):
    # Week 4's shape of task: a sigmoid output, binary cross-entropy, and a
    # rare class weighed up.
    x, y = data
    labels = (y == 9).astype(np.uint8)  # ankle boots: about a tenth
    def binary_model():
        m = keras.Sequential([
            keras.layers.Conv2D(4, (3, 3), activation="relu", input_shape=(28, 28, 1)),
            keras.layers.MaxPooling2D(2, 2),
            keras.layers.Flatten(),
            keras.layers.Dense(1, activation="sigmoid"),
        ])
        m.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
        return m
    weighted = binary_model()
    h_w = weighted.fit(x, labels, epochs=1, verbose=0, class_weight={0: 1.0, 1: 9.0})
    plain = binary_model()
    h_p = plain.fit(x, labels, epochs=1, verbose=0)
    assert h_w.history["loss"] != h_p.history["loss"]
    with pytest.raises(ValueError, match="class_weight names class 2, but the labels are 0..1"):
        weighted.fit(x, labels, epochs=1, verbose=0, class_weight={2: 1.0})
