"""Losses: sparse categorical cross-entropy (integer labels, a final softmax)
and binary cross-entropy (labels 0 or 1, a final Dense(1, sigmoid)). vknn
computes both from the logits, fused with the output activation.

categorical_crossentropy takes one-hot labels (label_mode='categorical',
class_mode='categorical'): on them it is sparse categorical cross-entropy
of the 1's index, which is what vknn trains (the labels are turned into
indices as fit converts them; soft labels are refused there)."""


def _refuse_what_vknn_lacks(loss, label_smoothing, kwargs):
    """Keras' cross-entropies also take label_smoothing and axis: vknn
    computes them only at their defaults (0 and -1) and refuses the rest."""
    if label_smoothing != 0:
        raise ValueError(f"{loss}: label_smoothing={label_smoothing!r} is not supported by vknn "
                         f"(only 0)")
    for arg, value in kwargs.items():
        if arg == "axis" and value == -1:
            continue
        raise ValueError(f"{loss}: argument {arg}={value!r} is not supported by vknn")


class SparseCategoricalCrossentropy:
    """keras.losses.SparseCategoricalCrossentropy(from_logits=False): the loss
    vknn fuses with a final softmax. from_logits=True is not supported."""

    name = "sparse_categorical_crossentropy"

    def __init__(self, from_logits=False, name="sparse_categorical_crossentropy"):
        if from_logits:
            raise ValueError(
                "SparseCategoricalCrossentropy(from_logits=True) is not supported: vknn fuses "
                "the loss with a final Dense layer's softmax; use activation='softmax' there")
        self.from_logits = False
        self.name = name


class BinaryCrossentropy:
    """keras.losses.BinaryCrossentropy(from_logits=False): the loss vknn fuses
    with a final Dense(1, activation='sigmoid'). from_logits=True is not
    supported."""

    name = "binary_crossentropy"

    def __init__(self, from_logits=False, label_smoothing=0.0, name="binary_crossentropy",
                 **kwargs):
        if from_logits:
            raise ValueError(
                "BinaryCrossentropy(from_logits=True) is not supported: vknn fuses the loss "
                "with a final Dense(1) layer's sigmoid; use activation='sigmoid' there")
        _refuse_what_vknn_lacks("BinaryCrossentropy", label_smoothing, kwargs)
        self.from_logits = False
        self.label_smoothing = 0.0
        self.name = name


class CategoricalCrossentropy(SparseCategoricalCrossentropy):
    """keras.losses.CategoricalCrossentropy(from_logits=False): on one-hot
    labels, trained as sparse categorical cross-entropy (see the module)."""

    def __init__(self, from_logits=False, label_smoothing=0.0, name="categorical_crossentropy",
                 **kwargs):
        super().__init__(from_logits=from_logits, name=name)
        _refuse_what_vknn_lacks("CategoricalCrossentropy", label_smoothing, kwargs)
        self.label_smoothing = 0.0


_BY_NAME = {"sparse_categorical_crossentropy": "sparse_categorical_crossentropy",
            "categorical_crossentropy": "sparse_categorical_crossentropy",
            "binary_crossentropy": "binary_crossentropy"}


def resolve(loss):
    """The library's loss name; ValueError for a loss vknn does not have."""
    if isinstance(loss, SparseCategoricalCrossentropy):
        return "sparse_categorical_crossentropy"
    if isinstance(loss, BinaryCrossentropy):
        return "binary_crossentropy"
    if isinstance(loss, str) and loss in _BY_NAME:
        return _BY_NAME[loss]
    raise ValueError(
        f"compile: loss {loss!r} is not supported; vknn trains with "
        f"loss='sparse_categorical_crossentropy' (integer labels, a final softmax layer), "
        f"'categorical_crossentropy' (one-hot labels, a final softmax layer) or "
        f"'binary_crossentropy' (labels 0 or 1, a final Dense(1, activation='sigmoid'))")
