"""The Keras API surface: names, defaults, return types, weights layouts,
callbacks, the GIL released during fit, Ctrl-C."""
import os
import signal
import subprocess
import sys
import threading
import textwrap
import time

import numpy as np
import pytest

import vknn as tf
from vknn import keras


def small_model(filters=4):
    return keras.Sequential([
        keras.layers.Conv2D(filters, (3, 3), activation=tf.nn.relu, input_shape=(28, 28, 1)),
        keras.layers.MaxPooling2D(2, 2),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation=tf.nn.softmax),
    ])


@pytest.fixture(scope="module")
def data(fashion):
    (x, y), _ = fashion
    return x[:256], y[:256]


def compiled(filters=4, optimizer="adam"):
    m = small_model(filters)
    m.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def test_package_surface():
    assert tf.__version__ == "0.1.0"
    assert keras.Sequential is keras.models.Sequential
    assert keras.layers.MaxPool2D is keras.layers.MaxPooling2D
    conv = keras.layers.Conv2D(8, 3)
    assert (conv.strides, conv.padding, conv.kernel_size) == ((1, 1), "valid", (3, 3))
    pool = keras.layers.MaxPooling2D()
    assert (pool.pool_size, pool.strides, pool.padding) == ((2, 2), None, "valid")
    adam = keras.optimizers.Adam()
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon) == (0.001, 0.9, 0.999, 1e-7)
    assert keras.optimizers.SGD().learning_rate == 0.01
    np.testing.assert_allclose(tf.nn.softmax(np.array([0.0, 0.0])), [0.5, 0.5])


def test_layers_model_input_and_weights_in_keras_layouts(tmp_path):
    m = compiled()
    assert [l.name for l in m.layers] == ["conv2d", "max_pooling2d", "flatten", "dense"]
    assert [l.output_shape for l in m.layers] == [(None, 26, 26, 4), (None, 13, 13, 4),
                                                  (None, 676), (None, 10)]
    assert [l.count_params() for l in m.layers] == [40, 0, 0, 6770]
    assert m.count_params() == 6810
    assert m.input.shape == (None, 28, 28, 1) and m.input_shape == (None, 28, 28, 1)
    weights = m.get_weights()
    assert [w.shape for w in weights] == [(3, 3, 1, 4), (4,), (676, 10), (10,)]
    assert all(w.dtype == np.float32 for w in weights)
    assert [w.shape for w in m.layers[0].get_weights()] == [(3, 3, 1, 4), (4,)]
    # Glorot-uniform kernels, zero biases, as Keras initialises them.
    limit = np.sqrt(6 / (9 * 1 + 9 * 4))
    assert np.abs(weights[0]).max() <= limit and np.abs(weights[0]).max() > limit / 2
    assert not weights[1].any()
    # set_weights / save_weights / load_weights round trips.
    new = [np.full(w.shape, i + 0.5, np.float32) for i, w in enumerate(weights)]
    m.set_weights(new)
    for a, b in zip(m.get_weights(), new):
        np.testing.assert_array_equal(a, b)
    path = tmp_path / "w.safetensors"
    m.save_weights(path)
    other = compiled()
    other.load_weights(str(path))
    for a, b in zip(other.get_weights(), new):
        np.testing.assert_array_equal(a, b)
    # A Keras-layout kernel acts as Keras's: output channel 0 of the first
    # conv at (0, 0) is sum(kernel[:, :, 0, 0] * patch) + bias.
    kernel = np.arange(36, dtype=np.float32).reshape(3, 3, 1, 4) / 100
    m.layers[0].set_weights([kernel, np.zeros(4, np.float32)])
    image = (np.arange(784) % 256).astype(np.uint8).reshape(1, 28, 28)
    activation = keras.models.Model(inputs=m.input, outputs=m.layers[0].output).predict(image)
    assert activation.shape == (1, 26, 26, 4)
    expected = (kernel[:, :, 0, 2] * image[0, :3, :3] / 255.0).sum()
    assert activation[0, 0, 0, 2] == pytest.approx(expected, rel=1e-5)


