"""Keras 2.x callbacks in Python (CSVLogger, LearningRateScheduler,
ReduceLROnPlateau, ModelCheckpoint) and the optimizer's live learning rate
they use: each rule checked against what Keras does, on a 4-filter model and
at most 256 Fashion-MNIST images."""
import csv
import os

import numpy as np
import pytest

from vknn import keras

from conftest import small_cnn as compiled  # the 4-filter course model, compiled


@pytest.fixture(scope="module")
def data(fashion):
    (x, y), _ = fashion
    return x[:256], y[:256]


def fake_metric(name, values):
    """A callback that puts values[epoch] into the epoch logs as `name`, for
    the callbacks after it: a monitored value with a known course."""
    def put(epoch, logs):
        logs[name] = values[epoch]
    return keras.callbacks.LambdaCallback(on_epoch_end=put)


class WeightsRecorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def same(a, b):
    return len(a) == len(b) and all(np.array_equal(u, v) for u, v in zip(a, b))


def no_temp_files(folder):
    return [p for p in os.listdir(folder) if ".tmp-" in p] == []


# ---- CSVLogger --------------------------------------------------------------

def test_csv_logger_rows_equal_history(data, tmp_path):
    x, y = data
    path = tmp_path / "log.csv"
    m = compiled()
    h = m.fit(x[:128], y[:128], epochs=3, verbose=0, validation_data=(x[128:192], y[128:192]),
              callbacks=[keras.callbacks.CSVLogger(path)])
    raw = path.read_bytes()
    assert raw.endswith(b"\r\n") and raw.count(b"\r\n") == 4  # Excel dialect, as Keras
    rows = list(csv.reader(raw.decode().splitlines()))
    # The epoch column, then the log keys sorted.
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [int(r[0]) for r in rows[1:]] == h.epoch == [0, 1, 2]
    for i, row in enumerate(rows[1:]):
        for key, text in zip(rows[0][1:], row[1:]):
            assert text == str(h.history[key][i])  # exact: str of the float, as csv writes
            assert float(text) == h.history[key][i]
    assert no_temp_files(tmp_path)

    # append=True: rows follow, no second header; append=False starts over.
    h2 = m.fit(x[:128], y[:128], epochs=1, verbose=0, validation_data=(x[128:192], y[128:192]),
               callbacks=[keras.callbacks.CSVLogger(path, append=True)])
    rows2 = list(csv.reader(path.read_text().splitlines()))
    assert rows2[:4] == rows and len(rows2) == 5
    assert rows2[4] == ["0"] + [str(h2.history[k][0]) for k in rows[0][1:]]
    m.fit(x[:64], y[:64], epochs=1, verbose=0,
          callbacks=[keras.callbacks.CSVLogger(path, separator=";")])
    assert path.read_text().splitlines()[0] == "epoch;accuracy;loss"
    assert len(path.read_text().splitlines()) == 2
    # append=True onto an empty file writes the header (Keras: only then).
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    m.fit(x[:64], y[:64], epochs=1, verbose=0,
          callbacks=[keras.callbacks.CSVLogger(empty, append=True)])
    assert empty.read_text().splitlines()[0] == "epoch,accuracy,loss"
    # ... and not into one that is not empty, even if its first line is.
    blank = tmp_path / "blank.csv"
    blank.write_bytes(b"\n")
    h = m.fit(x[:64], y[:64], epochs=1, verbose=0,
              callbacks=[keras.callbacks.CSVLogger(blank, append=True)])
    assert blank.read_text().splitlines() == ["", f"0,{h.history['accuracy'][0]},"
                                                  f"{h.history['loss'][0]}"]


