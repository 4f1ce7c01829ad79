"""Activations by name or function, as Keras layers take them."""
from .. import nn

relu = nn.relu
softmax = nn.softmax
sigmoid = nn.sigmoid


def linear(x):
    """The identity (Keras's default: no activation)."""
    return x


_BY_NAME = {"relu": "relu", "softmax": "softmax", "sigmoid": "sigmoid", "linear": "linear"}
_BY_FUNCTION = {nn.relu: "relu", nn.softmax: "softmax", nn.sigmoid: "sigmoid", linear: "linear"}


def resolve(activation, layer):
    """The device activation for a Keras activation argument: None, a name,
    or vknn.nn.relu / softmax / sigmoid. ValueError for anything else. Where
    an activation may go (softmax and sigmoid only on the final Dense layer)
    is the library's check, made when the model is built."""
    if activation is None:
        return "linear"
    if isinstance(activation, str):
        if activation in _BY_NAME:
            return _BY_NAME[activation]
        raise ValueError(
            f"{layer}: unknown activation {activation!r}; vknn supports 'relu', 'softmax', "
            f"'sigmoid', 'linear' or None, and vknn.nn.relu / vknn.nn.softmax / vknn.nn.sigmoid")
    for function, name in _BY_FUNCTION.items():
        if activation is function:
            return name
    raise ValueError(
        f"{layer}: activation {activation!r} is not supported; vknn runs only 'relu', "
        f"'softmax', 'sigmoid' and 'linear' (None) on the device, given by name or as "
        f"vknn.nn.relu / vknn.nn.softmax / vknn.nn.sigmoid")


def get(identifier):
    """keras.activations.get: the function for a name (or the function itself)."""
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    return {"relu": relu, "softmax": softmax, "sigmoid": sigmoid, "linear": linear}[identifier]
