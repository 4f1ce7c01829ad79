"""Losses: vknn trains with sparse categorical cross-entropy (integer labels)."""


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


def resolve(loss):
    """ValueError unless loss is sparse categorical cross-entropy."""
    if isinstance(loss, SparseCategoricalCrossentropy):
        return "sparse_categorical_crossentropy"
    if loss == "sparse_categorical_crossentropy":
        return loss
    raise ValueError(
        f"compile: loss {loss!r} is not supported; vknn trains with "
        f"loss='sparse_categorical_crossentropy' (integer labels, a final softmax layer)")