def test_csv_logger_includes_what_earlier_callbacks_add(data, tmp_path):
    x, y = data
    path = tmp_path / "lr.csv"
    sched = keras.callbacks.LearningRateScheduler(lambda epoch: 0.01 / (epoch + 1))
    h = compiled().fit(x[:64], y[:64], epochs=2, verbose=0,
                       callbacks=[sched, keras.callbacks.CSVLogger(path)])
    rows = list(csv.reader(path.read_text().splitlines()))
    assert rows[0] == ["epoch", "accuracy", "loss", "lr"]
    assert [r[3] for r in rows[1:]] == [str(np.float32(0.01)), str(np.float32(0.005))]
    assert h.history["lr"] == [np.float32(0.01), np.float32(0.005)]


# ---- The optimizer's learning rate -----------------------------------------

def test_the_compiled_optimizers_learning_rate_is_the_models(data):
    x, y = data
    m = compiled(keras.optimizers.Adam(0.01))
    assert m.optimizer.learning_rate == 0.01
    m.optimizer.learning_rate = 0.0  # the next steps train with it
    before = m.get_weights()
    m.fit(x[:64], y[:64], verbose=0)
    assert same(m.get_weights(), before)
    m.optimizer.lr = 0.005  # Keras 2's older name
    assert m.optimizer.learning_rate == 0.005 and m._core.learning_rate == np.float32(0.005)
    with pytest.raises(ValueError, match="Adam: learning_rate must be a finite number >= 0, "
                                         "got -1"):
        m.optimizer.learning_rate = -1
    assert m.optimizer.learning_rate == 0.005
    # Set after compile on a model that the first fit builds: that fit uses it.
    lazy = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    lazy.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    lazy.optimizer.learning_rate = 0.25
    lazy.fit(x[:32], y[:32], verbose=0)
    assert lazy._core.learning_rate == 0.25


# ---- LearningRateScheduler -------------------------------------------------

def test_learning_rate_scheduler_sets_the_rate_training_uses(data):
    x, y = data
    m = compiled()
    rec = WeightsRecorder()
    seen = []

    def schedule(epoch, lr):
        seen.append((epoch, lr))
        return lr if epoch == 0 else 0.0

    h = m.fit(x[:128], y[:128], epochs=3, verbose=0,
              callbacks=[keras.callbacks.LearningRateScheduler(schedule), rec])
    # The schedule gets the current rate; a rate of 0 from epoch 1 on
    # leaves the weights exactly as epoch 0 left them.
    assert seen == [(0, 0.001), (1, 0.001), (2, 0.0)]
    assert not same(rec.weights[0], compiled().get_weights())
    assert same(rec.weights[1], rec.weights[0]) and same(rec.weights[2], rec.weights[0])
    assert h.history["lr"] == [np.float32(0.001), 0.0, 0.0]
    assert list(h.history) == ["loss", "accuracy", "lr"]
    assert m.optimizer.learning_rate == 0.0 and m.optimizer.lr == 0.0

    # schedule(epoch), the older form; the rate stays set after fit.
    m = compiled()
    h = m.fit(x[:64], y[:64], epochs=2, verbose=0,
              callbacks=[keras.callbacks.LearningRateScheduler(lambda epoch: 0.5 ** epoch / 100)])
    np.testing.assert_array_equal(h.history["lr"], np.float32([0.01, 0.005]))
    assert m.optimizer.learning_rate == 0.005


def test_learning_rate_scheduler_refuses_a_bad_rate_naming_the_epoch(data):
    x, y = data
    for bad, text in ((float("nan"), "nan"), (float("inf"), "inf"), (-0.5, "-0.5"),
                      (np.float32(-1e-3), "-0.001")):
        m = compiled()
        rec = WeightsRecorder()
        sched = keras.callbacks.LearningRateScheduler(
            lambda epoch, lr, bad=bad: 0.001 if epoch < 1 else bad)
        with pytest.raises(ValueError) as info:
            m.fit(x[:64], y[:64], epochs=3, verbose=0, callbacks=[sched, rec])
        message = str(info.value)
        assert "for epoch 1" in message and text in message and "finite number >= 0" in message
        assert len(rec.weights) == 1, "training stopped before epoch 1"
        assert same(m.get_weights(), rec.weights[0])
    # As Keras: the schedule must return a float.
    with pytest.raises(ValueError, match='should be float. Got: 1 .*epoch 0'):
        compiled().fit(x[:32], y[:32], verbose=0,
                       callbacks=[keras.callbacks.LearningRateScheduler(lambda epoch: 1)])
    with pytest.raises(ValueError, match="schedule must be a function"):
        keras.callbacks.LearningRateScheduler(0.1)


