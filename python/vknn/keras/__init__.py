"""vknn.keras: the part of tf.keras the TensorFlow course uses, on vknn."""
from . import (activations, callbacks, datasets, layers, losses, models, optimizers,  # noqa: F401
               preprocessing, utils)
from .models import Model, Sequential
from .layers import Input

__all__ = ["activations", "callbacks", "datasets", "layers", "losses", "models", "optimizers",
           "preprocessing", "utils", "Model", "Sequential", "Input"]
