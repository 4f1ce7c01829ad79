"""The Python optimizers' default arguments are the library's.

Keras's defaults are stated once in C++ (vknn/ops/geometry.hpp's configs,
which vknn::Adam/SGD/RMSprop take their default arguments from). The Python
signatures keep literal defaults, because that is what a Keras user reads in
help() and inspect.signature; this test keeps the two from drifting apart.
"""
import inspect

import numpy as np

import vknn as tf
from vknn import _vknn


def test_every_default_matches_the_library():
    library = _vknn.optimizer_defaults()
    assert set(library) == {"Adam", "SGD", "RMSprop"}
    for name, defaults in library.items():
        signature = inspect.signature(getattr(tf.keras.optimizers, name).__init__)
        for argument, value in defaults.items():
            python_default = signature.parameters[argument].default
            # The library holds float32; the Python literal rounds to it.
            assert np.float32(python_default) == np.float32(value), (name, argument)
