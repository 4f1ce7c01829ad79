"""keras.optimizers.Adam and SGD with Keras's defaults."""
import math


def _check_rate(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value < 0:
        raise ValueError(f"{name}: learning_rate must be a finite number >= 0, got {value!r}")
    return float(value)


class Optimizer:
    """Base of the optimizers vknn runs on the device."""


class Adam(Optimizer):
    """Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07), Keras's form."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07,
                 amsgrad=False, name="Adam", **kwargs):
        if amsgrad:
            raise ValueError("Adam: amsgrad=True is not supported by vknn")
        if kwargs:
            raise TypeError(f"Adam: unsupported arguments {sorted(kwargs)}")
        self.learning_rate = _check_rate("Adam", learning_rate)
        for arg, value in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not (isinstance(value, (int, float)) and 0 <= value < 1):
                raise ValueError(f"Adam: {arg} must be in [0, 1), got {value!r}")
        if not (isinstance(epsilon, (int, float)) and epsilon > 0):
            raise ValueError(f"Adam: epsilon must be > 0, got {epsilon!r}")
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)
        self.name = name

    def _config(self):
        return dict(optimizer="adam", learning_rate=self.learning_rate, beta_1=self.beta_1,
                    beta_2=self.beta_2, epsilon=self.epsilon, momentum=0.0)


class SGD(Optimizer):
    """SGD(learning_rate=0.01, momentum=0.0), Keras's form."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        if nesterov:
            raise ValueError("SGD: nesterov=True is not supported by vknn")
        if kwargs:
            raise TypeError(f"SGD: unsupported arguments {sorted(kwargs)}")
        self.learning_rate = _check_rate("SGD", learning_rate)
        if not (isinstance(momentum, (int, float)) and 0 <= momentum <= 1):
            raise ValueError(f"SGD: momentum must be in [0, 1], got {momentum!r}")
        self.momentum = float(momentum)
        self.name = name

    def _config(self):
        return dict(optimizer="sgd", learning_rate=self.learning_rate, beta_1=0.9, beta_2=0.999,
                    epsilon=1e-7, momentum=self.momentum)


def get(identifier):
    """An optimizer from a name ('adam', 'sgd') or an optimizer object."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in ("adam", "sgd"):
        return Adam() if identifier.lower() == "adam" else SGD()
    raise ValueError(
        f"compile: optimizer {identifier!r} is not supported; use 'adam', 'sgd', "
        f"vknn.keras.optimizers.Adam(...) or vknn.keras.optimizers.SGD(...)")
