"""keras.datasets.mnist."""
from . import _locate


def load_data(path=None):
    """((x_train, y_train), (x_test, y_test)): uint8 arrays of shapes (60000, 28, 28),
    (60000,), (10000, 28, 28), (10000,). ``path``: a folder holding the IDX files
    (Keras's path names an .npz file in its cache; vknn reads the IDX files)."""
    return _locate.load("mnist", "MNIST", path)
