"""Activations by name or function, as Keras layers take them."""
from .. import nn

relu = nn.relu
softmax = nn.softmax


def linear(x):
    """The identity (Keras's default: no activation)."""
    return x


_BY_NAME = {"relu": "relu", "softmax": "softmax", "linear": "linear"}
_BY_FUNCTION = {nn.relu: "relu", nn.softmax: "softmax", linear: "linear"}


def resolve(activation, layer):
    """The device activation for a Keras activation argument: None, a name,
    or vknn.nn.relu / vknn.nn.softmax. ValueError for anything else."""
    if activation is None:
        return "linear"
    if isinstance(activation, str):
        if activation in _BY_NAME:
            return _BY_NAME[activation]
        raise ValueError(
            f"{layer}: unknown activation {activation!r}; vknn supports 'relu', 'softmax', "
            f"'linear' or None, and vknn.nn.relu / vknn.nn.softmax")
    for function, name in _BY_FUNCTION.items():
        if activation is function:
            return name
    raise ValueError(
        f"{layer}: activation {activation!r} is not supported; vknn runs only 'relu', "
        f"'softmax' and 'linear' (None) on the device, given by name or as vknn.nn.relu / "
        f"vknn.nn.softmax")


def get(identifier):
    """keras.activations.get: the function for a name (or the function itself)."""
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    return {"relu": relu, "softmax": softmax, "linear": linear}[identifier]
