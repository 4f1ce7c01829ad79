"""Keras's fit, evaluate and model APIs beyond the course's: initial_epoch,
validation_split, evaluate(return_dict=True), get_layer; each checked
against what Keras does, on a 4-filter model and at most 128 Fashion-MNIST
images."""
import numpy as np
import pytest

from vknn import keras

from conftest import small_cnn as compiled  # the 4-filter course model, compiled


@pytest.fixture(scope="module")
def data(fashion):
    (x, y), _ = fashion
    return x[:128], y[:128]


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


def test_validation_split_takes_the_last_samples_before_shuffling(data):
    x, y = data
    m = compiled()
    h = m.fit(x[:128], y[:128], epochs=1, verbose=0, validation_split=0.25)
    assert h.params["steps"] == 3  # 96 training samples
    # The validation loss is the loss on the last 32 samples after the epoch.
    last = m.evaluate(x[96:128], y[96:128], verbose=0, return_dict=True)
    first = m.evaluate(x[:32], y[:32], verbose=0, return_dict=True)
    assert h.history["val_loss"][0] == pytest.approx(last["loss"], rel=1e-6)
    assert h.history["val_accuracy"][0] == pytest.approx(last["accuracy"])
    assert first["loss"] != pytest.approx(last["loss"], rel=1e-6)
    # Training saw only the first 96: the same as fitting them alone.
    alone = compiled()
    alone.fit(x[:96], y[:96], epochs=1, verbose=0)
    assert same(alone.get_weights(), m.get_weights())


def test_evaluate_return_dict_and_get_layer(data):
    x, y = data
    m = compiled()
    loss, accuracy = m.evaluate(x[:64], y[:64], verbose=0)
    assert m.evaluate(x[:64], y[:64], verbose=0, return_dict=True) == \
        {"loss": loss, "accuracy": accuracy}
    assert m.get_layer("dense") is m.layers[3]
    assert m.get_layer(index=0) is m.layers[0] and m.get_layer(index=-1) is m.layers[3]
    m.get_layer("conv2d").set_weights([np.ones((3, 3, 1, 4), np.float32),
                                       np.zeros(4, np.float32)])
    np.testing.assert_array_equal(m.get_weights()[0], np.ones((3, 3, 1, 4)))
    with pytest.raises(ValueError, match=r"No such layer: dens\. Existing layers are: "
                                         r"\['conv2d', 'max_pooling2d', 'flatten', 'dense'\]"):
        m.get_layer("dens")
    with pytest.raises(ValueError, match="layer at index 4 but model only has 4 layers"):
        m.get_layer(index=4)
    with pytest.raises(ValueError, match="Provide only a layer name or a layer index"):
        m.get_layer("dense", 1)
    with pytest.raises(ValueError, match="Provide either a layer name or layer index"):
        m.get_layer()
