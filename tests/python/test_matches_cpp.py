"""Python and C++ give identical results for the same seed, data and order.

The C++ side is the example trainer build/examples/train_fashion_mnist (the
C++ API's compile/fit, as a user runs it), which saves its weights
(--save, safetensors) and its History (--history, CSV with round-trip exact
numbers). The Python side trains the same model (--filters 16) on the same
prefix with the same seed through vknn.keras. Likewise for the week-4 binary
classifier (build/examples/train_sneakers_vs_boots --dropout 0.2: Dropout,
a sigmoid output, binary cross-entropy, RMSprop). Weights must be bit-identical
and every History value equal: the binding adds no arithmetic of its own.

Also: images / 255.0 gives exactly the results of the uint8 images, because
such floats are kept losslessly as the pixels (vknn/keras/_inputs.py).
"""
import csv
import subprocess

import numpy as np
import pytest

from conftest import data_dir

COUNT, EPOCHS = 640, 2


@pytest.fixture(autouse=True)
def kernels_from_the_device_profile(monkeypatch):
    """Both sides take their kernel variants from the device profile, not
    the autotuner: the C++ trainer is another process, and tests in other
    processes tune the same shapes into the same cache at once, so the two
    sides could run different winners (winograd in one, register_blocked in
    the other) and end a few bits apart. The switch is read at each choice,
    and the trainer inherits it."""
    monkeypatch.setenv("VKNN_AUTOTUNE", "0")


def conv_pool_cnn(tf, filters, units, head):
    """The example trainers' models: on 28x28x1 images, a 3x3 relu Conv2D and
    a 2x2 MaxPooling2D for each of filters, Flatten, Dense(units, relu), then
    the head layers."""
    layers = []
    for f in filters:
        shape = {} if layers else {"input_shape": (28, 28, 1)}
        layers += [tf.keras.layers.Conv2D(f, (3, 3), activation='relu', **shape),
                   tf.keras.layers.MaxPooling2D(2, 2)]
    layers += [tf.keras.layers.Flatten(), tf.keras.layers.Dense(units, activation='relu')]
    return tf.keras.models.Sequential(layers + head)


def course_model(tf, filters=16):
    """examples/train_fashion_mnist.cpp's model (the course's week 3)."""
    return conv_pool_cnn(tf, (filters, filters), 128,
                         [tf.keras.layers.Dense(10, activation='softmax')])


def train_in_python(images, labels, seed=0):
    import vknn as tf
    tf.keras.utils.set_random_seed(seed)
    try:
        model = course_model(tf)
        model.compile(optimizer='adam', loss='sparse_categorical_crossentropy',
                      metrics=['accuracy'])
        history = model.fit(images, labels, epochs=EPOCHS, verbose=0)
    finally:
        tf.keras.utils.set_random_seed(0)
    return model, history


