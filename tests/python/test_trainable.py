"""layer.trainable and model.trainable (freezing layers, as transfer learning
does): frozen weights stay bit for bit as they were through fit while the
rest trains; summary() counts them as Keras does."""
import io

import numpy as np
import pytest

from vknn import keras


def synthetic(count=64, seed=9):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, size=(count, 8, 8, 1), dtype=np.uint8)
    y = (x[:, :4].mean(axis=(1, 2, 3)) > x[:, 4:].mean(axis=(1, 2, 3))).astype(np.uint8)
    return x / 255.0, y


def model_of(**first_layer):
    m = keras.Sequential([
        keras.layers.Conv2D(2, (3, 3), activation="relu", input_shape=(8, 8, 1), **first_layer),
        keras.layers.Flatten(),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.Dense(2, activation="softmax"),
    ])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def same(a, b):
    return a.tobytes() == b.tobytes()


def test_frozen_layers_keep_their_weights_and_the_rest_trains():
    x, y = synthetic()
    model = model_of()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    before = model.get_weights()
    model.layers[0].trainable = False
    model.get_layer(index=3).trainable = False
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    after = model.get_weights()
    for i in (0, 1, 4, 5):
        assert same(after[i], before[i]), f"frozen weight {i} changed"
    for i in (2, 3):
        assert not same(after[i], before[i]), f"weight {i} did not train"
    assert len(history.history["loss"]) == 2
    # Unfrozen, the layer trains at the next fit (no compile needed).
    model.layers[0].trainable = True
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert not same(model.get_weights()[0], after[0])


def test_model_trainable_false_freezes_every_layer():
    x, y = synthetic()
    model = model_of()
    before = model.get_weights()
    model.trainable = False
    assert model.trainable is False and not any(layer.trainable for layer in model.layers)
    history = model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert all(same(a, b) for a, b in zip(model.get_weights(), before))
    model.trainable = True
    assert all(layer.trainable for layer in model.layers)


def test_summary_counts_non_trainable_params_as_keras():
    model = model_of(trainable=False)  # Keras's constructor argument
    # conv2d 2*9+2 = 20, dense 72*8+8 = 584, dense_1 8*2+2 = 18.
    text = io.StringIO()
    model.summary(print_fn=lambda line: text.write(line + "\n"))
    assert "Total params: 622\nTrainable params: 602\nNon-trainable params: 20\n" in \
        text.getvalue()
    model.trainable = False
    text = io.StringIO()
    model.summary(print_fn=lambda line: text.write(line + "\n"))
    assert "Total params: 622\nTrainable params: 0\nNon-trainable params: 622\n" in \
        text.getvalue()
    with pytest.raises(ValueError, match="trainable must be True or False"):
        model.layers[0].trainable = "no"