def test_fit_validation_history_and_types(data):
    x, y = data
    m = compiled()
    h = m.fit(x, y, epochs=2, batch_size=64, verbose=0, validation_data=(x[:64], y[:64]))
    assert list(h.history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert h.epoch == [0, 1] and m.history is h
    assert all(isinstance(v, float) for vs in h.history.values() for v in vs)
    assert h.params["epochs"] == 2 and h.params["steps"] == 4
    result = m.evaluate(x[:64], y[:64], verbose=0)
    assert result == pytest.approx([h.history["val_loss"][-1], h.history["val_accuracy"][-1]])
    assert m.evaluate(x[:64], y[:64], verbose=0, return_dict=True).keys() == {"loss", "accuracy"}
    # validation_split: the last fraction before shuffling, as Keras.
    h = m.fit(x, y, epochs=1, verbose=0, validation_split=0.25)
    assert "val_loss" in h.history
    # Without metrics, as Keras: only the loss.
    bare = small_model()
    bare.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
    h = bare.fit(x, y, verbose=0)
    assert list(h.history) == ["loss"]
    assert isinstance(bare.evaluate(x, y, verbose=0), float)


def test_verbose_2_and_summary_go_through_sys_stdout(data, capsys):
    x, y = data
    m = compiled()
    m.fit(x[:64], y[:64], epochs=2, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "- loss:" in out and "- accuracy:" in out
    lines = []
    m.summary(print_fn=lines.append)
    assert lines[0] == f'Model: "{m.name}"'


class Recorder(keras.callbacks.Callback):
    def __init__(self, stop_at_batch=None):
        super().__init__()
        self.calls = []
        self.stop_at_batch = stop_at_batch

    def on_train_begin(self, logs=None):
        self.calls.append(("train_begin",))

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(("epoch_begin", epoch))

    def on_epoch_end(self, epoch, logs=None):
        assert self.model.stop_training in (True, False)
        self.calls.append(("epoch_end", epoch, sorted(logs)))

    def on_train_end(self, logs=None):
        self.calls.append(("train_end",))


def test_callback_hooks_in_keras_order(data):
    x, y = data
    m = compiled()
    r = Recorder()
    m.fit(x[:64], y[:64], epochs=2, verbose=0, callbacks=[r],
          validation_data=(x[:32], y[:32]))
    keys = ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert r.calls == [("train_begin",), ("epoch_begin", 0), ("epoch_end", 0, keys),
                       ("epoch_begin", 1), ("epoch_end", 1, keys), ("train_end",)]
    assert r.model is m


def test_batch_hooks_are_forwarded_only_when_overridden_and_can_stop(data):
    # More in tests/python/test_batch_hooks.py (every batch, logs, stop).
    x, y = data

    class StopInBatch(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.batches = []

        def on_train_batch_end(self, batch, logs=None):
            self.batches.append((batch, sorted(logs)))
            self.model.stop_training = True

    m = compiled()
    cb = StopInBatch()
    h = m.fit(x[:128], y[:128], epochs=50, batch_size=8, verbose=0, callbacks=[cb])
    assert cb.batches == [(0, ["accuracy", "loss"])]
    assert h.epoch == [0]
    assert not Recorder()._wants_batches() and cb._wants_batches()


def test_batch_begin_hooks_are_warned_about(data):
    x, y = data

    class Begin(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            pass

    with pytest.warns(UserWarning, match="Begin.on_train_batch_begin is never called"):
        compiled().fit(x[:32], y[:32], verbose=0, callbacks=[Begin()])


def test_every_epoch_ends_with_its_last_batch_hook(data):
    # However short the epoch, as Keras: on_batch_end(steps - 1) before on_epoch_end.
    x, y = data
    calls = []

    class Both(keras.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            calls.append(("batch", batch, sorted(logs)))

        def on_epoch_end(self, epoch, logs=None):
            calls.append(("epoch", epoch))

    compiled().fit(x[:64], y[:64], epochs=2, verbose=0, callbacks=[Both()],
                   validation_data=(x[:32], y[:32]))
    ends = [c for c in calls if c[0] == "epoch"]
    assert ends == [("epoch", 0), ("epoch", 1)]
    for e in (0, 1):
        i = calls.index(("epoch", e))
        assert calls[i - 1] == ("batch", 1, ["accuracy", "loss"])


def test_an_exception_in_a_callback_stops_fit_and_propagates(data):
    x, y = data

    class Broken(keras.callbacks.Callback):
        epochs = 0

        def on_epoch_end(self, epoch, logs=None):
            Broken.epochs += 1
            raise ZeroDivisionError("callback bug")

    m = compiled()
    with pytest.raises(ZeroDivisionError, match="callback bug"):
        m.fit(x[:64], y[:64], epochs=20, verbose=0, callbacks=[Broken()])
    assert Broken.epochs == 1
    m.fit(x[:64], y[:64], epochs=1, verbose=0)  # the model is still usable


def test_early_stopping_and_terminate_on_nan_under_keras_names(data):
    x, y = data
    m = compiled()
    stop = keras.callbacks.EarlyStopping(monitor="loss", min_delta=10, patience=0)
    h = m.fit(x[:64], y[:64], epochs=5, verbose=0, callbacks=[stop])
    assert h.epoch == [0, 1] and stop.stopped_epoch == 1
    m = compiled(optimizer=keras.optimizers.SGD(learning_rate=1e30))
    h = m.fit(x, y, epochs=20, verbose=0, callbacks=[keras.callbacks.TerminateOnNaN()])
    assert len(h.epoch) < 20
    # Lambda callbacks too.
    seen = []
    cb = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    compiled().fit(x[:64], y[:64], epochs=2, verbose=0, callbacks=[cb])
    assert seen == [0, 1]


def test_the_gil_is_released_while_fit_runs(data):
    x, y = data
    m = compiled(filters=16)
    done = threading.Event()
    ticks = 0

    def train():
        m.fit(np.concatenate([x] * 4), np.concatenate([y] * 4), epochs=1, verbose=0)
        done.set()

    t = threading.Thread(target=train)
    t.start()
    while not done.is_set():
        ticks += 1
        time.sleep(0.001)
    t.join()
    # Holding the GIL for the whole fit would leave this thread at ~1 tick.
    assert ticks > 20


def test_sigint_during_fit_stops_at_a_step_and_raises_keyboard_interrupt(data):
    x, y = data

    class CtrlC(keras.callbacks.Callback):
        ends = 0

        def on_epoch_end(self, epoch, logs=None):
            CtrlC.ends += 1
            if epoch == 1:
                signal.raise_signal(signal.SIGINT)  # what Ctrl-C sends

    m = compiled()
    with pytest.raises(KeyboardInterrupt):
        m.fit(x[:64], y[:64], epochs=1000, verbose=0, callbacks=[CtrlC()])
    assert CtrlC.ends == 2  # stopped before a third epoch ended
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    h = m.fit(x[:64], y[:64], epochs=1, verbose=0)  # usable afterwards
    assert h.epoch == [0]


def test_ctrl_c_from_outside_ends_a_long_fit_promptly(tmp_path):
    script = textwrap.dedent("""
        import sys, time, numpy as np
        import vknn as tf
        m = tf.keras.Sequential([tf.keras.layers.Flatten(input_shape=(28, 28)),
                                 tf.keras.layers.Dense(10, activation='softmax')])
        m.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
        x = np.zeros((64, 28, 28), np.uint8); y = np.zeros(64, np.int64)
        print('training', flush=True)
        try:
            m.fit(x, y, epochs=10**6, verbose=0)
        except KeyboardInterrupt:
            print('KeyboardInterrupt', flush=True)
            sys.exit(3)
        print('finished', flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ))
    assert proc.stdout.readline().strip() == "training"
    time.sleep(1.5)  # well inside the fit
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 3, out
    assert "KeyboardInterrupt" in out
    assert time.monotonic() - start < 20


def test_a_model_without_input_shape_is_built_by_its_first_fit(data):
    # The course's first model: Flatten() with no input_shape.
    x, y = data
    m = keras.Sequential([keras.layers.Flatten(),
                          keras.layers.Dense(128, activation=tf.nn.relu),
                          keras.layers.Dense(10, activation=tf.nn.softmax)])
    m.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
    with pytest.raises(ValueError, match="not yet been built"):
        m.summary()
    h = m.fit(x / 255.0, y, epochs=1, verbose=0)
    assert h.epoch == [0]
    assert m.input_shape == (None, 28, 28, 1)
    assert [l.output_shape for l in m.layers] == [(None, 784), (None, 128), (None, 10)]
