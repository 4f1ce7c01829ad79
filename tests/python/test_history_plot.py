"""History.history plotted with matplotlib as the course plots it (accuracy
and loss per epoch, training and validation), on the Agg backend, to PNG
files."""
import numpy as np
import pytest

from vknn import keras

matplotlib = pytest.importorskip(
    "matplotlib", reason="matplotlib is missing (Debian: apt-get install python3-matplotlib)")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_the_courses_accuracy_and_loss_plots(tmp_path):
    rng = np.random.default_rng(5)
    x = rng.integers(0, 256, size=(64, 8, 8, 1), dtype=np.uint8)
    y = (x[:, :4].mean(axis=(1, 2, 3)) > x[:, 4:].mean(axis=(1, 2, 3))).astype(np.uint8)
    model = keras.Sequential([
        keras.layers.Conv2D(2, (3, 3), activation="relu", input_shape=(8, 8, 1)),
        keras.layers.Flatten(),
        keras.layers.Dense(2, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x[:48] / 255.0, y[:48], epochs=3, batch_size=16, verbose=0,
                        validation_data=(x[48:] / 255.0, y[48:]))

    # The course's code, as written there.
    acc = history.history['accuracy']
    val_acc = history.history['val_accuracy']
    loss = history.history['loss']
    val_loss = history.history['val_loss']
    epochs = range(len(acc))

    plt.plot(epochs, acc, 'r', label='Training accuracy')
    plt.plot(epochs, val_acc, 'b', label='Validation accuracy')
    plt.title('Training and validation accuracy')
    plt.legend(loc=0)
    accuracy_figure = plt.gcf()
    plt.savefig(tmp_path / "accuracy.png")
    plt.figure()

    plt.plot(epochs, loss, 'r', label='Training Loss')
    plt.plot(epochs, val_loss, 'b', label='Validation Loss')
    plt.title('Training and validation loss')
    plt.legend()
    loss_figure = plt.gcf()
    plt.savefig(tmp_path / "loss.png")

    try:
        for name in ("accuracy.png", "loss.png"):
            data = (tmp_path / name).read_bytes()
            assert len(data) > 1000 and data.startswith(PNG_SIGNATURE), name
        # What was drawn is History's values, one point per epoch.
        for figure, keys in ((accuracy_figure, ("accuracy", "val_accuracy")),
                             (loss_figure, ("loss", "val_loss"))):
            lines = figure.axes[0].get_lines()
            assert len(lines) == 2
            for line, key in zip(lines, keys):
                assert list(line.get_xdata()) == [0, 1, 2]
                assert list(line.get_ydata()) == history.history[key]
    finally:
        plt.close("all")