def assert_equals_the_cpp_run(model, history, from_cpp, weights_file, history_file, epochs):
    """model's weights are bit-identical to the C++ trainer's --save file
    (loaded into from_cpp, the same layers compiled alike) and history
    equals its --history CSV, epoch by epoch."""
    from_cpp.load_weights(weights_file)
    for mine, theirs in zip(model.get_weights(), from_cpp.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    with open(history_file) as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == history.epoch == list(range(epochs))
    assert [float(r["loss"]) for r in rows] == history.history["loss"]
    assert [float(r["accuracy"]) for r in rows] == history.history["accuracy"]


def test_python_fit_equals_the_cpp_api(fashion, binary_dir, tmp_path):
    trainer = binary_dir / "examples" / "train_fashion_mnist"
    if not trainer.exists():
        pytest.skip(f"{trainer} is not built (VKNN_BUILD_EXAMPLES is off)")
    weights_file, history_file = tmp_path / "cpp.safetensors", tmp_path / "cpp.csv"
    subprocess.run(
        [str(trainer), "--filters", "16", "--limit", str(COUNT), "--test-limit", "32",
         "--epochs", str(EPOCHS), "--seed", "3", "--verbose", "0",
         "--data-dir", str(data_dir("fashion-mnist")),
         "--save", str(weights_file), "--history", str(history_file)],
        check=True, capture_output=True, timeout=300)

    (x_train, y_train), _ = fashion
    model, history = train_in_python(x_train[:COUNT] / 255.0, y_train[:COUNT], seed=3)

    import vknn as tf
    from_cpp = course_model(tf)
    from_cpp.compile(optimizer='adam', loss='sparse_categorical_crossentropy',
                     metrics=['accuracy'])
    assert_equals_the_cpp_run(model, history, from_cpp, weights_file, history_file, EPOCHS)


def test_float_pixels_give_exactly_the_uint8_results(fashion):
    (x_train, y_train), (x_test, y_test) = fashion
    x, y = x_train[:320], y_train[:320]
    as_bytes, h_bytes = train_in_python(x, y)
    as_floats, h_floats = train_in_python(x / 255.0, y.astype(np.int64))
    as_float32, h_float32 = train_in_python(x.astype(np.float32) / 255.0, y)
    assert h_bytes.history == h_floats.history == h_float32.history
    for a, b, c in zip(as_bytes.get_weights(), as_floats.get_weights(), as_float32.get_weights()):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    # Any memory order and the (N, 28, 28, 1) shape give the same too.
    test = x_test[:64]
    p = as_bytes.predict(test, verbose=0)
    np.testing.assert_array_equal(p, as_bytes.predict(np.asfortranarray(test / 255.0), verbose=0))
    np.testing.assert_array_equal(p, as_bytes.predict(test.reshape(64, 28, 28, 1)[::-1][::-1],
                                                      verbose=0))
    assert as_bytes.evaluate(test, y_test[:64], verbose=0) == \
        as_bytes.evaluate(test / 255.0, y_test[:64], verbose=0)


def test_every_pixel_value_in_every_usual_spelling_is_kept_exactly():
    import vknn as tf
    from vknn.keras import _inputs
    model = tf.keras.Sequential([tf.keras.layers.Flatten(input_shape=(16, 16)),
                                 tf.keras.layers.Dense(10, activation='softmax')])
    pixels = np.arange(256, dtype=np.uint8).reshape(1, 16, 16)
    spellings = [pixels / 255.0, pixels * (1 / 255.0), pixels.astype(np.float32) / 255.0,
                 pixels.astype(np.float32) * np.float32(1 / 255), (pixels / 255.0).astype(np.float32),
                 pixels.astype(np.float16) / np.float16(255)]
    for floats in spellings:
        converted = _inputs.images(floats, model)
        np.testing.assert_array_equal(converted.reshape(1, 16, 16), pixels, err_msg=str(floats.dtype))
    # One ulp off any of them is not a pixel value: the array goes to the
    # device as float values, as given (to float32), not snapped to pixels.
    nudged = pixels / 255.0
    nudged[0, 3, 7] = np.nextafter(nudged[0, 3, 7], 1)
    converted = _inputs.images(nudged, model)
    assert converted.dtype == np.float32
    np.testing.assert_array_equal(converted.reshape(1, 16, 16), nudged.astype(np.float32))


def sneakers_vs_boots_model(tf):
    """examples/train_sneakers_vs_boots.cpp's model with --dropout 0.2."""
    return conv_pool_cnn(tf, (16, 32), 64, [tf.keras.layers.Dropout(0.2),
                                            tf.keras.layers.Dense(1, activation='sigmoid')])


def test_python_binary_fit_with_dropout_and_rmsprop_equals_the_cpp_api(fashion, binary_dir,
                                                                       tmp_path):
    trainer = binary_dir / "examples" / "train_sneakers_vs_boots"
    if not trainer.exists():
        pytest.skip(f"{trainer} is not built (VKNN_BUILD_EXAMPLES is off)")
    count, epochs, seed = 320, 2, 4
    weights_file, history_file = tmp_path / "cpp.safetensors", tmp_path / "cpp.csv"
    subprocess.run(
        [str(trainer), "--dropout", "0.2", "--limit", str(count), "--test-limit", "32",
         "--epochs", str(epochs), "--seed", str(seed), "--verbose", "0",
         "--data-dir", str(data_dir("fashion-mnist")),
         "--save", str(weights_file), "--history", str(history_file)],
        check=True, capture_output=True, timeout=300)

    import vknn as tf
    (x_train, y_train), _ = fashion
    keep = np.flatnonzero((y_train == 7) | (y_train == 9))[:count]
    images, labels = x_train[keep] / 255.0, (y_train[keep] == 9).astype(np.int64)
    tf.keras.utils.set_random_seed(seed)
    try:
        model = sneakers_vs_boots_model(tf)
        model.compile(loss='binary_crossentropy',
                      optimizer=tf.keras.optimizers.RMSprop(learning_rate=0.001),
                      metrics=['accuracy'])
        history = model.fit(images, labels, epochs=epochs, verbose=0)
    finally:
        tf.keras.utils.set_random_seed(0)

    from_cpp = sneakers_vs_boots_model(tf)
    from_cpp.compile(loss='binary_crossentropy', optimizer='rmsprop', metrics=['accuracy'])
    assert_equals_the_cpp_run(model, history, from_cpp, weights_file, history_file, epochs)
