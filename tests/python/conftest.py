"""Shared fixtures for the Python tests (run by ctest with PYTHONPATH set to
build/python, or by hand: PYTHONPATH=build/python /usr/bin/python3 -m pytest tests/python)."""
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# vknn's caches (the autotuner's kernel choices, the kept pipeline cache)
# stay in the build tree, never in ~/.cache, also when pytest is run by
# hand; ctest sets the same folder (cmake/VknnTestEnvironment.cmake).
os.environ.setdefault("VKNN_CACHE_DIR",
                      str(Path(os.environ.get("VKNN_TEST_BINARY_DIR", REPO / "build")) / "test-cache"))


def small_cnn(optimizer="adam"):
    """A 4-filter version of the course's model, compiled with `optimizer`
    (Adam by default): quick to train on a few images."""
    from vknn import keras
    m = keras.Sequential([
        keras.layers.Conv2D(4, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        keras.layers.MaxPooling2D(2, 2),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    m.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def same_arrays(a, b):
    """Two lists of arrays (get_weights()) equal element for element, bit for bit."""
    import numpy as np
    return len(a) == len(b) and all(np.array_equal(u, v) for u, v in zip(a, b))


def data_dir(name):
    folder = REPO / "data" / name
    if not (folder / "train-images-idx3-ubyte").exists() and \
            not (folder / "train-images-idx3-ubyte.gz").exists():
        pytest.skip(f"{folder} is missing; run scripts/get_data.sh")
    return folder


@pytest.fixture(scope="session")
def fashion():
    import vknn as tf
    data_dir("fashion-mnist")
    return tf.keras.datasets.fashion_mnist.load_data()


@pytest.fixture(scope="session")
def mnist():
    import vknn as tf
    data_dir("mnist")
    return tf.keras.datasets.mnist.load_data()


@pytest.fixture(scope="session")
def binary_dir():
    return Path(os.environ.get("VKNN_TEST_BINARY_DIR", REPO / "build"))
