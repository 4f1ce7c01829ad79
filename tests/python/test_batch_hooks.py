"""Keras's batch-hook semantics: a Python callback overriding
on_train_batch_end (or on_batch_end) is called after every batch with
logs = {'loss', 'accuracy'}, the epoch's running means; stop_training set
there stops at that step boundary. Without such a hook, fit runs no Python
per step."""
import numpy as np
import pytest

from vknn import keras
from vknn.keras import callbacks as callbacks_module

from conftest import small_cnn


def compiled():
    keras.utils.set_random_seed(2)
    return small_cnn()


@pytest.fixture(scope="module")
def data(fashion):
    (x, y), _ = fashion
    return x[:70], y[:70]  # batch 16: 5 steps, the last one partial


class TrainBatchEnd(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls, self.epoch_logs = [], []

    def on_train_batch_end(self, batch, logs=None):
        self.calls.append((batch, dict(logs)))

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_logs.append(dict(logs))


class BatchEnd(TrainBatchEnd):
    on_train_batch_end = keras.callbacks.Callback.on_train_batch_end

    def on_batch_end(self, batch, logs=None):
        self.calls.append((batch, dict(logs)))


@pytest.mark.parametrize("callback_class", [TrainBatchEnd, BatchEnd])
def test_called_after_every_batch_with_running_logs(data, callback_class):
    x, y = data
    cb = callback_class()
    h = compiled().fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[cb])
    # steps per epoch x epochs calls, batches counted from 0 in each epoch.
    assert [b for b, _ in cb.calls] == [0, 1, 2, 3, 4] * 3
    for batch, logs in cb.calls:
        assert sorted(logs) == ["accuracy", "loss"]
        assert np.isfinite(logs["loss"]) and logs["loss"] > 0
        assert 0.0 <= logs["accuracy"] <= 1.0
    # The last batch's logs are the epoch's loss and accuracy, as History has them.
    for epoch in range(3):
        _, last = cb.calls[5 * epoch + 4]
        assert last["loss"] == h.history["loss"][epoch]
        assert last["accuracy"] == h.history["accuracy"][epoch]
        assert last == cb.epoch_logs[epoch]
    # Running means: the first batch's accuracy is a multiple of 1/16.
    assert (cb.calls[0][1]["accuracy"] * 16) == pytest.approx(round(cb.calls[0][1]["accuracy"] * 16))


def test_stop_training_in_a_batch_hook_stops_at_that_step(data):
    x, y = data

    class StopAt(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.batches = []

        def on_train_batch_end(self, batch, logs=None):
            self.batches.append(batch)
            if batch == 2:
                self.model.stop_training = True

    stopped = compiled()
    cb = StopAt()
    h = stopped.fit(x, y, epochs=4, batch_size=16, shuffle=False, verbose=0, callbacks=[cb])
    assert cb.batches == [0, 1, 2]
    assert h.epoch == [0]
    # Exactly three steps ran: the weights are those of a fit over the
    # first three batches only.
    three = compiled()
    three.fit(x[:48], y[:48], epochs=1, batch_size=16, shuffle=False, verbose=0)
    for a, b in zip(stopped.get_weights(), three.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_without_batch_hooks_no_python_runs_per_step(data, monkeypatch):
    # A Python callback with epoch hooks only: the bridge is registered but
    # asks for no per-step logs, so the dispatcher's batch entry point is
    # never called (the C++ side returns without taking the GIL).
    x, y = data
    calls = []
    monkeypatch.setattr(callbacks_module._Dispatcher, "_on_batch_end",
                        lambda self, batch, logs: calls.append(batch))

    class EpochsOnly(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epochs = []

        def on_epoch_end(self, epoch, logs=None):
            self.epochs.append(epoch)

    cb = EpochsOnly()
    compiled().fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[cb])
    assert cb.epochs == [0, 1]
    assert calls == []
