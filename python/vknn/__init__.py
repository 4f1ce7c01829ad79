"""vknn: GPU-first neural networks on Vulkan compute, with a Keras-shaped API.

The TensorFlow course's code runs with only its import line changed::

    import vknn as tf

    fmnist = tf.keras.datasets.fashion_mnist
    (training_images, training_labels), (test_images, test_labels) = fmnist.load_data()
    training_images = training_images / 255.0
    model = tf.keras.models.Sequential([
        tf.keras.layers.Conv2D(64, (3, 3), activation='relu', input_shape=(28, 28, 1)),
        ...
    ])

See docs/python.md for what is supported, and docs/distributed.md for
tf.distribute's strategies under mpirun.
"""
from . import _vknn
from ._vknn import Error

__version__ = _vknn.__version__

from . import nn  # noqa: E402
from . import data  # noqa: E402
from . import keras  # noqa: E402
from . import distribute  # noqa: E402

__all__ = ["Error", "data", "distribute", "keras", "nn", "__version__"]
