"""Keras code whose batch or data does not fit the device: the batch trains
as micro-batches and the data is streamed, with nothing to change in the
code. The internal test hooks VKNN_TEST_MAX_TENSOR_BYTES and
VKNN_TEST_DEVICE_MEMORY_BYTES lower the device's limits so that a small
model meets them here (the C++ tests check the details:
tests/model/micro_batch_test.cpp, streamed_dataset_test.cpp)."""
import io
import contextlib
import os

import numpy as np

from vknn import keras


def pictures(count, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=count)
    x = rng.integers(0, 60, size=(count, 12, 12, 3)).astype(np.uint8)
    for i, label in enumerate(y):
        x[i, :6 if label else 6:, :, 0] += 150  # the class is where the red is
    return x, y


def fit(env, epochs=2):
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        keras.utils.set_random_seed(4)
        model = keras.Sequential([
            keras.layers.Rescaling(1 / 255, input_shape=(12, 12, 3)),
            keras.layers.Conv2D(4, (3, 3), activation="relu"),
            keras.layers.MaxPooling2D(2, 2),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ])
        model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.001),
                      loss="binary_crossentropy", metrics=["accuracy"])
        x, y = pictures(50, 1)
        vx, vy = pictures(10, 2)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            history = model.fit(x, y, epochs=epochs, batch_size=16, validation_data=(vx, vy),
                                verbose=2).history
        return model.get_weights(), history, model.predict(vx, batch_size=16, verbose=0), out.getvalue()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_a_batch_over_the_buffer_limit_trains_as_the_whole_batch():
    whole = fit({})
    # The conv's output at 16 pictures is 16 x 10 x 10 x 4 floats = 25,600
    # bytes: a limit of 8,000 splits each batch of 16 into 4 micro-batches.
    split = fit({"VKNN_TEST_MAX_TENSOR_BYTES": "8000"})
    for a, b in zip(whole[0], split[0]):
        np.testing.assert_allclose(a, b, atol=2e-5)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(whole[1][key], split[1][key], atol=1e-5)
    np.testing.assert_allclose(whole[2], split[2], atol=1e-5)


def test_training_data_over_the_device_budget_is_streamed_to_the_same_model():
    whole = fit({})
    assert "Streaming" not in whole[3]
    # A budget that holds the model, its workspaces and the validation data
    # but not the 50 training pictures: from one that holds everything,
    # down until fit streams (the workspaces' size is the plan's business).
    weights = sum(w.size for w in whole[0])
    budget = None
    for extra in range(400_000, 0, -5_000):
        trial = str(weights * 4 * 3 + extra)  # RMSprop: value, gradient, mean square
        try:
            if "Streaming the training data" in fit({"VKNN_TEST_DEVICE_MEMORY_BYTES": trial}, epochs=1)[3]:
                budget = trial
                break
        except RuntimeError:  # vknn.Error: below what one batch needs beside the model
            break
    assert budget is not None
    streamed = fit({"VKNN_TEST_DEVICE_MEMORY_BYTES": budget})
    assert "Streaming the training data (50 samples" in streamed[3]
    for a, b in zip(whole[0], streamed[0]):
        np.testing.assert_array_equal(a, b)
    assert whole[1] == streamed[1]
    np.testing.assert_array_equal(whole[2], streamed[2])