# ---- ReduceLROnPlateau -----------------------------------------------------

def test_reduce_lr_on_plateau_follows_keras_rules(data):
    x, y = data
    # Improves at epochs 0 and 1, then a plateau: patience 2 reduces after
    # epoch 3, a cooldown of 1 epoch, reduced again after epoch 5, then
    # clipped at min_lr after epoch 7.
    plateau = [1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
    reduce = keras.callbacks.ReduceLROnPlateau(monitor="plateau", factor=0.5, patience=2,
                                               cooldown=1, min_lr=2e-4)
    m = compiled()
    h = m.fit(x[:32], y[:32], epochs=8, verbose=0,
              callbacks=[fake_metric("plateau", plateau), reduce])
    # 'lr' is the rate each epoch trained with, logged before a reduction.
    np.testing.assert_allclose(
        h.history["lr"], [1e-3, 1e-3, 1e-3, 1e-3, 5e-4, 5e-4, 2.5e-4, 2.5e-4], rtol=1e-6)
    assert m.optimizer.learning_rate == pytest.approx(2e-4, rel=1e-6)
    assert reduce.best == 0.5

    # A min_delta the improvements do not reach; 'auto' with an accuracy
    # name maximises.
    reduce = keras.callbacks.ReduceLROnPlateau(monitor="val_accuracy", factor=0.1, patience=1,
                                               min_delta=0.1)
    h = compiled().fit(x[:32], y[:32], epochs=3, verbose=0,
                       callbacks=[fake_metric("val_accuracy", [0.5, 0.55, 0.7]), reduce])
    np.testing.assert_allclose(h.history["lr"], [1e-3, 1e-3, 1e-4], rtol=1e-6)


def test_reduce_lr_on_plateau_arguments_and_a_missing_monitor(data):
    x, y = data
    with pytest.raises(ValueError, match="does not support a factor >= 1.0"):
        keras.callbacks.ReduceLROnPlateau(factor=1.0)
    with pytest.raises(ValueError, match="min_lr must be a finite number >= 0"):
        keras.callbacks.ReduceLROnPlateau(min_lr=-1)
    with pytest.warns(UserWarning, match="`val_loss` which is not available. Available metrics "
                                         "are: loss,accuracy,lr"):
        compiled().fit(x[:32], y[:32], verbose=0,
                       callbacks=[keras.callbacks.ReduceLROnPlateau(patience=0)])


# ---- ModelCheckpoint -------------------------------------------------------

def test_model_checkpoint_keeps_only_the_best(data, tmp_path):
    x, y = data
    m = compiled()
    rec = WeightsRecorder()
    course = [0.5, 0.3, 0.4, 0.2, 0.25]
    best = keras.callbacks.ModelCheckpoint(tmp_path / "best.weights", monitor="score",
                                           save_best_only=True, save_weights_only=True)
    named = keras.callbacks.ModelCheckpoint(str(tmp_path / "w-{epoch:02d}-{score:.2f}.weights"),
                                            monitor="score", save_best_only=True,
                                            save_weights_only=True)
    m.fit(x[:64], y[:64], epochs=5, verbose=0,
          callbacks=[fake_metric("score", course), best, named, rec])
    # Only the improvements were written: epochs 1, 2 and 4 (1-based names).
    assert sorted(os.listdir(tmp_path)) == ["best.weights", "w-01-0.50.weights",
                                            "w-02-0.30.weights", "w-04-0.20.weights"]
    loaded = compiled()
    loaded.load_weights(tmp_path / "best.weights")
    assert same(loaded.get_weights(), rec.weights[3])  # the best epoch's weights
    assert not same(loaded.get_weights(), rec.weights[4])
    loaded.load_weights(tmp_path / "w-02-0.30.weights")
    assert same(loaded.get_weights(), rec.weights[1])
    assert best.best == 0.2


def test_model_checkpoint_templates_every_epoch_and_every_n_batches(data, tmp_path):
    x, y = data
    m = compiled()
    h = m.fit(x[:64], y[:64], epochs=2, verbose=0, validation_data=(x[64:96], y[64:96]),
              callbacks=[keras.callbacks.ModelCheckpoint(
                  str(tmp_path / "e{epoch:02d}-{loss:.4f}-{val_accuracy:.3f}.w"),
                  save_weights_only=True)])
    expected = [f"e{i + 1:02d}-{h.history['loss'][i]:.4f}-{h.history['val_accuracy'][i]:.3f}.w"
                for i in range(2)]
    assert sorted(os.listdir(tmp_path)) == expected
    # save_freq=3 batches over 2 epochs of 8: Keras counts batches across
    # epochs, and names the file by 1-based epoch and batch.
    folder = tmp_path / "batches"
    folder.mkdir()
    m.fit(x, y, epochs=2, verbose=0, callbacks=[keras.callbacks.ModelCheckpoint(
        str(folder / "b{epoch}-{batch}.w"), save_freq=3, save_weights_only=True)])
    assert sorted(os.listdir(folder)) == sorted(["b1-3.w", "b1-6.w", "b2-1.w", "b2-4.w", "b2-7.w"])
    assert no_temp_files(folder)


def test_model_checkpoint_errors(data, tmp_path, monkeypatch):
    x, y = data
    m = compiled()
    # A template key the logs do not have: named, with the keys there are.
    cb = keras.callbacks.ModelCheckpoint(str(tmp_path / "w-{val_loss:.2f}.w"),
                                         save_weights_only=True)
    with pytest.raises(KeyError) as info:
        m.fit(x[:32], y[:32], epochs=3, verbose=0, callbacks=[cb])
    message = info.value.args[0]
    assert "no 'val_loss'" in message and "available keys: epoch, loss, accuracy" in message
    assert os.listdir(tmp_path) == []
    with pytest.raises(ValueError, match="not a valid template"):
        keras.callbacks.ModelCheckpoint("w-{epoch")
    with pytest.raises(ValueError, match="positional field"):
        keras.callbacks.ModelCheckpoint("w-{}.w")
    with pytest.raises(ValueError, match="Unrecognized save_freq"):
        keras.callbacks.ModelCheckpoint("w", save_freq="batch")

    # The whole model is a '.keras' file, as Keras 3 requires: another
    # ending is refused at construction.
    with pytest.raises(ValueError, match="must end in `.keras`"):
        keras.callbacks.ModelCheckpoint(str(tmp_path / "m.h5"))
    # The whole model needs model.save(): refused before training, never
    # another format written.
    for cls in (keras.Sequential, keras.Model):
        monkeypatch.delattr(cls, "save", raising=False)
    before = m.get_weights()
    with pytest.raises(ValueError, match="save_weights_only=True"):
        m.fit(x[:32], y[:32], verbose=0,
              callbacks=[keras.callbacks.ModelCheckpoint(str(tmp_path / "m.keras"))])
    assert same(m.get_weights(), before) and os.listdir(tmp_path) == []

    # Where the model has save(), the whole model goes through it.
    class Saving(keras.Sequential):
        def save(self, filepath, overwrite=True, **kwargs):
            self.saved.append((filepath, overwrite))

    s = Saving([keras.layers.Conv2D(4, (3, 3), activation="relu", input_shape=(28, 28, 1)),
                keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    s.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    s.saved = []
    s.fit(x[:32], y[:32], epochs=2, verbose=0,
          callbacks=[keras.callbacks.ModelCheckpoint(str(tmp_path / "m{epoch}.keras"))])
    assert s.saved == [(str(tmp_path / "m1.keras"), True), (str(tmp_path / "m2.keras"), True)]
