"""vknn.keras: the part of tf.keras the TensorFlow course uses, on vknn."""
from . import activations, callbacks, datasets, layers, losses, models, optimizers, utils
from .models import Model, Sequential
from .layers import Input

__all__ = ["activations", "callbacks", "datasets", "layers", "losses", "models", "optimizers",
           "utils", "Model", "Sequential", "Input"]
